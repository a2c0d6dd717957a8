"""Render a scored set of runs: terminal tables, JSON, a Markdown report and its figures."""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tabulate import tabulate

from grokbench.registration import FRACTIONS
from grokbench.results import RunResult
from grokbench.scoring import Report, TaskScore, operation_and_fraction

if TYPE_CHECKING:
    from grokbench.sweep import SweepPlan

MAX_CURVE_FIGURES = 12
"""(method, task) pairs that get their own accuracy and loss curve figures (``curve_figure_runs``)."""
SHOWCASE_FRACTION = 0.5
"""The training fraction of the paper's curve figures (Fig. 1 left, Fig. 4: division mod 97 at 50%)."""
GROKKING_DELAY = 2.0
"""Updates to 99% validation over updates to 99% training from which a summary calls it grokking."""
FIGURE_LINE = re.compile(r"^!\[[^\]]*\]\(([^()/\\]+\.png)\)$", re.MULTILINE)
"""A figure of ``report.md``: ``![stem](name.png)``, a file beside the report."""


def _steps(value: float, max_steps: int) -> str:
    return f">{max_steps}" if math.isinf(value) else f"{value:.0f}"


def task_table(report: Report, tablefmt: str = "simple") -> str:
    """Per method and task: steps to 99% (median and quartiles over seeds) and best accuracy."""
    rows = [
        [
            s.method,
            s.task_id,
            f"{s.reached}/{s.seeds}" + (f" ({s.diverged} diverged)" if s.diverged else ""),
            _steps(s.median_train_steps, s.max_steps),
            _steps(s.median_steps, s.max_steps),
            f"{_steps(s.q25_steps, s.max_steps)}–{_steps(s.q75_steps, s.max_steps)}",
            f"{100 * s.mean_best_val_acc:.1f} ± {100 * s.std_best_val_acc:.1f}",
        ]
        for s in report.tasks
    ]
    headers = [
        "method",
        "task",
        "reached 99%",
        "steps→99% train",
        "steps→99% val",
        "quartiles",
        "best val % (mean ± sd)",
    ]
    return tabulate(rows, headers=headers, tablefmt=tablefmt)


def operation_table(report: Report, tablefmt: str = "simple") -> str:
    """Per method and operation: the data-efficiency curve's critical fraction.

    Accuracies keep one decimal, so that a fraction just short of the 99% criterion never reads as 99% or 100%."""
    rows = [
        [
            c.method,
            c.operation,
            c.critical_text(),
            ", ".join(f"{f:g}: {100 * a:.1f}%" for f, a in zip(c.fractions, c.mean_best_val_acc, strict=True)),
        ]
        for c in report.curves
    ]
    return tabulate(
        rows, headers=["method", "operation", "critical fraction", "best val accuracy by fraction"], tablefmt=tablefmt
    )


def headline_table(report: Report, tablefmt: str = "simple") -> str:
    """Each method's geometric-mean speed-up over the reference, with its spread over seeds."""
    rows = [
        [h.method, h.reference, h.tasks, f"{h.median:.2f}", f"{h.low:.2f}–{h.high:.2f}", len(h.per_seed)]
        for h in report.headlines
    ]
    return tabulate(
        rows, headers=["method", "reference", "tasks", "speed-up", "seed range", "seeds"], tablefmt=tablefmt
    )


def terminal_text(report: Report) -> str:
    """All tables, for the terminal, and what they show in words."""
    parts = [task_table(report), operation_table(report)]
    if report.headlines:
        parts.append(headline_table(report))
    parts.append("\n".join(verdict(score) for score in report.tasks))
    return "\n\n".join(parts)


def _over(seeds: int) -> str:
    return "one seed" if seeds == 1 else f"medians of {seeds} seeds"


