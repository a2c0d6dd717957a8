"""The ``grokbench`` command line."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

import grokbench
from grokbench import error


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn grokbench errors into a one-line message and exit code 1, with no traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except error.Error as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper


@click.group()
@click.version_option(grokbench.__version__, prog_name="grokbench")
def main() -> None:
    """grokbench: a benchmark suite for grokking on small algorithmic datasets."""


@main.command("list")
def list_tasks() -> None:
    """List the registered operations and their fractions."""
    grokbench.pprint_registry()


@main.command()
@click.argument("task_id")
@click.option("--corner", default=8, show_default=True, help="Rows and columns of the operation table to show.")
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


def summary_table(results: list) -> str:
    """The per-run summary printed after training."""
    from tabulate import tabulate

    def steps(value: int | None, max_steps: int) -> str:
        return f">{max_steps}" if value is None else str(value)

    rows = [
        [
            r.task_id,
            r.seed,
            r.status,
            r.updates,
            steps(r.steps_to_99_train, r.updates),
            steps(r.steps_to_99_val, r.updates),
            f"{100 * r.best_val_acc:.1f}",
            f"{100 * r.train_acc[-1]:.1f}",
            f"{100 * r.val_acc[-1]:.1f}",
            f"{r.wall_time_s:.0f}",
        ]
        for r in results
    ]
    headers = [
        "task",
        "seed",
        "status",
        "updates",
        "steps→99% train",
        "steps→99% val",
        "best val %",
        "train %",
        "val %",
        "wall s",
    ]
    return tabulate(rows, headers=headers)


@main.command()
@click.argument("task_id")
@click.option(
    "--method",
    "method_file",
    type=click.Path(dir_okay=False),
    help="Method file (default: baselines/adamw.py, the paper's recipe).",
)
@click.option(
    "--seeds", default=1, show_default=True, type=click.IntRange(min=1), help="Seeds 0..N-1, trained stacked."
)
@click.option("--max-steps", type=click.IntRange(min=1), help="Override the task's budget of updates.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder for results.json and curves.png (default: runs/<task id>)."
)
@click.option("--device", help="torch device (default: cuda if available, else cpu).")
@click.option("--precision", type=click.Choice(["float32", "bfloat16"]), default="float32", show_default=True)
@click.option("--no-early-stop", is_flag=True, help="Train for the whole budget even after 100% validation accuracy.")
@friendly_errors
def train(
    task_id: str,
    method_file: str | None,
    seeds: int,
    max_steps: int | None,
    out: str | None,
    device: str | None,
    precision: str,
    no_early_stop: bool,
) -> None:
    """Train a method on one task and plot its grokking curve."""
    import json
    from pathlib import Path

    from tqdm import tqdm

    from grokbench.harness import train as run_training
    from grokbench.methods import DEFAULT_METHOD, load_method

    task = grokbench.make(task_id, **({"max_steps": max_steps} if max_steps else {}))
    method = load_method(method_file or DEFAULT_METHOD)
    folder = Path(out or Path("runs") / task.id)
    folder.mkdir(parents=True, exist_ok=True)
    click.echo(f"{task}\nmethod: {method.name} {method.hyperparameters}")
    bar = tqdm(total=task.budget.max_steps * seeds, unit="update", desc=task.id)
    evaluations = [0]

    def progress(step: int, active: list) -> None:
        bar.update(len(active))
        if active and len(active[0].steps) != evaluations[0]:
            evaluations[0] = len(active[0].steps)
            train_acc = min(r.train_acc[-1] for r in active)
            val_acc = min(r.val_acc[-1] for r in active)
            bar.set_postfix(step=step, train=f"{100 * train_acc:.1f}%", val=f"{100 * val_acc:.1f}%", runs=len(active))

    results = run_training(
        task, method, range(seeds), device=device, precision=precision, early_stop=not no_early_stop, progress=progress
    )
    bar.close()
    click.echo(summary_table(results))
    (folder / "results.json").write_text(json.dumps([r.to_dict() for r in results], indent=1))
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
