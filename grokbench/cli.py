"""The ``grokbench`` command line."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import grokbench
from grokbench import error
from grokbench.results import PRECISIONS

if TYPE_CHECKING:  # imported by the commands that need them: `score` and `validate` load no torch
    from grokbench.architectures import Architecture
    from grokbench.harness import TrainingOptions
    from grokbench.methods import Method
    from grokbench.store import Store
    from grokbench.suites import Suite
    from grokbench.sweep import SweepPlan
    from grokbench.task import Task


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn grokbench errors into a one-line message and exit code 1, with no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except error.Error as exc:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            failure = click.ClickException(str(exc))
            if isinstance(exc, error.TimeLimit):
                failure.exit_code = 3  # stopped, not failed: a job script runs the command again
            raise failure from exc

    return wrapper


method_option = click.option(
    "--method",
    "method_file",
    type=click.Path(dir_okay=False),
    help="Method file (default: baselines/adamw.py, the paper's recipe).",
)
device_option = click.option("--device", help="torch device (default: cuda if available, else cpu).")
ray_option = click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Train the stacks as Ray tasks: alone, on a local Ray instance; with an address, on that cluster "
    '(needs pip install "grokbench[ray]").',
)


time_limit_option = click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop training after SECONDS (a job's time limit): finished runs are kept, the stack in training "
    "is saved, and the same command resumes it. Exit status 3.",
)


def _deadline(time_limit: float | None, ray_address: str | None) -> float | None:
    """The wall-clock time at which training stops, for ``--time-limit`` (local training only)."""
    if time_limit is None:
        return None
    if ray_address is not None:
        raise error.Error("--time-limit stops local training; on Ray, use the cluster's job time limit instead.")
    return time.time() + time_limit


concurrent_stacks_option = click.option(
    "--concurrent-stacks",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Train N stacks at once, taking turns update by update, each on its own CUDA stream, so that small "
    "stacks fill a GPU together; the same numbers as one stack after another.",
)


def _executor(ray_address: str | None, concurrent_stacks: int = 1):
    """``train_runs`` (with ``concurrent_stacks`` stacks at once), or a Ray executor for ``--ray [ADDRESS]``
    (checking Ray is installed before any work)."""
    from grokbench.harness import train_runs

    if ray_address is None:
        if concurrent_stacks == 1:
            return train_runs
        return lambda runs, method, options, **callbacks: train_runs(
            runs, method, dataclasses.replace(options, concurrent_stacks=concurrent_stacks), **callbacks
        )
    if concurrent_stacks != 1:
        raise error.Error("--concurrent-stacks trains stacks side by side in this process; on Ray, stacks share GPUs.")
    from grokbench.distributed import RayExecutor, import_ray

    import_ray()
    return RayExecutor(None if ray_address == "local" else ray_address)


model_option = click.option(
    "--model",
    "model_id",
    default="grok-v1",
    show_default=True,
    help="Model variant (grokbench.model.MODELS): the reference grok-v1, or another for architecture studies.",
)


@click.group()
@click.version_option(grokbench.__version__, prog_name="grokbench")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error (a method file's own included).")
def main(debug: bool) -> None:
    """grokbench: a benchmark suite for grokking on small algorithmic datasets."""


@main.command("list")
def list_tasks() -> None:
    """List the registered operations and their fractions."""
    grokbench.pprint_registry()


@main.command()
@click.argument("task_id")
@click.option(
    "--corner",
    default=8,
    show_default=True,
    type=click.IntRange(min=1),
    help="Rows and columns of the operation table to show.",
)
@friendly_errors
def info(task_id: str, corner: int) -> None:
    """Show a task's spec, sizes, split hash, budget and a corner of its table."""
    task = grokbench.make(task_id)
    budget = task.budget
    click.echo(task.spec.pprint())
    click.echo(f"formula: {task.formula}")
    click.echo(f"equations: {task.num_equations} (train {len(task.train)}, validation {len(task.validation)})")
    click.echo(f"vocabulary: {len(task.symbols)} symbols + {task.vocab[-2]!r}, {task.vocab[-1]!r}")
    click.echo(f"split_hash: {task.split_hash}")
    click.echo(
        f"budget: {budget.max_steps} updates, batch {budget.batch_size}, warmup {budget.warmup_steps}, "
        f"{len(budget.eval_steps())} evaluations"
    )
    click.echo(f"\nTable corner (blank: validation, ·: outside the domain):\n{task.table(corner, corner)}")


