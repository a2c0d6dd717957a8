"""The validation loss's double descent (the paper's Fig. 4), run by run: a table for docs/reproduction.md.

For each run: the validation loss at initialization; its first minimum, before training accuracy
reaches 99%; its peak after that minimum; the first update at which it falls below the first
minimum again (the second descent); and the update at which validation accuracy reaches 99%.

    python docs/reproduction/val_loss_descent.py results/paper/results.sqlite 'Z97-*-0.[2-5]-v1'
    python docs/reproduction/val_loss_descent.py docs/reproduction/fig1-left-Z97-div-0.5-adam.json
"""

import fnmatch
import json
import sys
from pathlib import Path

import numpy as np
from tabulate import tabulate

from grokbench.results import RunResult
from grokbench.store import Store


def descent(run: RunResult) -> list:
    """The row of ``run``: task, seed, the losses and updates described above (None: not within the budget)."""
    steps, loss = np.array(run.steps), np.array(run.val_loss)
    memorized = run.steps_to_99_train if run.steps_to_99_train is not None else steps[-1]
    first = int(np.argmin(loss[: int(np.searchsorted(steps, memorized)) + 1]))
    peak = first + int(np.argmax(loss[first:]))
    below = np.nonzero(loss[peak:] < loss[first])[0]
    again = int(steps[peak + below[0]]) if len(below) else None
    return [run.task_id, run.seed, loss[0], loss[first], int(steps[first]), loss[peak], int(steps[peak]), again,
            run.steps_to_99_val]  # fmt: skip


def main(source: str, pattern: str = "*") -> None:
    if source.endswith(".json"):
        runs = [RunResult.from_dict(record) for record in json.loads(Path(source).read_text())]
    else:
        runs = Store(source, read_only=True).results()
    rows = [
        descent(run) for run in sorted(runs, key=lambda r: (r.task_id, r.seed)) if fnmatch.fnmatch(run.task_id, pattern)
    ]
    headers = ["task", "seed", "initial", "first min", "at", "peak", "at", "below first min again", "99% val"]
    print(tabulate(rows, headers, tablefmt="github", floatfmt=".2f"))


if __name__ == "__main__":
    main(*sys.argv[1:])
