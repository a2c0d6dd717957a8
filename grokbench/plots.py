"""Figures in the style of the paper (matplotlib, the ``plot`` extra), saved as PNG and SVG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grokbench.results import RunResult
from grokbench.scoring import EfficiencyCurve, TaskScore, operation_and_fraction, steps_to_99

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure() -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, 4.2))


def _colors(labels: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One distinct color per label, in order: matplotlib's ``tab10`` palette, ``tab20`` past ten labels."""
    import matplotlib

    unique = list(dict.fromkeys(labels))
    palette = matplotlib.colormaps["tab10" if len(unique) <= 10 else "tab20"]
    return {label: palette(i % palette.N) for i, label in enumerate(unique)}


def _legend(ax: Axes, fontsize: str = "small") -> None:
    """A legend inside the axes for a few entries, beside them (right) when it would hide the data."""
    if len(ax.get_legend_handles_labels()[1]) <= 6:
        ax.legend(fontsize=fontsize)
    else:
        ax.legend(fontsize=fontsize, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)


def _save(fig: Figure, ax: Axes, path: str | Path, title: str | None) -> Path:
    """Save as ``path`` (PNG) and the same name with ``.svg``, legend included; return the PNG path."""
    import matplotlib.pyplot as plt

    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    path = Path(path).with_suffix(".png")
    fig.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    with plt.rc_context({"svg.hashsalt": path.stem}):  # the same figure gives the same bytes, build after build
        fig.savefig(path.with_suffix(".svg"), bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return path


def _train_and_validation(ax: Axes, results: Sequence[RunResult], train: str, validation: str, scale: float) -> None:
    """Train (red) and validation (green) curves of every run against updates; step 0 left out."""
    for i, run in enumerate(results):
        for name, color, label in ((train, "tab:red", "train"), (validation, "tab:green", "val")):
            values = [scale * v for v in getattr(run, name)[1:]]
            ax.plot(run.steps[1:], values, color=color, alpha=0.8, label=label if i == 0 else None)
    ax.set_xscale("log")


def plot_accuracy_curves(results: Sequence[RunResult], path: str | Path, title: str | None = None) -> Path:
    """Train and validation accuracy against updates on a log axis (paper Fig. 1 left), one pair per run."""
    fig, ax = _figure()
    _train_and_validation(ax, results, "train_acc", "val_acc", 100)
    ax.set(xlabel="Optimization steps", ylabel="Accuracy (%)", ylim=(-2, 102))
    ax.legend(loc="lower right")
    return _save(fig, ax, path, title)


def plot_loss_curves(results: Sequence[RunResult], path: str | Path, title: str | None = None) -> Path:
    """Train and validation loss against updates, log-log (paper Fig. 4), one pair per run."""
    fig, ax = _figure()
    _train_and_validation(ax, results, "train_loss", "val_loss", 1)
    ax.set(yscale="log", xlabel="Optimization steps", ylabel="Loss")
    ax.legend(loc="lower left")
    return _save(fig, ax, path, title)


def _seed_runs(runs: Sequence[RunResult], method: str, operation: str) -> dict[float, list[RunResult]]:
    """The runs of ``method`` on ``operation``, by training fraction."""
    by_fraction: dict[float, list[RunResult]] = {}
    for run in runs:
        stem, fraction = operation_and_fraction(run.task_id)
        if run.method == method and stem == operation:
            by_fraction.setdefault(fraction, []).append(run)
    return by_fraction


def _seed_legend(ax: Axes, censored: bool) -> None:
    """Legend entries for the per-seed marks (grey, as they take each curve's color)."""
    ax.scatter([], [], s=14, color="grey", alpha=0.6, linewidths=0, label="one seed")
    if censored:
        ax.scatter(
            [], [], marker="^", s=28, facecolors="none", edgecolors="grey", label="a seed that missed (at its budget)"
        )


def plot_steps_to_generalize(
    scores: Sequence[TaskScore], path: str | Path, title: str | None = None, runs: Sequence[RunResult] = ()
) -> Path:
    """Median updates to 99% validation accuracy against training fraction, quartiles shaded (Fig. 1 center).

    One curve per (method, operation), named by what tells the curves apart (the operation,
    the method, or both), each in its own color; a fraction whose median is censored has no
    point on the curve. With ``runs``, every seed is drawn too: a dot where it reached 99%, an
    open triangle at its budget where it did not (censored), so a miss stays visible.
    """
    fig, ax = _figure()
    groups: dict[tuple[str, str], list[TaskScore]] = {}
    for s in scores:
        groups.setdefault((s.method, s.operation), []).append(s)
    methods, operations = {method for method, _ in groups}, {operation for _, operation in groups}

    def label(method: str, operation: str) -> str:
        if len(methods) == 1:
            return operation
        return method if len(operations) == 1 else f"{operation} ({method})"

    labels = {pair: label(*pair) for pair in groups}
    colors = _colors(list(labels.values()))
    censored = False
    for (method, operation), group in groups.items():
        group = sorted(group, key=lambda s: s.fraction)
        finite = [s for s in group if math.isfinite(s.median_steps)]
        fractions = [100 * s.fraction for s in finite]
        color = colors[labels[method, operation]]
        ax.plot(fractions, [s.median_steps for s in finite], marker="o", color=color, label=labels[method, operation])
        high = [s.q75_steps if math.isfinite(s.q75_steps) else s.max_steps for s in finite]
        ax.fill_between(fractions, [s.q25_steps for s in finite], high, color=color, alpha=0.2)
        for fraction, seeds in _seed_runs(runs, method, operation).items():
            steps = [steps_to_99(r) for r in seeds]
            reached = [s for s in steps if math.isfinite(s)]
            missed = [r.max_steps for r, s in zip(seeds, steps, strict=True) if not math.isfinite(s)]
            censored = censored or bool(missed)
            ax.scatter([100 * fraction] * len(reached), reached, s=14, color=color, alpha=0.6, linewidths=0)
            ax.scatter([100 * fraction] * len(missed), missed, marker="^", s=28, facecolors="none", edgecolors=color)
    ax.set(xlabel="Training data fraction (%)", ylabel="Updates to 99% validation accuracy")
    if runs or any(math.isfinite(s.median_steps) for s in scores):
        ax.set_yscale("log")
        if runs:
            _seed_legend(ax, censored)
        _legend(ax)
    else:
        ax.text(0.5, 0.5, "no task reached 99% validation accuracy", transform=ax.transAxes, ha="center")
    return _save(fig, ax, path, title)


def plot_efficiency(
    curves: Sequence[EfficiencyCurve],
    path: str | Path,
    by: str,
    title: str | None = None,
    runs: Sequence[RunResult] = (),
) -> Path:
    """Best validation accuracy against training fraction, one curve per operation or method.

    ``by="operation"`` is the paper's Fig. 2 right (one method, several operations);
    ``by="method"`` its Fig. 2 left (several methods, one operation). The curve is the mean
    over seeds; with ``runs``, each seed's best accuracy is a dot. A dotted vertical line marks
    each curve's critical fraction (the smallest whose mean reaches 99%), also named in the legend,
    as "≤" where the grid's fraction just below it was not measured (it may reach too),
    and as "> f" where none measured reaches and larger fractions of the grid were not measured.
    """
    fig, ax = _figure()
    labels = [curve.operation if by == "operation" else curve.method for curve in curves]
    colors = _colors(labels)
    for curve, label in zip(curves, labels, strict=True):
        fractions = [100 * f for f in curve.fractions]
        accuracies = [100 * a for a in curve.mean_best_val_acc]
        critical = curve.critical_fraction
        named = (
            f"{label} (no critical fraction)"
            if curve.critical_nowhere
            else f"{label} (critical {curve.critical_text(percent=True)})"
        )
        ax.plot(fractions, accuracies, marker="o", color=colors[label], label=named)
        if critical is not None:
            ax.axvline(100 * critical, color=colors[label], linestyle=":", alpha=0.8)
        for fraction, seeds in _seed_runs(runs, curve.method, curve.operation).items():
            best = [100 * r.best_val_acc for r in seeds]
            ax.scatter([100 * fraction] * len(best), best, s=14, color=colors[label], alpha=0.6, linewidths=0)
    # The whole range of fractions, as the paper draws it: figures of partly measured grids compare.
    ax.set(xlabel="Training data fraction (%)", ylabel="Best validation accuracy (%)", xlim=(0, 100), ylim=(-2, 102))
    if runs:
        _seed_legend(ax, censored=False)
    _legend(ax)
    return _save(fig, ax, path, title)


def plot_steps_per_task(scores: Sequence[TaskScore], path: str | Path, title: str | None = None) -> Path:
    """Median updates to 99% validation accuracy per task, one bar per method.

    A method that did not reach 99% (in half or more of its seeds) gets a hatched, unfilled bar
    up to the budget, marked "not reached": a miss stays visible, never a bar of height 0.
    """
    methods = list(dict.fromkeys(s.method for s in scores))
    tasks = list(dict.fromkeys(s.task_id for s in scores))
    fig, ax = _figure()
    fig.set_figwidth(max(6.4, 0.9 * len(tasks) * max(1, len(methods)) / 3))
    colors = _colors(methods)
    width = 0.8 / max(1, len(methods))
    for i, method in enumerate(methods):
        by_task = {s.task_id: s for s in scores if s.method == method}
        for j, task in enumerate(tasks):
            score = by_task.get(task)
            if score is None:
                continue
            reached = math.isfinite(score.median_steps)
            bar = ax.bar(
                j + i * width,
                score.median_steps if reached else score.max_steps,
                width,
                color=colors[method] if reached else "none",
                edgecolor=colors[method],
                hatch=None if reached else "//",
                label=method if task == next(iter(by_task)) else None,
            )
            if not reached:
                ax.bar_label(bar, ["not reached"], label_type="center", rotation=90, fontsize="x-small")
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(tasks))], tasks, rotation=20, fontsize="small")
    ax.set(ylabel="Median updates to 99% validation")
    _legend(ax, fontsize="x-small")
    return _save(fig, ax, path, title)