@main.command()
@click.argument("task_id")
@method_option
@click.option(
    "--seeds", default=1, show_default=True, type=click.IntRange(min=1), help="Seeds 0..N-1, trained stacked."
)
@click.option("--max-steps", type=click.IntRange(min=1), help="Override the task's budget of updates.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder for results.json and curves.png (default: runs/<task id>)."
)
@device_option
@model_option
@click.option(
    "--precision",
    type=click.Choice(PRECISIONS),
    default=PRECISIONS[0],
    show_default=True,
    help="float32 is the reference; tf32 (CUDA matmuls) and bfloat16 autocast are recorded options for speed.",
)
@click.option("--no-early-stop", is_flag=True, help="Train for the whole budget even after 100% validation accuracy.")
@click.option(
    "--no-checkpoints",
    is_flag=True,
    help="Do not keep each run's parameters at its milestones in <out>/checkpoints/ (about 7 MB a run).",
)
@friendly_errors
def train(
    task_id: str,
    method_file: str | None,
    seeds: int,
    max_steps: int | None,
    out: str | None,
    device: str | None,
    model_id: str,
    precision: str,
    no_early_stop: bool,
    no_checkpoints: bool,
) -> None:
    """Train a method on one task and plot its grokking curve."""
    from grokbench.architectures import get_model
    from grokbench.devices import resolve_device
    from grokbench.harness import TrainingOptions
    from grokbench.methods import DEFAULT_METHOD, load_method

    task = grokbench.make(task_id, **({"max_steps": max_steps} if max_steps else {}))
    method = load_method(method_file or DEFAULT_METHOD)
    folder = Path(out or Path("runs") / task.id)
    options = TrainingOptions(
        device=str(resolve_device(device)),
        precision=precision,
        model=get_model(model_id),
        early_stop=not no_early_stop,
        milestones_dir=None if no_checkpoints else str(folder / "checkpoints"),
    )
    with output_folder(folder) as folder:
        _train_into(folder, task, method, seeds, options)


def _train_into(folder: Path, task: Task, method: Method, seeds: int, options: TrainingOptions) -> None:
    """Train ``seeds`` runs of ``method`` on ``task``; write results.json and curves.png into ``folder``."""
    import json

    from tqdm import tqdm

    from grokbench.harness import train_runs
    from grokbench.report import run_summary_table

    click.echo(f"{task}\nmethod: {method.name} {method.hyperparameters}\nmodel: {options.model.id}")
    bar = tqdm(total=task.budget.max_steps * seeds, unit="update", desc=task.id)
    evaluations = [0]

    def progress(step: int, active: list) -> None:
        bar.update(len(active))
        if active and len(active[0].steps) != evaluations[0]:
            evaluations[0] = len(active[0].steps)
            train_acc = min(r.train_acc[-1] for r in active)
            val_acc = min(r.val_acc[-1] for r in active)
            bar.set_postfix(step=step, train=f"{100 * train_acc:.1f}%", val=f"{100 * val_acc:.1f}%", runs=len(active))

    with bar:  # closed (ending its line) before an error is printed
        results = train_runs([(task, seed) for seed in range(seeds)], method, options, progress=progress)
    click.echo(run_summary_table(results))
    (folder / "results.json").write_text(json.dumps([r.to_dict() for r in results], indent=1, allow_nan=False))
    click.echo(f"Curves: {folder / 'results.json'}")
    from grokbench.plots import plot_accuracy_curves

    try:
        png = plot_accuracy_curves(results, folder / "curves.png", title=f"{task.id}: {method.name}")
    except ModuleNotFoundError as exc:
        if exc.name != "matplotlib":
            raise
        click.echo("Install the plot extra (pip install -e '.[plot]') for curves.png.")
        return
    click.echo(f"Plot: {png}")


