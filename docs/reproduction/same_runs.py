"""The runs that two CPU measurements share (same task, method and seed): are their curves the same?
A table for docs/reproduction.md (the leaderboard suite's corners against the paper suite's store).

For each shared run: the updates to 99% validation accuracy in each (blank: not reached), and the
first update evaluated in both at which their losses differ; "none" where the curves agree to the
last digit.

    python docs/reproduction/same_runs.py docs/reproduction/leaderboard-corners.json results/paper/results.sqlite
"""

import json
import sys
from pathlib import Path

from tabulate import tabulate

from grokbench.results import RunResult
from grokbench.store import Store


def first_difference(a: RunResult, b: RunResult) -> int | str:
    """The first update evaluated in both runs at which their training or validation loss differs."""
    losses_b = {step: (train, val) for step, train, val in zip(b.steps, b.train_loss, b.val_loss, strict=True)}
    for step, train, val in zip(a.steps, a.train_loss, a.val_loss, strict=True):
        if step in losses_b and losses_b[step] != (train, val):
            return step
    return "none"


def main(runs_json: str, store_path: str) -> None:
    runs = [RunResult.from_dict(d) for d in json.loads(Path(runs_json).read_text())]
    with Store(store_path, read_only=True) as store:
        stored = {(r.task_id, r.method, r.seed): r for r in store.results()}
    rows = [
        [run.task_id, run.method, run.seed, run.steps_to_99_val, other.steps_to_99_val, first_difference(run, other)]
        for run in runs
        if (other := stored.get((run.task_id, run.method, run.seed))) is not None
    ]
    headers = ["task", "method", "seed", "99% val (first)", "99% val (second)", "losses differ from update"]
    print(tabulate(rows, headers=headers, tablefmt="github"))


if __name__ == "__main__":
    main(*sys.argv[1:])