def verdict(score: TaskScore) -> str:
    """One sentence on a method's task: memorized, generalized, and whether that was grokking."""
    where = f"{score.method} on {score.task_id}"
    train, val = score.median_train_steps, score.median_steps
    if math.isinf(train):
        return f"{where}: did not memorize its training set within {score.max_steps:,} updates ({_over(score.seeds)})."
    memorized = f"training accuracy reached 99% at {train:,.0f} updates"
    if math.isinf(val):
        return (
            f"{where}: {memorized}, but validation accuracy did not reach 99% within {score.max_steps:,} "
            f"(best {100 * score.mean_best_val_acc:.1f}% on average): memorization without generalization."
        )
    delay = val / train
    shown = (
        f"grokking: generalization {delay:.1f}× later than memorization"
        if delay >= GROKKING_DELAY
        else f"generalization {delay:.1f}× after memorization, too soon to call grokking"
    )
    return f"{where}: {memorized} and validation accuracy at {val:,.0f} ({_over(score.seeds)}): {shown}."


def write_figures(report: Report, out: Path) -> list[Path]:
    """The paper's figures for these runs, as PNG and SVG in ``out``; returns the PNG paths."""
    from grokbench import plots

    figures = []
    for (method, task_id), runs in curve_figure_runs(report.runs).items():
        stem = f"{task_id}-{_slug(method)}"
        figures.append(plots.plot_accuracy_curves(runs, out / f"fig1-left-{stem}.png", title=f"{task_id}: {method}"))
        figures.append(plots.plot_loss_curves(runs, out / f"fig4-{stem}.png", title=f"{task_id}: {method}"))
    figures.append(
        plots.plot_steps_to_generalize(
            report.tasks, out / "fig1-center.png", title="Updates to 99% validation accuracy", runs=report.runs
        )
    )
    methods = list(dict.fromkeys(c.method for c in report.curves))
    operations = list(dict.fromkeys(c.operation for c in report.curves))
    for method in methods:
        curves = [c for c in report.curves if c.method == method]
        figures.append(
            plots.plot_efficiency(
                curves, out / f"fig2-right-{_slug(method)}.png", by="operation", title=method, runs=report.runs
            )
        )
    if len(methods) > 1:
        for operation in operations:
            curves = [c for c in report.curves if c.operation == operation]
            figures.append(
                plots.plot_efficiency(
                    curves, out / f"fig2-left-{operation}.png", by="method", title=operation, runs=report.runs
                )
            )
    return figures


def curve_figure_runs(runs: Sequence[RunResult]) -> dict[tuple[str, str], list[RunResult]]:
    """The runs of each (method, task) pair that gets accuracy and loss curve figures.

    Every pair while there are at most ``MAX_CURVE_FIGURES``. Past that (a suite of many
    fractions), each method's each operation at its fraction nearest ``SHOWCASE_FRACTION``, as
    the paper shows them, the first ``MAX_CURVE_FIGURES`` of those in the report's order.
    """
    by_task: dict[tuple[str, str], list[RunResult]] = {}
    for run in runs:
        by_task.setdefault((run.method, run.task_id), []).append(run)
    if len(by_task) > MAX_CURVE_FIGURES:
        by_operation: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for method, task_id in by_task:
            by_operation.setdefault((method, operation_and_fraction(task_id)[0]), []).append((method, task_id))

        def off_showcase(pair: tuple[str, str]) -> float:
            return abs(operation_and_fraction(pair[1])[1] - SHOWCASE_FRACTION)

        by_task = {pair: by_task[pair] for pair in (min(pairs, key=off_showcase) for pairs in by_operation.values())}
    return dict(list(by_task.items())[:MAX_CURVE_FIGURES])


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.]+", "-", text).strip("-")


