"""Named, versioned suites: which tasks a method is run on, and with how many seeds."""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grokbench import error
from grokbench.architectures import REFERENCE
from grokbench.operations import OPERATIONS
from grokbench.registration import FRACTIONS, LATEST_VERSION, make, task_id
from grokbench.task import Task

if TYPE_CHECKING:
    from grokbench.results import RunResult


def make_tasks(task_ids: Sequence[str], max_steps: int | None = None) -> list[Task]:
    """Build the tasks ``task_ids``, with their budget shortened to ``max_steps`` when given."""
    overrides = {"max_steps": max_steps} if max_steps else {}
    return [make(task_id, **overrides) for task_id in task_ids]


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
    max_steps: int | None = None
    """Budget of updates per run, when the suite shortens the tasks' own budget."""
    sizing: str = ""
    """How the suite's size was chosen."""
    model: str = REFERENCE.id
    """Id of the model variant the suite's runs train; a new model is a new suite version."""

    def tasks(self) -> list[Task]:
        """The suite's tasks, with the suite's budget."""
        return make_tasks(self.task_ids, self.max_steps)

    def part(self, task_patterns: Sequence[str] = (), seeds: Sequence[int] = ()) -> tuple[list[str], list[int]]:
        """The task ids matching any of the glob ``task_patterns`` and the ``seeds``, each all of the suite's when
        none are given: a piece of the suite, run apart (another machine, another day) into the same store.

        A pattern that matches no task, or a seed the suite does not have, is an error naming what it has.
        """
        for pattern in task_patterns:
            if not fnmatch.filter(self.task_ids, pattern):
                close = difflib.get_close_matches(pattern, self.task_ids, n=3, cutoff=0.5)
                hint = (
                    f"the closest: {', '.join(close)}"
                    if close
                    else f"its tasks run from {self.task_ids[0]} to {self.task_ids[-1]}"
                )
                raise error.Error(f"No task of the {self.name} suite matches {pattern!r}; {hint}.")
        for seed in seeds:
            if not 0 <= seed < self.seeds:
                raise error.Error(f"The {self.name} suite has seeds 0 to {self.seeds - 1}, not {seed}.")
        task_ids = [t for t in self.task_ids if not task_patterns or any(fnmatch.fnmatch(t, p) for p in task_patterns)]
        return task_ids, sorted(set(seeds)) or list(range(self.seeds))

    def runs_among(self, runs: Iterable[RunResult]) -> list[RunResult]:
        """Those of ``runs``, of any method, that are this suite's: its tasks and seeds, at its budget, on its model.

        So a store that several suites share (the interventions reuse the paper suite's
        reference runs on S5) is scored one suite at a time.
        """
        wanted = {(task.id, task.budget.max_steps) for task in self.tasks()}
        return [r for r in runs if (r.task_id, r.max_steps) in wanted and r.seed < self.seeds and r.model == self.model]


SUITES: dict[str, Suite] = {
    suite.name: suite
    for suite in (
        Suite(
            name="quick",
            version=2,
            description="Real grokking on a laptop CPU: modular division at fraction 0.5, 2 seeds, 6,000 updates.",
            task_ids=("Z97-div-0.5-v1",),
            seeds=2,
            max_steps=6000,
            sizing=(
                "Chosen from the reference model's measured runs (docs/reproduction.md): AdamW memorizes "
                "Z97-div-0.5 by about 500 updates and reaches 99% validation at 3,800-4,200, so 6,000 updates "
                "hold the whole delay; Adam without weight decay stays at chance."
            ),
        ),
        Suite(
            name="smoke",
            version=1,
            description="A first check of a method: two tasks, 2 seeds, 200 updates; no grokking, a minute on a CPU.",
            task_ids=("Z97-add-0.5-v1", "S5-square-0.5-v1"),
            seeds=2,
            max_steps=200,
            sizing=(
                "Small enough that submit, validate and build run end to end in a minute or two on a laptop, "
                "so a broken method shows before a real suite's run; its numbers rank nothing."
            ),
        ),
        Suite(
            name="leaderboard",
            version=2,
            description=(
                "Four operations (add, sub, div mod 97 and the S5 product) at fractions 0.3, 0.5 and 0.7, "
                "3 seeds, 2·10^4 updates."
            ),
            task_ids=tuple(
                task_id(stem, f, LATEST_VERSION)
                for stem in ("Z97-add", "Z97-sub", "Z97-div", "S5-square")
                for f in (0.3, 0.5, 0.7)
            ),
            seeds=3,
            max_steps=20_000,
            sizing=(
                "Sized from the FLOP count (torch's FlopCounterMode, docs/benchmarks.md): "
                "3.6 GFLOP per update at batch 512 and 22-34 GFLOP per full evaluation, so the worst case, "
                "36 runs using all 2·10^4 updates, is about 3 PFLOP, or 5 TFLOP/s for 10 minutes: "
                "under a tenth of an H100's float32 peak. Its corners were measured on a CPU (seed 0, "
                "docs/reproduction.md): AdamW reaches 99% validation on Z97-div-0.3 at 14,584 updates "
                "(Grokfast-EMA at 5,922) and on S5-square-0.5 at 12,694; Adam reaches it on none of "
                "Z97-add-0.7 (best 69.9%), Z97-div-0.7 and S5-square-0.7; S5-square-0.3 is beyond AdamW and "
                "Grokfast-EMA within the budget. Measured on an NVIDIA H200: the reference recipe's 36 runs took "
                "232 s (the harness at about 2,300 updates/s summed, under a quarter of the target), and "
                "reached 99% on 11 of the 12 tasks, never on S5-square-0.3."
            ),
        ),
        Suite(
            name="interventions",
            version=1,
            description=(
                "The paper's Fig. 2 left: S5-square at fractions 0.05–0.95, 3 seeds, 10^5 updates, "
                "run once per intervention (INTERVENTIONS)."
            ),
            task_ids=tuple(task_id("S5-square", f, LATEST_VERSION) for f in FRACTIONS),
            seeds=3,
            sizing="The paper's Fig. 2 left: its operation, budget and seeds, on the registry's fraction grid.",
        ),
        Suite(
            name="paper",
            version=2,
            description="The paper's study: all 12 operations at fractions 0.05–0.95, 3 seeds, 10^5 updates.",
            task_ids=tuple(task_id(stem, f, LATEST_VERSION) for stem in OPERATIONS for f in FRACTIONS),
            seeds=3,
            sizing="The paper's study; days on one CPU, hours on one GPU.",
        ),
    )
}
"""Every suite, keyed by name."""


INTERVENTIONS: tuple[str, ...] = (
    "adam_full_batch.py",
    "adam.py",
    "adam_update_noise.py",
    "adam_dropout.py",
    "adamw.py",
    "adamw_decay_to_init.py",
    "adam_lr_3e-4.py",
    "adam_lr_3e-3.py",
    "adam_weight_noise.py",
)
"""The paper's Fig. 2 left interventions, as baseline files (``baselines/``), in the paper's order."""


def get_suite(name: str) -> Suite:
    """The suite ``name``, or an error that lists the suites that exist."""
    if name not in SUITES:
        raise error.Error(f"Unknown suite {name!r}; suites: {', '.join(SUITES)}.")
    return SUITES[name]
