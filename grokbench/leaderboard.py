"""The leaderboard: entries that anyone can submit, their validation, verification and the board.

An entry is a folder ``leaderboard/submissions/<name>/`` holding

- ``method.py``: the method, in the format of ``baselines/`` (``grokbench.methods``);
- ``metadata.json``: name, authors, description, link, hyperparameters, tuning notes;
- ``results.json``: every run of the suite (``RunResult.to_dict``), as written by ``grokbench submit``;
- ``summary.json``: what the scorer computes from those runs;
- ``environment.json``: grokbench, torch and Python versions, device, precision, model, suite
  and suite version, and the split hash of every task.

The schemas are pydantic models; their errors name the file, the field and what it should be.
The board (``leaderboard/README.md`` between markers, and ``leaderboard/index.html``) is
generated from the entries by ``grokbench leaderboard build`` and never edited by hand.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import importlib.metadata
import json
import math
import platform
import random
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter, ValidationError

import grokbench
from grokbench import error
from grokbench.architectures import get_model
from grokbench.methods import Method, MethodError, load_method, read_method, third_party_imports
from grokbench.results import CURVES, RunResult, decode_curves, first_ending
from grokbench.scoring import headline, score
from grokbench.store import Store
from grokbench.suites import Suite, get_suite
from grokbench.task import Task

if TYPE_CHECKING:  # the harness imports torch: only submit and verify need it, and import it then
    from grokbench.harness import ProgressCallback, ResultCallback

_CHECKOUT_BOARD = Path(__file__).resolve().parent.parent / "leaderboard"
LEADERBOARD = _CHECKOUT_BOARD if _CHECKOUT_BOARD.is_dir() else Path("leaderboard")
"""The board's folder: ``leaderboard/`` of a source checkout, else ``./leaderboard`` (a wheel install)."""
REFERENCE_ENTRY = "adamw"
"""The entry of the reference recipe; every other entry's headline is relative to it."""
START, END = "<!-- leaderboard:start -->", "<!-- leaderboard:end -->"
FILES = ("method.py", "metadata.json", "results.json", "summary.json", "environment.json")
TOLERANCE = {"best_val_acc": 0.02, "steps_relative": 0.1, "steps_absolute": 20}
"""How close re-run seeds must come to an entry's stored runs to verify it."""


class LeaderboardError(error.Error):
    """An entry is malformed, incomplete, out of date, or does not match its claims."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(_Strict):
    """``metadata.json``: who made the method and how it was tuned."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="the entry's folder name")
    authors: list[str] = Field(min_length=1)
    description: str = Field(min_length=1)
    link: HttpUrl | None = None
    hyperparameters: dict[str, Any]
    tuning_notes: str = ""
    dependencies: dict[str, str] = Field(
        default_factory=dict,
        description="pip packages the method imports, with their versions, e.g. {'lion-pytorch': '0.2.3'}",
    )


class Environment(_Strict):
    """``environment.json``: what produced the results."""

    grokbench_version: str
    torch_version: str
    python_version: str
    device: str
    precision: Literal["float32", "bfloat16"]
    model: str = Field(
        "gpt2-preln-v1",
        description="id of the model variant trained, e.g. grok-v1; absent in entries of grokbench 0.1, "
        "which all trained the model now named gpt2-preln-v1",
    )
    suite: str
    suite_version: int
    split_hashes: dict[str, str]
    method_sha256: str = Field(description="SHA-256 of method.py's bytes when the runs were made")
    hardware: str = Field(description="the CPU model and its instruction set, or the GPU, that made the runs")
    packages: dict[str, str] = Field(
        default_factory=dict, description="installed versions of the pip packages method.py imports"
    )


def _read(path: Path, model: Any) -> Any:
    if not path.is_file():
        raise LeaderboardError(f"{path}: missing; an entry needs {', '.join(FILES)}.")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LeaderboardError(f"{path}: not valid JSON: {exc}.") from exc
    return _validate(model, data, path)


def _validate(model: Any, data: Any, where: Path | str) -> Any:
    """Validate ``data`` as ``model``, with an error that names the file, the field and the fix."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        got = "" if first["type"] == "missing" else f" (got {first.get('input')!r})"
        raise LeaderboardError(f"{where}: field '{field}': {first['msg']}{got}.") from exc


def _summary(results: Sequence[RunResult]) -> dict:
    report = score(results)
    return {k: v for k, v in report.to_dict().items() if k in ("tasks", "curves")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def installed_packages(method_file: str | Path) -> dict[str, str]:
    """The pip distributions that provide the method file's third-party imports, with their versions."""
    providers = importlib.metadata.packages_distributions()
    found = {}
    for module in third_party_imports(method_file):
        for distribution in providers.get(module, []):
            found[distribution] = importlib.metadata.version(distribution)
    return dict(sorted(found.items()))


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n")