@contextlib.contextmanager
def output_folder(folder: Path) -> Iterator[Path]:
    """Create ``folder`` for a command's output; remove it again if the command fails leaving it empty."""
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error.Error(
            f"Cannot create the output folder {folder}: {exc.strerror}. Choose another with --out."
        ) from exc
    try:
        yield folder
    except BaseException:
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise


class SweepProgress:
    """A progress bar over the updates left to train and over runs, driven by the harness callbacks.

    A stack resumed from its checkpoint starts at the update it was saved at: the updates it
    trained before are taken off the bar's total, so the rate and the time left are this call's.
    Closing it says how many runs this call trained and in how long: what a suite costs on this
    machine, the measure by which suites are sized.
    """

    def __init__(self) -> None:
        self.bar: Any = None
        self.total_runs = self.done_runs = self.finished = 0
        self.started = time.perf_counter()
        self._seen: dict[int, Any] = {}  # every run's result seen, by id: held, so that no later result takes an id

    def planned(self, plans: list[SweepPlan], store: Store) -> None:
        """Say how many runs of the sweeps ``plans`` the store holds already, and expect the others."""
        total_runs = sum(len(p.runs) for p in plans)
        missing = [run for p in plans for run in p.missing]
        click.echo(
            f"{total_runs - len(missing)} of {total_runs} runs already in {store.path}; training {len(missing)}."
        )
        self.expect(sum(task.budget.max_steps for task, _ in missing), total_runs, total_runs - len(missing))

    def expect(self, total_updates: int, total_runs: int, done_runs: int) -> None:
        """Start the bar: ``total_updates`` to train, ``done_runs`` of ``total_runs`` done before."""
        from tqdm import tqdm

        self.bar = tqdm(total=total_updates, unit="update", desc="sweep")
        self.total_runs = total_runs
        self.done_runs = self.finished = done_runs

    def progress(self, step: int, active: list) -> None:
        """The harness's progress callback: every run of ``active`` has made update ``step``."""
        if active and id(active[0]) not in self._seen:  # a stack's first update here: resumed if past update 1
            self.bar.total -= (step - 1) * len(active)
            self._seen.update((id(result), result) for result in active)
        self.bar.update(len(active))

    def on_result(self, result) -> None:
        """The harness's result callback: ``result`` has finished."""
        self.finished += 1
        self.bar.total -= result.max_steps - result.updates  # an early stop frees the rest of its budget
        self.bar.set_postfix(
            runs=f"{self.finished}/{self.total_runs}", last=f"{result.task_id} seed {result.seed}: {result.status}"
        )

    def close(self) -> None:
        """End the bar's line and say what this call trained."""
        if self.bar is not None:
            self.bar.close()
        click.echo(f"Trained {self.finished - self.done_runs} run(s) in {time.perf_counter() - self.started:.0f} s.")


