"""Validation of an entry: every check ``grokbench leaderboard validate`` makes, without training.

An entry's method is read statically (``methods.read_method``), so an entry whose method
needs a pip package is checked on a machine without it, and nothing here imports torch.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grokbench
from grokbench.leaderboard.schema import (
    FILES,
    HARDWARE_SEPARATOR,
    LEADERBOARD,
    Environment,
    LeaderboardError,
    Metadata,
    read_json,
    sha256,
    validate,
)
from grokbench.methods import Method, read_method, third_party_imports
from grokbench.results import CURVES, RunResult, decode_curves, first_ending
from grokbench.scoring import score
from grokbench.suites import get_suite
from grokbench.task import Task


def summary(results: Sequence[RunResult]) -> dict:
    """What ``summary.json`` holds: the scorer's report of the runs."""
    report = score(results)
    return {k: v for k, v in report.to_dict().items() if k in ("tasks", "curves")}


class Entry:
    """A validated entry: its files, parsed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.metadata: Metadata = read_json(folder / "metadata.json", Metadata)
        self.environment: Environment = read_json(folder / "environment.json", Environment)
        self.suite = get_suite(self.environment.suite)
        if self.environment.model != self.suite.model:  # before reading runs whose records may predate models
            raise LeaderboardError(
                f"{folder / 'environment.json'}: made with model {self.environment.model}, but the suite "
                f"{self.suite.name} v{self.suite.version} is scored with {self.suite.model}; results of different "
                "models are not comparable. Run `grokbench submit` again."
            )
        self.records: list[dict] = read_json(folder / "results.json", list[dict])
        self.results: list[RunResult] = validate(
            list[RunResult], [decode_curves(r) for r in self.records], folder / "results.json"
        )
        if not (folder / "method.py").is_file():
            raise LeaderboardError(f"{folder / 'method.py'}: missing; an entry needs {', '.join(FILES)}.")
        self.method: Method = read_method(folder / "method.py")  # without importing what it imports

    def check(self) -> None:
        """Raise ``LeaderboardError`` naming the first thing wrong with the entry."""
        where = self.folder
        if self.metadata.name != self.name:
            raise LeaderboardError(
                f"{where / 'metadata.json'}: field 'name' is {self.metadata.name!r} but the folder is {self.name!r}."
            )
        if self.metadata.hyperparameters != self.method.hyperparameters:
            raise LeaderboardError(
                f"{where / 'metadata.json'}: field 'hyperparameters' differs from HYPERPARAMETERS in method.py."
            )
        env = self.environment
        if env.suite_version != self.suite.version:
            raise LeaderboardError(
                f"{where / 'environment.json'}: suite {env.suite} v{env.suite_version} is out of date; the current version is v{self.suite.version}. Run `grokbench submit` again."
            )
        if env.grokbench_version != grokbench.__version__:
            raise LeaderboardError(
                f"{where / 'environment.json'}: made with grokbench {env.grokbench_version}, not the current {grokbench.__version__}. Run `grokbench submit` again."
            )
        expected = {(task, seed) for task in self.suite.tasks() for seed in range(self.suite.seeds)}
        runs = {(r.task_id, r.seed): r for r in self.results}
        if len(runs) != len(self.results):
            raise LeaderboardError(f"{where / 'results.json'}: a (task, seed) appears more than once.")
        for task, seed in sorted(expected, key=lambda pair: (pair[0].id, pair[1])):
            run = runs.get((task.id, seed))
            if run is None:
                raise LeaderboardError(
                    f"{where / 'results.json'}: no run of task {task.id} with seed {seed}; the suite {self.suite.name} v{self.suite.version} needs every task and seed."
                )
            if run.split_hash != task.split_hash or env.split_hashes.get(task.id) != task.split_hash:
                raise LeaderboardError(f"{where}: split hash of {task.id} is not the current {task.split_hash}.")
            if run.model != env.model:
                raise LeaderboardError(
                    f"{where / 'results.json'}: {task.id} seed {seed} trained model {run.model}, but the entry "
                    f"and the suite {self.suite.name} v{self.suite.version} use {self.suite.model}. "
                    "Run `grokbench submit` again."
                )
            if run.max_steps != task.budget.max_steps:
                raise LeaderboardError(
                    f"{where / 'results.json'}: {task.id} seed {seed} ran {run.max_steps} updates; the suite's budget is {task.budget.max_steps}."
                )
            if run.method != self.method.name or run.hyperparameter_hash != self.method.hyperparameter_hash:
                raise LeaderboardError(
                    f"{where / 'results.json'}: {task.id} seed {seed} was not run with method.py as it is now."
                )
            _check_curves(where / "results.json", run, task)
        self._check_provenance()
        _check_distinct_seeds(where / "results.json", self.results)
        for record, run in zip(self.records, self.results, strict=True):
            for derived, value in run.to_dict().items():
                if record.get(derived) != value:
                    raise LeaderboardError(
                        f"{where / 'results.json'}: {run.task_id} seed {run.seed}: field '{derived}' is {record.get(derived)!r} "
                        f"but its curves give {value!r}."
                    )
        if len(runs) != len(expected):
            raise LeaderboardError(
                f"{where / 'results.json'}: runs outside the suite {self.suite.name} v{self.suite.version}."
            )
        stored = json.loads((where / "summary.json").read_text()) if (where / "summary.json").is_file() else None
        if stored is None:
            raise LeaderboardError(f"{where / 'summary.json'}: missing; an entry needs {', '.join(FILES)}.")
        difference = _first_difference(stored, summary(self.results))
        if difference:
            raise LeaderboardError(
                f"{where / 'summary.json'}: {difference} is not what the scorer computes from results.json."
            )

    def _check_provenance(self) -> None:
        """The environment agrees with the runs and with method.py's bytes and imports."""
        where, env = self.folder / "environment.json", self.environment
        for name, claimed in (
            ("device", env.device),
            ("precision", env.precision),
            ("package_version", env.grokbench_version),
        ):
            differing = next((r for r in self.results if getattr(r, name) != claimed), None)
            if differing is not None:
                raise LeaderboardError(
                    f"{where}: says {name} {claimed!r}, but {differing.task_id} seed {differing.seed} in results.json "
                    f"ran with {getattr(differing, name)!r}."
                )
        named = env.hardware.split(HARDWARE_SEPARATOR)
        unnamed = next((r for r in self.results if r.hardware and r.hardware not in named), None)
        if unnamed is not None:
            raise LeaderboardError(
                f"{where}: field 'hardware' does not name {unnamed.hardware!r}, on which {unnamed.task_id} seed "
                f"{unnamed.seed} in results.json ran."
            )
        if env.method_sha256 != sha256(self.folder / "method.py"):
            raise LeaderboardError(
                f"{where}: field 'method_sha256' is not the SHA-256 of method.py: the method changed after its runs. "
                "Run `grokbench submit` again."
            )
        declared = {_normalize(name) for name in self.metadata.dependencies}
        providers_of = importlib.metadata.packages_distributions()
        for module in third_party_imports(self.folder / "method.py"):
            providers = providers_of.get(module, [module])
            if not declared & {_normalize(p) for p in providers}:
                raise LeaderboardError(
                    f"{self.folder / 'metadata.json'}: method.py imports {module}, but field 'dependencies' does not "
                    "declare the pip package that provides it (with its version)."
                )