def submit(
    method_file: str | Path,
    metadata: dict[str, Any],
    suite: Suite,
    board: Path = LEADERBOARD,
    device: str | None = None,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
) -> Path:
    """Run ``suite`` for the method and write its entry folder; returns the folder.

    Runs go through a results store in ``<board>/.cache/<name>.sqlite`` first, so a killed
    submission resumes where it stopped.
    """
    import torch

    from grokbench.harness import hardware
    from grokbench.sweep import plan, run_sweep

    method = load_method(method_file)
    entry = board / "submissions" / metadata["name"]
    packages = installed_packages(method_file)
    metadata = {"dependencies": packages, **metadata}
    meta = _validate(Metadata, {**metadata, "hyperparameters": method.hyperparameters}, "metadata")
    with Store(board / ".cache" / f"{meta.name}.sqlite") as store:
        sweep = plan(method, suite.task_ids, range(suite.seeds), store, suite.max_steps, get_model(suite.model))
        run_sweep(sweep, store, device=device, progress=progress, on_result=on_result)
        results = sweep.results(store)
    entry.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(method_file, entry / "method.py")
    _write_json(entry / "metadata.json", json.loads(meta.model_dump_json(exclude_none=True)))
    _write_json(entry / "results.json", [r.to_dict() for r in results])
    _write_json(entry / "summary.json", _summary(results))
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
        method_sha256=_sha256(entry / "method.py"),
        hardware=hardware(results[0].device),
        packages=packages,
    )
    _write_json(entry / "environment.json", environment.model_dump())
    return entry


class Entry:
    """A validated entry: its files, parsed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = folder.name
        self.metadata: Metadata = _read(folder / "metadata.json", Metadata)
        self.environment: Environment = _read(folder / "environment.json", Environment)
        self.suite = get_suite(self.environment.suite)
        if self.environment.model != self.suite.model:  # before reading runs whose records may predate models
            raise LeaderboardError(
                f"{folder / 'environment.json'}: made with model {self.environment.model}, but the suite "
                f"{self.suite.name} v{self.suite.version} is scored with {self.suite.model}; results of different "
                "models are not comparable. Run `grokbench submit` again."
            )
        self.records: list[dict] = _read(folder / "results.json", list[dict])
        self.results: list[RunResult] = _validate(
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
        difference = _first_difference(stored, _summary(self.results))
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
        if env.method_sha256 != _sha256(self.folder / "method.py"):
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


class Verification(_Strict):
    """``verification.json``: a re-run that reproduced an entry, written by ``grokbench leaderboard verify``."""

    verified_at: str = Field(description="UTC date and time of the re-run")
    seeds: list[int] = Field(description="the seeds re-run, on every task of the suite")
    hardware: str = Field(description="what re-ran them")
    grokbench_version: str
    results_sha256: str = Field(description="SHA-256 of the results.json that was reproduced")
    method_sha256: str = Field(description="SHA-256 of the method.py that reproduced it")


def record_verification(entry: Entry, seeds: Sequence[int], device: str) -> Path:
    """Write the entry's ``verification.json`` after a re-run that reproduced it."""
    from grokbench.harness import hardware

    record = Verification(
        verified_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        seeds=list(seeds),
        hardware=hardware(device),
        grokbench_version=grokbench.__version__,
        results_sha256=_sha256(entry.folder / "results.json"),
        method_sha256=_sha256(entry.folder / "method.py"),
    )
    _write_json(entry.folder / "verification.json", record.model_dump())
    return entry.folder / "verification.json"


def verification(entry: Entry) -> Verification | None:
    """The entry's verification record, when it is one of its files as they are now."""
    path = entry.folder / "verification.json"
    if not path.is_file():
        return None
    record = _read(path, Verification)
    current = (_sha256(entry.folder / "results.json"), _sha256(entry.folder / "method.py"))
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


def _headline_text(entry: Entry, reference: Entry | None) -> tuple[float, str]:
    if reference is None or reference.environment.suite != entry.environment.suite:
        return 0.0, "n/a"
    result = headline(entry.results + reference.results, entry.method.name, reference.method.name)
    return result.median, f"{result.median:.2f} ({result.low:.2f}–{result.high:.2f})"


