"""Operations whose answer one operand half-tells: does validation accuracy first stop at the share of
validation equations that the training set's most common answer for that operand alone gets right?
A table for docs/reproduction.md (x ∘ y ∘ x in S5, whose answer for a given y takes few values).

For each run: that share for x alone and for y alone (for each value of the operand, the most common
answer among the training equations with it, ties to the first); the median validation accuracy over
updates 50–200 (where a plateau shows, before memorizing); the validation accuracy where training
accuracy first reaches 99% (memorizing); the best validation accuracy.

    python docs/reproduction/one_operand_plateau.py results/paper/results.sqlite 'S5-aba-*'
"""

import fnmatch
import sys
from collections import Counter, defaultdict
from functools import cache

import numpy as np
from tabulate import tabulate

import grokbench
from grokbench.results import RunResult
from grokbench.store import Store


@cache
def one_operand_share(task_id: str, operand: int) -> float:
    """The share of the task's validation equations answered by the most common training answer for that operand."""
    task = grokbench.make(task_id)
    answers: dict[int, Counter] = defaultdict(Counter)
    for equation in task.train.equations:
        answers[equation[operand]][equation[2]] += 1
    guess = {value: counts.most_common(1)[0][0] for value, counts in answers.items()}
    validation = task.validation.equations
    return sum(guess.get(equation[operand]) == equation[2] for equation in validation) / len(validation)


def row(run: RunResult) -> list:
    """The row of ``run``: task, seed, the two shares, plateau median, accuracy at memorizing, best."""
    steps, train, val = np.array(run.steps), np.array(run.train_acc), np.array(run.val_acc)
    plateau = val[(steps >= 50) & (steps <= 200)]
    memorized = int(np.argmax(train >= 0.99)) if (train >= 0.99).any() else None
    return [
        run.task_id,
        run.seed,
        100 * one_operand_share(run.task_id, 0),
        100 * one_operand_share(run.task_id, 1),
        100 * np.median(plateau),
        None if memorized is None else int(steps[memorized]),
        None if memorized is None else 100 * val[memorized],
        100 * val.max(),
    ]


def main(store: str, pattern: str = "*", method: str = "AdamW (reference)") -> None:
    with Store(store, read_only=True) as stored:
        runs = [run for run in stored.results([method]) if fnmatch.fnmatch(run.task_id, pattern)]
    rows = [row(run) for run in sorted(runs, key=lambda r: (r.task_id, r.seed))]
    headers = [
        "task",
        "seed",
        "x alone %",
        "y alone %",
        "median val % (50–200)",
        "memorized at",
        "val % then",
        "best val %",
    ]
    print(tabulate(rows, headers, tablefmt="github", floatfmt=".2f"))


if __name__ == "__main__":
    main(*sys.argv[1:])
