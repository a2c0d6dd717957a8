"""Named, versioned suites: which tasks a method is run on, and with how many seeds."""

from __future__ import annotations

from dataclasses import dataclass

from grokbench import error
from grokbench.operations import OPERATIONS
from grokbench.registration import FRACTIONS, LATEST_VERSION, task_id


@dataclass(frozen=True)
class Suite:
    """A fixed set of tasks and seeds; a new choice of either is a new suite version."""

    name: str
    """Short name used on the command line, e.g. ``"paper"``."""
    version: int
    """Suite version; results of different versions are not comparable."""
    description: str
    """What the suite is for."""
    task_ids: tuple[str, ...]
    """Full versioned ids of the suite's tasks."""
    seeds: int
    """Seeds per task."""


SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            name="paper",
            version=1,
            description="The paper's study: all 12 operations at fractions 0.05–0.95, 3 seeds, 10^5 updates.",
            task_ids=tuple(task_id(stem, f, LATEST_VERSION) for stem in OPERATIONS for f in FRACTIONS),
            seeds=3,
        ),
    )
}
"""Every suite, keyed by name."""


def get_suite(name: str) -> Suite:
    """The suite ``name``, or an error that lists the suites that exist."""
    if name not in SUITES:
        raise error.Error(f"Unknown suite {name!r}; suites: {', '.join(SUITES)}.")
    return SUITES[name]
