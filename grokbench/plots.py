"""Figures in the style of the paper (matplotlib, the ``plot`` extra), saved as PNG and SVG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grokbench.results import RunResult
from grokbench.scoring import EfficiencyCurve, TaskScore

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


def plot_steps_to_generalize(scores: Sequence[TaskScore], path: str | Path, title: str | None = None) -> Path:
    """Median updates to 99% validation accuracy against training fraction, quartiles shaded (Fig. 1 center).

    One curve per (method, operation); fractions whose median is censored are left out.
    """
    fig, ax = _figure()
    groups: dict[tuple[str, str], list[TaskScore]] = {}
    for s in scores:
        groups.setdefault((s.method, s.operation), []).append(s)
    for (method, operation), group in groups.items():
        group = sorted((s for s in group if math.isfinite(s.median_steps)), key=lambda s: s.fraction)
        fractions = [100 * s.fraction for s in group]
        line = ax.plot(fractions, [s.median_steps for s in group], marker="o", label=f"{operation} ({method})")[0]
        high = [s.q75_steps if math.isfinite(s.q75_steps) else s.max_steps for s in group]
        ax.fill_between(fractions, [s.q25_steps for s in group], high, color=line.get_color(), alpha=0.2)
    ax.set(xlabel="Training data fraction (%)", ylabel="Updates to 99% validation accuracy")
    if any(math.isfinite(s.median_steps) for s in scores):
        ax.set_yscale("log")
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no task reached 99% validation accuracy", transform=ax.transAxes, ha="center")
    return _save(fig, ax, path, title)


def plot_efficiency(curves: Sequence[EfficiencyCurve], path: str | Path, by: str, title: str | None = None) -> Path:
    """Best validation accuracy against training fraction, one curve per operation or method.

    ``by="operation"`` is the paper's Fig. 2 right (one method, several operations);
    ``by="method"`` its Fig. 2 left (several methods, one operation).
    """
    fig, ax = _figure()
    labels = [curve.operation if by == "operation" else curve.method for curve in curves]
    colors = _colors(labels)
    for curve, label in zip(curves, labels, strict=True):
        fractions = [100 * f for f in curve.fractions]
        accuracies = [100 * a for a in curve.mean_best_val_acc]
        ax.plot(fractions, accuracies, marker="o", color=colors[label], label=label)
    ax.set(xlabel="Training data fraction (%)", ylabel="Best validation accuracy (%)", ylim=(-2, 102))
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
