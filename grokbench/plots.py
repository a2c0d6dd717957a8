"""Figures in the style of the paper (matplotlib, the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grokbench.harness import RunResult


def plot_accuracy_curves(results: Sequence[RunResult], path: str | Path, title: str | None = None) -> Path:
    """Train (red) and validation (green) accuracy against updates on a log axis (paper Fig. 1 left).

    One pair of curves per run; step 0 is left out, as a log axis cannot show it.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for i, run in enumerate(results):
        steps = run.steps[1:]
        ax.plot(
            steps, [100 * a for a in run.train_acc[1:]], color="tab:red", alpha=0.8, label="train" if i == 0 else None
        )
        ax.plot(
            steps, [100 * a for a in run.val_acc[1:]], color="tab:green", alpha=0.8, label="val" if i == 0 else None
        )
    ax.set_xscale("log")
    ax.set_xlabel("Optimization steps")
    ax.set_ylabel("Accuracy (%)")
    ax.set_ylim(-2, 102)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    path = Path(path)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
