"""Figures in the style of the paper (matplotlib, the ``plot`` extra), saved as PNG and SVG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grokbench.harness import RunResult
from grokbench.scoring import EfficiencyCurve, TaskScore

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _figure() -> tuple[Figure, Axes]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, 4.2))


def _save(fig: Figure, ax: Axes, path: str | Path, title: str | None) -> Path:
    """Save as ``path`` (PNG) and the same name with ``.svg``; return the PNG path."""
    import matplotlib.pyplot as plt

    if title:
        ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    fig.tight_layout()
    path = Path(path).with_suffix(".png")
    fig.savefig(path, dpi=120)
    fig.savefig(path.with_suffix(".svg"))
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
    for curve in curves:
        label = curve.operation if by == "operation" else curve.method
        ax.plot([100 * f for f in curve.fractions], [100 * a for a in curve.mean_best_val_acc], marker="o", label=label)
    ax.set(xlabel="Training data fraction (%)", ylabel="Best validation accuracy (%)", ylim=(-2, 102))
    ax.legend(fontsize="small")
    return _save(fig, ax, path, title)
