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