def write_report(report: Report, out: str | Path, title: str) -> Path:
    """Write ``report.json``, the figures and ``report.md`` (tables and figures) into ``out``.

    The figures of the report it replaces that this one no longer draws (say, the curves of a
    fraction no longer the nearest the showcase's once a nearer one is stored) are deleted, so the
    folder never shows a figure its report does not; no other file is touched.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.md"
    previous_figures = set(FIGURE_LINE.findall(path.read_text())) if path.exists() else set()
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=1, allow_nan=False))
    try:
        figures = write_figures(report, out)
    except ModuleNotFoundError as exc:
        if exc.name != "matplotlib":
            raise
        figures = []
    else:
        for name in previous_figures - {png.name for png in figures}:
            (out / name).unlink(missing_ok=True)
            (out / name).with_suffix(".svg").unlink(missing_ok=True)
    sections = [f"# {title}", "## Steps to 99% validation accuracy", task_table(report, "github")]
    sections += ["## Data efficiency", operation_table(report, "github")]
    if report.headlines:
        sections += ["## Against the reference recipe", headline_table(report, "github")]
    if figures:
        sections += ["## Figures", *(f"![{png.stem}]({png.name})" for png in figures)]
    else:
        sections.append("Install the plot extra (`pip install -e '.[plot]'`) for figures.")
    path.write_text("\n\n".join(sections) + "\n")
    return path


def run_summary_table(results: Sequence[RunResult]) -> str:
    """A line per run just trained: measurements, final accuracies and wall time."""

    def steps(value: int | None, run: RunResult) -> str:
        return _steps(math.inf if value is None else value, run.updates)

    rows = [
        [
            r.task_id, r.seed, r.status, r.updates, steps(r.steps_to_99_train, r), steps(r.steps_to_99_val, r),
            f"{100 * r.best_val_acc:.1f}", f"{100 * r.train_acc[-1]:.1f}", f"{100 * r.val_acc[-1]:.1f}", f"{r.wall_time_s:.0f}",
        ]
        for r in results
    ]  # fmt: skip
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


def runs_table(results: Sequence[RunResult]) -> str:
    """A line per stored run."""
    rows = [
        [
            r.method,
            r.task_id,
            r.seed,
            r.status,
            r.updates,
            r.max_steps,
            r.steps_to_99_val,
            f"{100 * r.best_val_acc:.1f}",
            r.device,
            r.package_version,
        ]
        for r in results
    ]
    headers = [
        "method",
        "task",
        "seed",
        "status",
        "updates",
        "budget",
        "steps→99% val",
        "best val %",
        "device",
        "version",
    ]
    return tabulate(rows, headers=headers)


def _fraction_ranges(fractions: Sequence[float]) -> str:
    """``fractions`` as runs of neighbours on the registry's grid: ``0.05–0.25, 0.35``."""
    ranges: list[list[float]] = []
    for fraction in sorted(fractions):
        if ranges and FRACTIONS.index(fraction) == FRACTIONS.index(ranges[-1][-1]) + 1:
            ranges[-1].append(fraction)
        else:
            ranges.append([fraction])
    return ", ".join(f"{r[0]:g}" if len(r) == 1 else f"{r[0]:g}–{r[-1]:g}" for r in ranges)


def remaining_table(plans: Sequence[SweepPlan]) -> str:
    """Per method and operation: the runs a store holds of a sweep and those it has still to train, and
    which: the fractions with every seed to train, then the seeds still to train at the others."""
    rows = []
    for sweep in plans:
        seeds: dict[str, dict[float, list[int]]] = defaultdict(lambda: defaultdict(list))
        missing: dict[str, dict[float, list[int]]] = defaultdict(lambda: defaultdict(list))
        for runs, table in ((sweep.runs, seeds), (sweep.missing, missing)):
            for task, seed in runs:
                stem, fraction = operation_and_fraction(task.id)
                table[stem][fraction].append(seed)
        for stem, by_fraction in seeds.items():
            left = missing[stem]
            whole = [f for f, s in left.items() if len(s) == len(by_fraction[f])]
            partial: dict[tuple[int, ...], list[float]] = defaultdict(list)  # seeds to train -> their fractions
            for fraction, to_train in sorted(left.items()):
                if fraction not in whole:
                    partial[tuple(sorted(to_train))].append(fraction)
            parts = [_fraction_ranges(whole)] if whole else []
            parts += [
                f"seed{'s' * (len(s) > 1)} {', '.join(map(str, s))} at {_fraction_ranges(f)}"
                for s, f in partial.items()
            ]
            total, to_train = sum(map(len, by_fraction.values())), sum(map(len, left.values()))
            rows.append([sweep.method.name, stem, total - to_train, to_train, "; ".join(parts) or "none"])
        rows.append([sweep.method.name, "(all)", len(sweep.runs) - len(sweep.missing), len(sweep.missing), ""])
    return tabulate(rows, headers=["method", "operation", "held", "to train", "fractions to train; other seeds"])
