import subprocess
import sysconfig
import textwrap
from pathlib import Path

import gymnasium
import pytest

import grokbench


@pytest.fixture
def temporary_registration():
    """Register task specs for one test and remove them (and their Gymnasium view) afterwards."""
    added = []

    def register(task_id, **kwargs):
        added.append(task_id)
        return grokbench.register(task_id, **kwargs)

    yield register
    for task_id in added:
        grokbench.registry.pop(task_id, None)
        gymnasium.registry.pop(f"grokbench/{task_id}", None)


@pytest.fixture(scope="session")
def cli():
    """Run the installed ``grokbench`` console script, as a user would, and capture its output."""
    script = Path(sysconfig.get_path("scripts")) / "grokbench"
    assert script.exists(), f"{script} is missing: install the package with `pip install -e .`"

    def run(*args, check=False, cwd=None):
        return subprocess.run([str(script), *args], capture_output=True, text=True, check=check, cwd=cwd)

    return run


@pytest.fixture
def method_file(tmp_path):
    """Write a method file from (indented) source text and return its path."""

    def write(body, name="method.py"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(body))
        return path

    return write