@main.command()
@click.option(
    "--suite",
    "suite_name",
    default="quick",
    show_default=True,
    help="Suite to run: quick, smoke, leaderboard, interventions or paper.",
)
@method_option
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder for the report and figures (default: runs/<suite>)."
)
@click.option(
    "--store", "store_path", type=click.Path(dir_okay=False), help="Results store (default: <out>/results.sqlite)."
)
@click.option(
    "--task",
    "task_patterns",
    multiple=True,
    metavar="GLOB",
    help="Only the suite's tasks whose id matches GLOB, e.g. 'Z97-div-*' (repeatable): a piece of the suite, "
    "trained into the same store as the rest.",
)
@click.option(
    "--seed", "seeds", multiple=True, type=click.IntRange(min=0), help="Only this of the suite's seeds (repeatable)."
)
@device_option
@ray_option
@concurrent_stacks_option
@time_limit_option
@click.option(
    "--max-stack",
    type=click.IntRange(min=1),
    help="Most runs trained as one computation (default 128); fewer make each stack finish sooner and its saved "
    "state smaller.",
)
@click.option(
    "--checkpoints",
    "keep_checkpoints",
    is_flag=True,
    help="Keep each run's parameters at its milestones in <out>/checkpoints/ (about 7 MB a run).",
)
@click.option(
    "--model",
    "model_id",
    help="Model variant instead of the suite's (grokbench.model.MODELS), for architecture studies.",
)
@click.option(
    "--plan",
    "plan_only",
    is_flag=True,
    help="Print which of the suite's runs (or the piece's) the store holds and which remain, per operation; "
    "train and write nothing.",
)
@friendly_errors
def run(
    suite_name: str,
    method_file: str | None,
    out: str | None,
    store_path: str | None,
    task_patterns: tuple[str, ...],
    seeds: tuple[int, ...],
    device: str | None,
    ray_address: str | None,
    concurrent_stacks: int,
    time_limit: float | None,
    max_stack: int | None,
    keep_checkpoints: bool,
    model_id: str | None,
    plan_only: bool,
) -> None:
    """Train a method (and the reference) on a suite, score it, and write the report and figures.

    A piece of the suite (--task, --seed) trains only its runs, but the report covers every run of the suite
    that the store holds for these methods, so the folder's report grows piece by piece instead of shrinking.
    """
    from grokbench.architectures import get_model
    from grokbench.devices import resolve_device
    from grokbench.methods import DEFAULT_METHOD, load_method
    from grokbench.report import terminal_text, write_report
    from grokbench.scoring import score
    from grokbench.store import Store
    from grokbench.suites import get_suite
    from grokbench.sweep import plan_suite, train_plans

    suite = get_suite(suite_name)
    suite.part(task_patterns, seeds)  # a piece that does not exist fails before any output
    deadline = _deadline(time_limit, ray_address)
    folder = Path(out or Path("runs") / suite.name)
    store_file = Path(store_path or folder / "results.sqlite")
    reference = load_method(DEFAULT_METHOD)
    methods = [reference] if method_file is None else [load_method(method_file), reference]
    methods = list({m.name: m for m in methods}.values())
    model = get_model(model_id or suite.model)
    device = str(resolve_device(device))
    click.echo(f"Suite {suite.name} v{suite.version}: {suite.description}\nModel: {model.id}")
    if plan_only:
        click.echo(_remaining_text(methods, suite, model, store_file, task_patterns, seeds))
        return
    executor = _executor(ray_address, concurrent_stacks)
    with output_folder(folder), Store(store_file) as store:
        plans = [plan_suite(m, suite, store, model, task_patterns, seeds) for m in methods]
        sweep_progress = SweepProgress()
        sweep_progress.planned(plans, store)
        try:
            results = train_plans(
                plans,
                store,
                device=device,
                progress=sweep_progress.progress,
                on_result=sweep_progress.on_result,
                executor=executor,
                milestones_dir=str(folder / "checkpoints") if keep_checkpoints else None,
                deadline=deadline,
                **({"max_stack": max_stack} if max_stack else {}),
            )
        finally:  # the bar's line ends before an error (the time limit's, say) is printed
            sweep_progress.close()
        if task_patterns or seeds:  # exactly the runs the whole suite would reuse: same keys, none stale
            piece = len(results)
            results = [r for m in methods for r in plan_suite(m, suite, store, model).results(store)]
            click.echo(
                f"This piece holds {piece} of the {len(results)} runs of the suite in the store; the report covers all {len(results)}."
            )
    report = score(results, reference=reference.name)
    click.echo(terminal_text(report))
    path = write_report(report, folder, title=f"grokbench {suite.name} suite (v{suite.version})")
    click.echo(f"Report: {path}")


