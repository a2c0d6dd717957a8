"""Sweeps: a method on every task and seed of a suite, trained stacked, stored as runs finish.

A sweep first looks up which runs its store already holds and trains only the others, so a
sweep that was killed resumes where it stopped, and two sweeps over the same store never train
or store a run twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grokbench.harness import ProgressCallback, ResultCallback, RunResult, new_result, train_runs
from grokbench.methods import Method
from grokbench.store import Store, run_key
from grokbench.suites import make_tasks
from grokbench.task import Task


@dataclass(frozen=True)
class SweepPlan:
    """The runs of a sweep: all of them, and those still missing from the store."""

    runs: list[tuple[Task, int]]
    """Every (task, seed) of the sweep."""
    missing: list[tuple[Task, int]]
    """The runs the store does not hold yet."""


def plan(
    method: Method, task_ids: Sequence[str], seeds: Sequence[int], store: Store, max_steps: int | None = None
) -> SweepPlan:
    """Which runs a sweep has, and which of them remain to be trained."""
    runs = [(task, seed) for task in make_tasks(task_ids, max_steps) for seed in seeds]
    stored = store.keys()
    missing = [run for run in runs if _key(method, *run) not in stored]
    return SweepPlan(runs, missing)


def _key(method: Method, task: Task, seed: int) -> tuple:
    return run_key(new_result(task, seed, method))


def run_sweep(
    method: Method,
    sweep: SweepPlan,
    store: Store,
    *,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
) -> list[RunResult]:
    """Train the missing runs of ``sweep``, storing each as it finishes; return the new results."""

    def finished(result: RunResult) -> None:
        store.add(result)
        if on_result is not None:
            on_result(result)

    return train_runs(sweep.missing, method, device=device, progress=progress, on_result=finished)