def _normalize(distribution: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _check_curves(where: Path, run: RunResult, task: Task) -> None:
    """A run's curves are ones the harness can write: the task's schedule, counts over its splits, its status."""
    name = f"{run.task_id} seed {run.seed}"
    schedule = [int(s) for s in task.budget.eval_steps() if s <= run.updates]
    if run.steps != schedule or not run.steps:
        raise LeaderboardError(
            f"{where}: {name}: field 'steps' is not the task's evaluation schedule up to {run.updates}."
        )
    for curve in CURVES:
        if len(getattr(run, curve)) != len(run.steps):
            raise LeaderboardError(
                f"{where}: {name}: field '{curve}' has {len(getattr(run, curve))} values for {len(run.steps)} steps."
            )
    for curve, size in (("train_acc", len(task.train)), ("val_acc", len(task.validation))):
        for value in getattr(run, curve):
            if math.isfinite(value) and not (0 <= value <= 1 and abs(value * size - round(value * size)) < 1e-6 * size):
                raise LeaderboardError(
                    f"{where}: {name}: field '{curve}' holds {value!r}, which is not a count of correct answers "
                    f"out of {size} equations."
                )
    for curve in ("train_loss", "val_loss"):
        if any(value < 0 for value in getattr(run, curve)):
            raise LeaderboardError(f"{where}: {name}: field '{curve}' holds a negative loss.")
    end, status = first_ending(run, task.budget.max_steps)
    if end != len(run.steps) - 1 or status != run.status:
        raise LeaderboardError(
            f"{where}: {name}: field 'status' is {run.status!r}, but its curves end {status or 'running'!r} "
            f"at update {run.steps[end]}."
        )


def _check_distinct_seeds(where: Path, results: Sequence[RunResult]) -> None:
    """No two seeds of a task share their curves: each seed must be its own run."""
    seen: dict[tuple, RunResult] = {}
    for run in results:
        fingerprint = (run.task_id, *(tuple(getattr(run, curve)) for curve in CURVES))
        twin = seen.setdefault(fingerprint, run)
        if twin is not run:
            raise LeaderboardError(
                f"{where}: {run.task_id} seeds {twin.seed} and {run.seed} have identical curves; each seed must be its own run."
            )


def _first_difference(claimed: Any, computed: Any, path: str = "summary") -> str | None:
    if isinstance(computed, dict) and isinstance(claimed, dict):
        for key in computed.keys() | claimed.keys():
            found = _first_difference(claimed.get(key), computed.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(computed, list) and isinstance(claimed, list) and len(computed) == len(claimed):
        for i, (a, b) in enumerate(zip(claimed, computed, strict=True)):
            found = _first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if (
        isinstance(computed, float)
        and isinstance(claimed, (int, float))
        and math.isclose(claimed, computed, rel_tol=1e-9, abs_tol=1e-12)
    ):
        return None
    return None if claimed == computed else f"{path} = {claimed!r} (computed: {computed!r})"


def entries(board: Path = LEADERBOARD) -> list[Entry]:
    """Every entry of the board, checked; raises on the first invalid one."""
    if not (board / "submissions").is_dir():
        raise LeaderboardError(
            f"{board} is not a leaderboard: it has no submissions/ folder. Pass the board's folder with --board."
        )
    folders = sorted(p for p in (board / "submissions").iterdir() if p.is_dir())
    loaded = []
    for folder in folders:
        entry = Entry(folder)
        entry.check()
        loaded.append(entry)
    return loaded