def _remaining_text(
    methods: list[Method],
    suite: Suite,
    model: Architecture,
    store_path: Path,
    task_patterns: tuple[str, ...],
    seeds: tuple[int, ...],
) -> str:
    """What remains to train of a suite (or a piece of it) for ``methods``, read from the store at
    ``store_path``, which need not exist yet; nothing is written there."""
    from grokbench.report import remaining_table
    from grokbench.store import Store
    from grokbench.sweep import plan_suite

    with contextlib.ExitStack() as stack:
        if store_path.is_file():
            store, where = stack.enter_context(Store(store_path, read_only=True)), str(store_path)
        else:  # an empty store of its own, so that every run counts as remaining
            empty = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            store, where = stack.enter_context(Store(empty / "results.sqlite")), f"{store_path} (not created yet)"
        plans = [plan_suite(m, suite, store, model, task_patterns, seeds) for m in methods]
    total, missing = sum(len(p.runs) for p in plans), [task for p in plans for task, _ in p.missing]
    return (
        f"{total - len(missing)} of {total} runs held in {where}; {len(missing)} to train, "
        f"at most {sum(task.budget.max_steps for task in missing):,} updates.\n{remaining_table(plans)}"
    )


@main.command()
@click.argument("run", type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Folder for the figures (default: the run's folder).")
@friendly_errors
def embed(run: str, out: str | None) -> None:
    """Draw what a run learned (the paper's Fig. 3 and, for Z97, a Fourier view) from its checkpoints.

    RUN is a run's folder under <out>/checkpoints/, kept by `grokbench train` (or `grokbench run --checkpoints`).
    """
    from grokbench.interpret import draw

    for path in draw(run, out or run):
        click.echo(f"Figure: {path}")


@main.command("score")
@click.option(
    "--store", "store_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Results store."
)
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder for the report and figures (default: beside the store)."
)
@click.option("--reference", default="AdamW (reference)", show_default=True, help="Method to compare the others with.")
@click.option(
    "--suite",
    "suite_name",
    help="Score only this suite's runs (its tasks, seeds, budget and model), of a store that several suites share.",
)
@click.option(
    "--method", "method_names", multiple=True, help="Score only this method's runs (repeatable; its NAME, as stored)."
)
@friendly_errors
def score_command(
    store_path: str, out: str | None, reference: str, suite_name: str | None, method_names: tuple[str, ...]
) -> None:
    """Score the runs in a store and rewrite the report and figures, without training."""

    from grokbench.report import terminal_text, write_report
    from grokbench.scoring import score, table_order
    from grokbench.store import Store
    from grokbench.suites import get_suite

    suite = get_suite(suite_name) if suite_name else None
    with Store(store_path, read_only=True) as store:
        stored_methods = store.methods()
        for name in method_names:  # before any record is read: a misspelt name costs nothing
            if name not in stored_methods:
                raise click.ClickException(
                    f"The store {store_path} holds no runs of method {name!r}; its methods: {', '.join(stored_methods)}."
                )
        results = store.results(method_names or None)
    if suite is not None:
        results = suite.runs_among(results)
    if not results:
        raise click.ClickException(f"The store {store_path} holds no runs{f' of suite {suite_name}' if suite else ''}.")
    report = score(table_order(results), reference=reference)
    click.echo(terminal_text(report))
    click.echo(f"Report: {write_report(report, Path(out or Path(store_path).parent), title='grokbench report')}")


@main.command("runs")
@click.option(
    "--store", "store_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Results store."
)
@friendly_errors
def runs_command(store_path: str) -> None:
    """List the runs a store holds."""
    from grokbench.report import runs_table
    from grokbench.store import Store

    with Store(store_path, read_only=True) as store:
        click.echo(runs_table(store.results()))


@main.command("merge")
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--into",
    "target",
    required=True,
    type=click.Path(dir_okay=False),
    help="The store the runs go into (made if missing).",
)
@friendly_errors
def merge_command(sources: tuple[str, ...], target: str) -> None:
    """Add to a store the runs of SOURCES (stores) that it lacks; a run it holds already stays as it is.

    For the pieces of one sweep trained on several machines: a store that came back from a GPU
    machine is merged into the one that kept growing here, so neither side's runs are lost.
    """
    from grokbench.store import Store

    with Store(target) as into:
        for source in sources:
            if Path(source).resolve() == into.path.resolve():
                raise click.ClickException(f"{source} is the store merged into: name another store after --into.")
            with Store(source, read_only=True) as other:
                added, held = into.add_missing(other)
            click.echo(f"{source}: {added} run(s) added to {target}, {held} already there.")


