"""The leaderboard: entries that anyone can submit, their validation, verification and the board.

An entry is a folder ``leaderboard/submissions/<name>/`` holding

- ``method.py``: the method, in the format of ``baselines/`` (``grokbench.methods``);
- ``metadata.json``: name, authors, description, link, hyperparameters, tuning notes;
- ``results.json``: every run of the suite (``RunResult.to_dict``), as written by ``grokbench submit``;
- ``summary.json``: what the scorer computes from those runs;
- ``environment.json``: grokbench, torch and Python versions, device, precision, model, suite
  and suite version, and the split hash of every task.

The package's modules, one job each: ``schema`` (the files as pydantic models, whose errors
name the file, the field and what it should be), ``checks`` (validation, without torch),
``runs`` (``submit`` and ``verify``, which train) and ``render`` (the board). The board (``leaderboard/README.md`` between markers, and ``leaderboard/index.html``) is
generated from the entries by ``grokbench leaderboard build`` and never edited by hand.
"""

from grokbench.leaderboard.checks import Entry, entries
from grokbench.leaderboard.render import END, REFERENCE_ENTRY, START, board_block, board_rows, build, split_readme
from grokbench.leaderboard.runs import (
    TOLERANCE,
    choose_seeds,
    installed_packages,
    record_verification,
    submit,
    verification,
    verify,
)
from grokbench.leaderboard.schema import FILES, LEADERBOARD, Environment, LeaderboardError, Metadata, Verification

__all__ = [
    "END",
    "FILES",
    "LEADERBOARD",
    "REFERENCE_ENTRY",
    "START",
    "TOLERANCE",
    "Entry",
    "Environment",
    "LeaderboardError",
    "Metadata",
    "Verification",
    "board_block",
    "board_rows",
    "build",
    "choose_seeds",
    "entries",
    "installed_packages",
    "record_verification",
    "split_readme",
    "submit",
    "verification",
    "verify",
]
