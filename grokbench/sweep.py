"""Sweeps: a method on every task and seed of a suite, trained stacked, stored as runs finish.

A sweep first looks up which runs its store already holds and trains only the others, so a
sweep that was killed resumes where it stopped; it claims each run before training it, so two
sweeps over the same store never train or store a run twice. Its stacks save checkpoints
beside the store (``<store>.stacks/``, every ``checkpoint_every_s`` seconds), so a killed sweep
loses at most the work since a stack's last checkpoint, not whole stacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grokbench import error
from grokbench.architectures import REFERENCE, Architecture, get_model
from grokbench.harness import ProgressCallback, ResultCallback, TrainingOptions, train_runs
from grokbench.methods import Method
from grokbench.results import RunResult, new_result, run_key
from grokbench.store import Store
from grokbench.suites import Suite, make_tasks
from grokbench.task import Task

Executor = Callable[..., list[RunResult]]
"""Trains runs: ``train_runs`` (here, the default) or ``grokbench.distributed.RayExecutor`` (on a Ray cluster)."""


@dataclass(frozen=True)
class SweepPlan:
    """The runs of a sweep: all of them, and those still missing from the store."""

    method: Method
    """The method trained."""
    model: Architecture
    """The model variant trained."""
    runs: list[tuple[Task, int]]
    """Every (task, seed) of the sweep."""
    keys: list[tuple]
    """The full store key of each run, in the order of ``runs``."""
    missing: list[tuple[Task, int]]
    """The runs the store does not hold yet."""

    def results(self, store: Store) -> list[RunResult]:
        """The sweep's runs as stored, in the order of ``runs``: exactly its keys, never another run's."""
        stored = {run_key(r): r for r in store.results([self.method.name])}
        return [stored[key] for key in self.keys if key in stored]


def plan(
    method: Method,
    task_ids: Sequence[str],
    seeds: Sequence[int],
    store: Store,
    max_steps: int | None = None,
    model: Architecture = REFERENCE,
) -> SweepPlan:
    """Which runs a sweep has, and which of them remain to be trained."""
    runs = [(task, seed) for task in make_tasks(task_ids, max_steps) for seed in seeds]
    keys = [run_key(new_result(task, seed, method, model=model)) for task, seed in runs]
    stored = store.keys()
    missing = [run for run, key in zip(runs, keys, strict=True) if key not in stored]
    return SweepPlan(method, model, runs, keys, missing)


def plan_suite(
    method: Method,
    suite: Suite,
    store: Store,
    model: Architecture | None = None,
    task_patterns: Sequence[str] = (),
    seeds: Sequence[int] = (),
) -> SweepPlan:
    """The sweep of ``method`` over ``suite``, on the suite's model unless ``model``: every task and seed, or
    the piece that ``task_patterns`` and ``seeds`` choose (``Suite.part``)."""
    task_ids, seeds = suite.part(task_patterns, seeds)
    return plan(method, task_ids, seeds, store, suite.max_steps, model or get_model(suite.model))


def train_plans(
    plans: Sequence[SweepPlan],
    store: Store,
    *,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
    executor: Executor = train_runs,
    milestones_dir: str | None = None,
    deadline: float | None = None,
    max_stack: int = TrainingOptions.max_stack,
) -> list[RunResult]:
    """Train what each sweep misses, then return every run of every sweep as stored, in order:
    the one run-and-collect step of ``grokbench run`` and ``grokbench submit``."""
    for sweep in plans:
        run_sweep(
            sweep,
            store,
            device=device,
            progress=progress,
            on_result=on_result,
            executor=executor,
            milestones_dir=milestones_dir,
            deadline=deadline,
            max_stack=max_stack,
        )
    return [result for sweep in plans for result in sweep.results(store)]


def stack_checkpoints(store: Store) -> Path:
    """The folder of the checkpoints of the stacks a sweep over ``store`` trains."""
    return store.path.with_name(store.path.name + ".stacks")


def run_sweep(
    sweep: SweepPlan,
    store: Store,
    *,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
    poll_s: float = 5.0,
    checkpoint_every_s: float = 300.0,
    executor: Executor = train_runs,
    milestones_dir: str | None = None,
    deadline: float | None = None,
    max_stack: int = TrainingOptions.max_stack,
) -> list[RunResult]:
    """Train the missing runs of ``sweep``, storing each as it finishes; return the runs this call trained.

    Runs that another process has claimed are left to it: this call waits until they are stored
    (or their process dies, and it claims them itself), or until ``deadline``.
    """
    keys = {(task.id, seed): key for (task, seed), key in zip(sweep.runs, sweep.keys, strict=True)}
    trained: list[RunResult] = []

    def finished(result: RunResult) -> None:
        store.add(result)  # once stored, nobody claims it again; its claim goes when the stack ends
        trained.append(result)
        if on_result is not None:
            on_result(result)

    options = TrainingOptions(
        device=device,
        model=sweep.model,
        checkpoint_dir=str(stack_checkpoints(store)),
        checkpoint_every_s=checkpoint_every_s,
        milestones_dir=milestones_dir,
        deadline=deadline,
        max_stack=max_stack,
    )
    pending = list(sweep.missing)
    while pending:
        mine = [run for run in pending if store.claim(keys[run[0].id, run[1]])]
        try:
            if mine:
                executor(mine, sweep.method, options, progress=progress, on_result=finished)
        finally:
            store.release(keys[run[0].id, run[1]] for run in mine)
        stored = store.keys()
        pending = [run for run in pending if keys[run[0].id, run[1]] not in stored]
        if pending and not mine:
            if deadline is not None and time.time() >= deadline:
                raise error.TimeLimit(
                    f"Stopped at the time limit waiting for {len(pending)} run(s) that another process claimed "
                    "(a store copied from another machine carries its claims): the runs finished here are kept."
                )
            time.sleep(poll_s)
    return trained