def _board_option(command):
    from grokbench.leaderboard import LEADERBOARD

    return click.option(
        "--board",
        type=click.Path(file_okay=False),
        default=str(LEADERBOARD),
        show_default=True,
        help="The leaderboard folder.",
    )(command)


@main.command()
@click.argument("method_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", required=True, help="Entry name: lower-case letters, digits, '.', '_' and '-'.")
@click.option("--suite", "suite_name", default="leaderboard", show_default=True, help="Suite to run.")
@click.option("--author", "authors", multiple=True, required=True, help="An author (repeat for several).")
@click.option("--description", required=True, help="One paragraph on the method.")
@click.option("--link", help="Paper or code URL.")
@click.option("--tuning-notes", default="", help="How the hyperparameters were chosen.")
@device_option
@ray_option
@concurrent_stacks_option
@time_limit_option
@_board_option
@friendly_errors
def submit(
    method_file: str,
    name: str,
    suite_name: str,
    authors: tuple[str, ...],
    description: str,
    link: str | None,
    tuning_notes: str,
    device: str | None,
    ray_address: str | None,
    concurrent_stacks: int,
    time_limit: float | None,
    board: str,
) -> None:
    """Run a suite for a method and write its leaderboard entry."""

    from grokbench.leaderboard import submit as submit_entry
    from grokbench.suites import get_suite

    suite = get_suite(suite_name)
    metadata = {
        "name": name,
        "authors": list(authors),
        "description": description,
        "link": link,
        "tuning_notes": tuning_notes,
    }
    sweep_progress = SweepProgress()
    deadline = _deadline(time_limit, ray_address)
    executor = _executor(ray_address, concurrent_stacks)
    try:
        entry = submit_entry(
            method_file,
            metadata,
            suite,
            Path(board),
            device,
            sweep_progress.progress,
            sweep_progress.on_result,
            executor,
            deadline,
            on_plan=sweep_progress.planned,
        )
    finally:  # the bar's line ends before an error (the time limit's, say) is printed
        sweep_progress.close()
    click.echo(
        f"Wrote {entry}. Check it with `grokbench leaderboard validate` and rebuild with `grokbench leaderboard build`."
    )


@main.group()
def leaderboard() -> None:
    """Submit to, validate, verify and build the leaderboard."""


leaderboard.add_command(submit)  # `grokbench leaderboard submit`; `grokbench submit` is the same command


@leaderboard.command()
@_board_option
@friendly_errors
def validate(board: str) -> None:
    """Check every entry: schema, complete suite, current split hashes, summary as scored."""
    from grokbench.leaderboard import entries

    checked = entries(Path(board))
    click.echo(f"{len(checked)} entries valid: {', '.join(e.name for e in checked)}")


@leaderboard.command()
@_board_option
@friendly_errors
def build(board: str) -> None:
    """Regenerate the ranked table in README.md and the page index.html with its figures."""
    from grokbench.leaderboard import build as build_board

    readme, page = build_board(Path(board))
    click.echo(f"Wrote {readme} and {page}")


@leaderboard.command()
@click.option("--install", is_flag=True, help="Install them into this Python with pip.")
@_board_option
@friendly_errors
def requirements(install: bool, board: str) -> None:
    """Print the pip requirements the board's entries declare (what `verify` needs to run them)."""
    import subprocess
    import sys

    from grokbench.leaderboard import entries

    declared = sorted(
        {f"{name}=={version}" for e in entries(Path(board)) for name, version in e.metadata.dependencies.items()}
    )
    if install and declared:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *declared], check=True)
    click.echo("\n".join(declared) if declared else "", nl=bool(declared))