def board_rows(board_entries: Sequence[Entry]) -> list[list[str]]:
    """The ranked rows of the board: by suite, then headline speed-up, then mean best accuracy."""
    reference = next((e for e in board_entries if e.name == REFERENCE_ENTRY), None)
    ranked = []
    for entry in board_entries:
        speed, speed_text = _headline_text(entry, reference)
        report = score(entry.results)
        mean_best = sum(s.mean_best_val_acc for s in report.tasks) / len(report.tasks)
        reached = sum(math.isfinite(s.median_steps) for s in report.tasks)
        ranked.append(
            (entry.environment.suite, -speed, -mean_best, entry, speed_text, mean_best, reached, len(report.tasks))
        )
    ranked.sort(key=lambda row: row[:3])
    rows = []
    for rank, (suite, _, _, entry, speed_text, mean_best, reached, tasks) in enumerate(ranked, start=1):
        record = verification(entry)
        verified = f"{len(record.seeds)}/{entry.suite.seeds} seeds" if record else "no"
        rows.append([
            str(rank), entry.name, entry.method.name, ", ".join(entry.metadata.authors), speed_text,
            f"{100 * mean_best:.1f}", f"{reached}/{tasks}", f"{suite} v{entry.environment.suite_version}", entry.environment.device,
            verified,
        ])  # fmt: skip
    return rows


HEADERS = [
    "rank",
    "entry",
    "method",
    "authors",
    "speed-up vs AdamW",
    "mean best val %",
    "tasks at 99%",
    "suite",
    "device",
    "re-run verified",
]


def split_readme(text: str, where: Path) -> tuple[str, str, str]:
    """The board README's text before, between and after the markers."""
    if START not in text or END not in text:
        raise LeaderboardError(f"{where}: the markers {START} and {END} are missing.")
    head, rest = text.split(START, 1)
    block, tail = rest.split(END, 1)
    return head, block, tail


def board_block(rows: list[list[str]]) -> str:
    """What ``build`` writes between the markers."""
    from tabulate import tabulate

    table = tabulate(rows, headers=HEADERS, tablefmt="github") if rows else "No entries yet."
    note = "Generated by `grokbench leaderboard build` from `submissions/`; do not edit by hand."
    return f"\n<!-- {note} -->\n\n{table}\n\n"


def build(board: Path = LEADERBOARD) -> tuple[Path, Path]:
    """Regenerate the table in ``README.md`` and the page ``index.html`` with its figures."""
    from grokbench import plots

    board_entries = entries(board)
    rows = board_rows(board_entries)
    readme = board / "README.md"
    text = readme.read_text() if readme.is_file() else f"# grokbench leaderboard\n\n{START}\n{END}\n"
    head, _, tail = split_readme(text, readme)
    readme.write_text(f"{head}{START}{board_block(rows)}{END}{tail}")
    figures = board / "figures"
    shutil.rmtree(figures, ignore_errors=True)
    figures.mkdir()
    images = []
    for suite in dict.fromkeys(e.environment.suite for e in board_entries):
        report = score([r for e in board_entries if e.environment.suite == suite for r in e.results])
        for operation in dict.fromkeys(c.operation for c in report.curves):
            curves = [c for c in report.curves if c.operation == operation]
            images.append(
                plots.plot_efficiency(
                    curves,
                    figures / f"{suite}-efficiency-{operation}.png",
                    by="method",
                    title=f"{operation} ({suite} suite)",
                )
            )
        images.append(
            plots.plot_steps_per_task(
                report.tasks, figures / f"{suite}-steps.png", title=f"Steps to generalize ({suite} suite)"
            )
        )
    page = board / "index.html"
    page.write_text(_html(rows, images, board))
    return readme, page


def _html(rows: list[list[str]], images: list[Path], board: Path) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in HEADERS)
    figures = "".join(
        f'<figure><img src="{p.relative_to(board).as_posix()}" alt="{html.escape(p.stem)}"><figcaption>{html.escape(p.stem)}</figcaption></figure>\n'
        for p in images
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>grokbench leaderboard</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
td, th {{ border: 1px solid #ccc; padding: 0.3em 0.6em; }}
figure {{ display: inline-block; margin: 1em; }}
img {{ max-width: 640px; }}
</style>
</head>
<body>
<h1>grokbench leaderboard</h1>
<p>Generated by <code>grokbench leaderboard build</code> from the entries in <code>submissions/</code>.
Speed-up: geometric mean over tasks of the reference AdamW recipe's updates to 99% validation accuracy
divided by the entry's (a miss counts as twice the budget), median over seeds with the range.</p>
<table>
<thead><tr>{header}</tr></thead>
<tbody>
{cells}</tbody>
</table>
<h2>Figures</h2>
{figures}</body>
</html>
"""
