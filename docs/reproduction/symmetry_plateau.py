"""Symmetric operations that memorize but do not generalize: does validation accuracy stop at the
share of validation equations whose swapped operands, (b, a), are in the training set? A table
for docs/reproduction.md (Fig. 2 right).

For each run: that share; the median validation accuracy over the evaluations from 10^3 to 10^4
updates (after memorizing, where a plateau shows) and over the last 3·10^4 updates of the
budget; the best validation accuracy and its update.

    python docs/reproduction/symmetry_plateau.py results/paper/results.sqlite 'Z97-quad*'
"""

import fnmatch
import sys

import numpy as np
from tabulate import tabulate

import grokbench
from grokbench.results import RunResult
from grokbench.store import Store


def swapped_share(task_id: str) -> float:
    """The share of the task's validation equations whose swapped operands are a training equation."""
    task = grokbench.make(task_id)
    train = {(a, b) for a, b, _ in task.train.equations}
    return sum((b, a) in train for a, b, _ in task.validation.equations) / len(task.validation.equations)


def row(run: RunResult) -> list:
    """The row of ``run``: task, seed, swapped share, median validation accuracy in the two windows, best and when."""
    steps, val = np.array(run.steps), np.array(run.val_acc)
    best = int(np.argmax(val))
    plateau = val[(steps >= 1_000) & (steps <= 10_000)]
    end = val[steps >= run.max_steps - 30_000]
    return [run.task_id, run.seed, 100 * swapped_share(run.task_id), 100 * np.median(plateau), 100 * np.median(end),
            100 * val[best], int(steps[best])]  # fmt: skip


def main(store: str, pattern: str = "*", method: str = "AdamW (reference)") -> None:
    with Store(store, read_only=True) as stored:
        runs = [
            run
            for run in stored.results([method])
            if fnmatch.fnmatch(run.task_id, pattern) and run.steps_to_99_val is None  # those that did not generalize
        ]
    rows = [row(run) for run in sorted(runs, key=lambda r: (r.task_id, r.seed))]
    headers = ["task", "seed", "swapped in training %", "median val % (10³–10⁴)", "(last 3·10⁴)", "best val %", "at"]
    print(tabulate(rows, headers, tablefmt="github", floatfmt=".1f"))


if __name__ == "__main__":
    main(*sys.argv[1:])
