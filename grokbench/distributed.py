"""Sweeps on Ray: every stack of a sweep is one Ray task, and the driver alone writes the store.

``RayExecutor`` trains runs as ``harness.train_runs`` does, on a Ray cluster (or a local Ray
instance): the runs are cut into the same stacks (``harness.stacks``), each stack goes to a
worker as a Ray task, and each task returns its runs' results to the driver, which hands them
to the sweep (``sweep.run_sweep``) that stores them, so the SQLite store stays the single,
crash-safe source of truth and no worker needs to reach it.

Resources: a stack asks for one CPU where the cluster has no GPU. Where it has GPUs, a stack
asks for a share of one proportional to its size, ``runs / max_stack`` rounded up to eighths
(a full stack of 128 runs takes a whole GPU, a stack of 16 runs an eighth), so small stacks
share a GPU: a stack is sized to fill one GPU, and the memory of a run (its parameters,
optimizer state and activations at batch 512) is small beside a GPU's.

Faults: Ray retries a task whose worker died (a killed process, a lost node) up to
``max_retries`` times; a stack that still fails is reported, with its runs, in one error at
the end, after every other stack has finished and been stored. A driver that is killed and
started again plans the sweep from the store, so it trains only what the store lacks.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grokbench import error
from grokbench.harness import ProgressCallback, ResultCallback, TrainingOptions, stacks, train_runs
from grokbench.methods import Method, load_method
from grokbench.registration import make
from grokbench.results import RunResult, new_result
from grokbench.task import Task

INSTALL = 'pip install "grokbench[ray]"'
REPORT_EVERY_S = 0.5
"""How often a worker reports its stack's progress to the driver."""


def import_ray() -> Any:
    """The ``ray`` module, or an error that says how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise error.Error(f"Training on Ray needs the optional extra: {INSTALL}.") from exc
    return ray


def gpu_share(runs: int, max_stack: int) -> float:
    """The share of a GPU a stack of ``runs`` asks for: its part of a full stack, in eighths."""
    return min(1.0, math.ceil(8 * runs / max_stack) / 8)


class _Progress:
    """A Ray actor that gathers the workers' progress: per stack, updates done since last taken."""

    def __init__(self) -> None:
        self.pending: dict[int, list[int]] = {}

    def report(self, stack: int, step: int, updates: int, runs: int) -> None:
        previous = self.pending.get(stack, [0, 0, 0])
        self.pending[stack] = [step, previous[1] + updates, runs]

    def take(self) -> dict[int, list[int]]:
        taken, self.pending = self.pending, {}
        return taken


def _train_stack(
    method_name: str,
    method_source: str,
    runs: list[tuple[str, dict, int]],
    options: TrainingOptions,
    reporter: Any,
    stack: int,
) -> list[RunResult]:
    """A worker's task: rebuild the method and the tasks, train the stack, return its results."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / method_name
        path.write_text(method_source)
        method = load_method(path)
    tasks = [(make(task_id, **overrides), seed) for task_id, overrides, seed in runs]
    last = [time.monotonic(), 0]

    def progress(step: int, active: list[RunResult]) -> None:
        last[1] += 1
        if time.monotonic() - last[0] >= REPORT_EVERY_S:
            reporter.report.remote(stack, step, last[1], len(active))
            last[:] = [time.monotonic(), 0]

    results = train_runs(tasks, method, options, progress=progress)
    reporter.report.remote(stack, results[0].updates, last[1], 0)
    return results


@dataclass(frozen=True)
class RayExecutor:
    """Trains runs as ``train_runs`` does, one Ray task per stack (see the module's docs)."""

    address: str | None = None
    """A Ray cluster to join (``ray://host:10001``, ``auto``); None starts a local instance."""
    max_retries: int = 3
    """Times Ray retries a stack whose worker died before its runs are reported as failed."""
    num_cpus: int | None = None
    """CPUs of a local instance (None: all); ignored when joining a cluster."""

    def __call__(
        self,
        runs: Sequence[tuple[Task, int]],
        method: Method,
        options: TrainingOptions | None = None,
        *,
        progress: ProgressCallback | None = None,
        on_result: ResultCallback | None = None,
    ) -> list[RunResult]:
        """Train ``runs`` on Ray; results come back (and go to ``on_result``) as each stack's task returns."""
        ray = import_ray()
        if not ray.is_initialized():
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus, include_dashboard=False)
        options = options or TrainingOptions()
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0
        reporter = ray.remote(_Progress).remote()
        task = ray.remote(_train_stack)
        source = Path(method.source)
        source_text = source.read_text()  # read once, shipped with every stack
        results: list[RunResult | None] = [None] * len(runs)
        placeholders, pending = {}, {}
        for number, members in enumerate(stacks(runs, options.max_stack)):
            specs = [(runs[i][0].spec.id, dict(runs[i][0].spec.overrides), runs[i][1]) for i in members]
            resources = {"num_gpus": gpu_share(len(members), options.max_stack)} if has_gpus else {"num_cpus": 1}
            reference = task.options(max_retries=self.max_retries, **resources).remote(
                source.name, source_text, specs, options, reporter, number
            )
            pending[reference] = (number, members)
            placeholders[number] = [new_result(*runs[i], method) for i in members]
        failed = []
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1, timeout=REPORT_EVERY_S)
            if progress is not None:
                for number, (step, updates, active) in ray.get(reporter.take.remote()).items():
                    for done_before in range(updates - 1, -1, -1):  # the updates up to ``step``, in order
                        progress(step - done_before, placeholders[number][:active])
            for reference in done:
                number, members = pending.pop(reference)
                try:
                    stack_results = ray.get(reference)
                except ray.exceptions.RayError as exc:
                    failed.append((members, exc))
                    continue
                for position, result in zip(members, stack_results, strict=True):
                    results[position] = result
                    if on_result is not None:
                        on_result(result)
        if failed:
            lines = [
                f"  {runs[i][0].id} seed {runs[i][1]}: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                for members, exc in failed
                for i in members
            ]
            raise error.Error(
                f"{len(lines)} run(s) failed on Ray after {self.max_retries} retries; they are not stored, and "
                "running the sweep again retries them:\n" + "\n".join(lines)
            )
        return [r for r in results if r is not None]
