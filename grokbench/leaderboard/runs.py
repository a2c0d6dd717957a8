"""Making an entry and re-running one: ``grokbench submit`` and ``grokbench leaderboard verify``."""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import platform
import random
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grokbench
from grokbench.architectures import get_model
from grokbench.leaderboard.checks import Entry, summary
from grokbench.leaderboard.schema import (
    HARDWARE_SEPARATOR,
    LEADERBOARD,
    Environment,
    LeaderboardError,
    Metadata,
    Verification,
    read_json,
    sha256,
    validate,
    write_json,
)
from grokbench.methods import MethodError, load_method, third_party_imports
from grokbench.results import RunResult
from grokbench.store import Store
from grokbench.suites import Suite

if TYPE_CHECKING:  # the harness imports torch: only submit and verify need it, and import it then
    from grokbench.harness import ProgressCallback, ResultCallback
    from grokbench.sweep import Executor, SweepPlan

TOLERANCE = {"best_val_acc": 0.02, "steps_relative": 0.1, "steps_absolute": 20}
"""How close re-run seeds must come to an entry's stored runs to verify it."""


def installed_packages(method_file: str | Path) -> dict[str, str]:
    """The pip distributions that provide the method file's third-party imports, with their versions."""
    providers = importlib.metadata.packages_distributions()
    found = {}
    for module in third_party_imports(method_file):
        for distribution in providers.get(module, []):
            found[distribution] = importlib.metadata.version(distribution)
    return dict(sorted(found.items()))


def submit(
    method_file: str | Path,
    metadata: dict[str, Any],
    suite: Suite,
    board: Path = LEADERBOARD,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
    executor: Executor | None = None,
    deadline: float | None = None,
    on_plan: Callable[[list[SweepPlan], Store], None] | None = None,
) -> Path:
    """Run ``suite`` for the method and write its entry folder; returns the folder.

    Runs go through a results store in ``<board>/.cache/<name>.sqlite`` first, so a killed
    submission, or one stopped at its ``deadline`` (``TrainingOptions.deadline``), resumes
    where it stopped. ``on_plan`` is told, before any training, which runs that store holds
    already and which it misses.
    """
    import torch

    from grokbench.devices import hardware
    from grokbench.harness import train_runs
    from grokbench.sweep import plan_suite, train_plans

    method = load_method(method_file)
    entry = board / "submissions" / metadata["name"]
    packages = installed_packages(method_file)
    metadata = {"dependencies": packages, **metadata}
    meta = validate(Metadata, {**metadata, "hyperparameters": method.hyperparameters}, "metadata")
    with Store(board / ".cache" / f"{meta.name}.sqlite") as store:
        sweep = plan_suite(method, suite, store)
        if on_plan is not None:
            on_plan([sweep], store)
        results = train_plans(
            [sweep],
            store,
            device=device,
            progress=progress,
            on_result=on_result,
            executor=executor or train_runs,
            deadline=deadline,
        )
    entry.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(method_file, entry / "method.py")
    write_json(entry / "metadata.json", json.loads(meta.model_dump_json(exclude_none=True)))
    write_json(entry / "results.json", [r.to_dict() for r in results])
    write_json(entry / "summary.json", summary(results))
    environment = Environment(
        grokbench_version=grokbench.__version__,
        torch_version=torch.__version__,
        python_version=platform.python_version(),
        device=results[0].device,
        precision=results[0].precision,
        model=suite.model,
        suite=suite.name,
        suite_version=suite.version,
        split_hashes={task.id: task.split_hash for task, _ in sweep.runs},
        method_sha256=sha256(entry / "method.py"),
        hardware=made_on(results, hardware(results[0].device)),
        packages=packages,
    )
    write_json(entry / "environment.json", environment.model_dump())
    return entry


def choose_seeds(entry: Entry, seeds: int | None) -> list[int]:
    """Seeds to re-run: ``seeds`` of the suite's seeds drawn at random, or all of them for None."""
    every = list(range(entry.suite.seeds))
    if seeds is None or seeds >= len(every):
        return every
    return sorted(random.SystemRandom().sample(every, seeds))


def verify(
    entry: Entry,
    seeds: Sequence[int],
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
) -> list[tuple[RunResult, RunResult, list[str]]]:
    """Re-run ``seeds`` of every task of an entry; return (stored, rerun, mismatches) per run."""
    try:
        method = load_method(entry.folder / "method.py")
    except MethodError as exc:
        if not isinstance(exc.__cause__, ModuleNotFoundError):
            raise
        needed = " ".join(f"{name}=={version}" for name, version in entry.metadata.dependencies.items())
        raise LeaderboardError(
            f"Re-running {entry.name} needs the pip packages it declares: pip install {needed} "
            "(`grokbench leaderboard requirements --install` installs those of every entry)."
        ) from exc
    from grokbench.harness import TrainingOptions, train_runs

    stored = {(r.task_id, r.seed): r for r in entry.results}
    runs = [(task, seed) for task in entry.suite.tasks() for seed in seeds]
    options = TrainingOptions(device=device, model=get_model(entry.suite.model))
    reruns = train_runs(runs, method, options, progress=progress, on_result=on_result)
    return [(stored[r.task_id, r.seed], r, _mismatches(stored[r.task_id, r.seed], r)) for r in reruns]


def made_on(results: Sequence[RunResult], here: str) -> str:
    """The hardware that made ``results``, as their records name it (``here`` for records that do not), joined
    when several: a submission's store may hold runs from several machines, or from before a resume."""
    return HARDWARE_SEPARATOR.join(sorted({r.hardware or here for r in results}))


def record_verification(entry: Entry, seeds: Sequence[int], device: str) -> Path:
    """Write the entry's ``verification.json`` after a re-run that reproduced it."""
    from grokbench.devices import hardware

    record = Verification(
        verified_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        seeds=list(seeds),
        hardware=hardware(device),
        grokbench_version=grokbench.__version__,
        results_sha256=sha256(entry.folder / "results.json"),
        method_sha256=sha256(entry.folder / "method.py"),
    )
    write_json(entry.folder / "verification.json", record.model_dump())
    return entry.folder / "verification.json"


def verification(entry: Entry) -> Verification | None:
    """The entry's verification record, when it is one of its files as they are now."""
    path = entry.folder / "verification.json"
    if not path.is_file():
        return None
    record = read_json(path, Verification)
    current = (sha256(entry.folder / "results.json"), sha256(entry.folder / "method.py"))
    return record if (record.results_sha256, record.method_sha256) == current else None


def _mismatches(claimed: RunResult, rerun: RunResult) -> list[str]:
    problems = []
    if abs(claimed.best_val_acc - rerun.best_val_acc) > TOLERANCE["best_val_acc"]:
        problems.append(f"best validation accuracy {claimed.best_val_acc:.4f} vs {rerun.best_val_acc:.4f}")
    a, b = claimed.steps_to_99_val, rerun.steps_to_99_val
    if (a is None) != (b is None) or (
        a is not None and abs(a - b) > max(TOLERANCE["steps_absolute"], TOLERANCE["steps_relative"] * a)
    ):
        problems.append(f"steps to 99% validation {a} vs {b}")
    return problems
