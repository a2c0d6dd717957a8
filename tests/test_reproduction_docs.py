"""docs/reproduction.md shows what its commands print from the committed stores and reports.

Each `python docs/reproduction/<script>.py ...` command on the page is run, without training,
and its table must appear on the page as printed: a table left behind by a new run of the
store, or typed by hand, fails here.
"""

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "reproduction.md"
COMMAND = re.compile(r"^python (docs/reproduction/\w+\.py .*)$", re.MULTILINE)


def page_commands() -> list[str]:
    """The page's commands that print one of its tables."""
    return COMMAND.findall(PAGE.read_text())


def test_the_page_has_table_commands():
    scripts = {shlex.split(command)[0] for command in page_commands()}
    assert {
        "docs/reproduction/report_tables.py",
        "docs/reproduction/val_loss_descent.py",
        "docs/reproduction/symmetry_plateau.py",
    } <= scripts


@pytest.mark.parametrize("command", page_commands())
def test_the_page_shows_what_the_command_prints(command: str):
    printed = subprocess.run(
        [sys.executable, *shlex.split(command)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed
    assert printed in PAGE.read_text(), f"docs/reproduction.md does not show what `{command}` prints:\n{printed}"