def _seeds_option_value(text: str) -> int | None:
    if text == "all":
        return None
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise click.BadParameter(f"{text!r} is neither a positive number of seeds nor 'all'.")


@leaderboard.command()
@click.argument("name")
@click.option(
    "--seeds",
    default="1",
    show_default=True,
    help="How many seeds of each task to re-run, drawn at random (and reported), or 'all'.",
)
@device_option
@_board_option
@friendly_errors
def verify(name: str, seeds: str, device: str | None, board: str) -> None:
    """Re-run seeds of an entry, compare them with its stored results, and record a match."""
    from tabulate import tabulate

    from grokbench.devices import resolve_device
    from grokbench.leaderboard import TOLERANCE, Entry, LeaderboardError, choose_seeds, record_verification
    from grokbench.leaderboard import verify as verify_entry

    count = _seeds_option_value(seeds)
    folder = Path(board) / "submissions" / name
    if not folder.is_dir():
        raise LeaderboardError(f"No entry {name!r} in {Path(board) / 'submissions'}.")
    entry = Entry(folder)
    entry.check()
    device = str(resolve_device(device))
    chosen = choose_seeds(entry, count)
    how = "every seed" if len(chosen) == entry.suite.seeds else "drawn at random"
    click.echo(f"Re-running seed(s) {', '.join(map(str, chosen))} of each task of {name} ({how}) on {device}.")
    tasks = entry.suite.tasks()
    sweep_progress = SweepProgress()
    sweep_progress.expect(len(chosen) * sum(t.budget.max_steps for t in tasks), len(chosen) * len(tasks), 0)
    try:
        checks = verify_entry(
            entry, chosen, device=device, progress=sweep_progress.progress, on_result=sweep_progress.on_result
        )
    finally:  # the bar's line ends before an error is printed
        sweep_progress.close()
    rows = [
        [
            c.task_id,
            c.seed,
            c.steps_to_99_val,
            r.steps_to_99_val,
            f"{c.best_val_acc:.4f}",
            f"{r.best_val_acc:.4f}",
            "; ".join(m) or "ok",
        ]
        for c, r, m in checks
    ]
    click.echo(
        tabulate(rows, headers=["task", "seed", "claimed steps→99%", "re-run", "claimed best", "re-run", "verdict"])
    )
    click.echo(
        f"Tolerance: best validation accuracy within {TOLERANCE['best_val_acc']}, steps to 99% within {TOLERANCE['steps_relative']:.0%} or {TOLERANCE['steps_absolute']} updates."
    )
    if any(m for _, _, m in checks):
        raise LeaderboardError(
            f"Entry {name} does not verify: re-run seeds differ beyond the tolerance. The entry was made on "
            f"{entry.environment.hardware}; CPU results are exactly reproducible only on the same CPU model and "
            "instruction set (see CONTRIBUTING.md)."
        )
    record = record_verification(entry, chosen, device)
    click.echo(f"Entry {name} verified on {len(checks)} runs; recorded in {record}.")


@main.command("export")
@click.argument("task_ids", nargs=-1)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New or empty folder to write.")
@click.option("--suite", "suite_name", help="Export every task of this suite.")
@click.option("--all", "export_all", is_flag=True, help="Export every registered task (latest versions).")
@click.option("--push-to-hub", "repo_id", help="Also upload the folder as this Hugging Face dataset repository.")
@friendly_errors
def export_command(
    task_ids: tuple[str, ...], out: str, suite_name: str | None, export_all: bool, repo_id: str | None
) -> None:
    """Write task tables as a Hugging Face dataset repository (parquet, one config per task)."""
    from grokbench.export import export, push_to_hub
    from grokbench.suites import get_suite

    ids = list(task_ids)
    if suite_name:
        ids += get_suite(suite_name).task_ids
    if export_all:
        ids += sorted({grokbench.spec(s.name).id for s in grokbench.registry.values()})
    folder = export(list(dict.fromkeys(ids)), out, progress=True)
    click.echo(f"Wrote {folder}")
    if repo_id:
        click.echo(f"Pushed to {push_to_hub(folder, repo_id)}")
