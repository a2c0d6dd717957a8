"""The Task object: tokens, tensors, budget, schedule, table and repr."""

import numpy as np
import pytest
import torch

import grokbench


def test_token_layout_and_tensors():
    task = grokbench.make("S5-square-0.3")
    assert task.vocab_size == 122 and task.vocab[-2:] == ("∘", "=")
    inputs, targets = task.train.inputs, task.train.targets
    assert inputs.dtype == targets.dtype == torch.int64
    assert inputs.shape == (4320, 4) and targets.shape == (4320,)
    assert (inputs[:, 1] == 120).all() and (inputs[:, 3] == 121).all()
    a, b = task.symbols[inputs[0, 0]], task.symbols[inputs[0, 2]]
    assert task.symbols[targets[0]] == "".join(a[int(i)] for i in b)  # (x . y)[i] = x[y[i]]
    np_inputs, _ = task.validation.numpy()
    assert isinstance(np_inputs, np.ndarray) and np.array_equal(np_inputs, task.validation.inputs.numpy())
    assert len(task.train) + len(task.validation) == task.num_equations == 14400


@pytest.mark.parametrize(
    ("task_id", "batch_size"), [("S5-square-0.3", 512), ("Z97-add-0.05", 235), ("Z97-div-0.1", 466)]
)
def test_batch_size_rule(task_id, batch_size):
    task = grokbench.make(task_id)
    assert task.budget.batch_size == batch_size == min(512, -(-len(task.train) // 2))
    assert task.budget.max_steps == 100_000 and task.budget.warmup_steps == 10


def test_evaluation_schedule_resolves_steps_to_within_1_percent_or_10_steps():
    steps = grokbench.make("Z97-add-0.5").budget.eval_steps()
    assert steps[0] == 0 and steps[-1] == 100_000
    gaps = np.diff(steps)
    assert (gaps > 0).all()
    assert (gaps <= np.maximum(10, 0.01 * steps[1:])).all()
    assert len(steps) < 600


def test_table_blanks_validation_cells():
    task = grokbench.make("Z97-div-0.5")
    lines = task.table(4, 4).splitlines()
    assert lines[0].split() == ["∘", "|", "0", "1", "2", "3"]
    assert lines[2].split("|")[1].split()[0] == "·"  # y = 0 is outside the domain of division
    train = {(int(a), int(b)): int(c) for a, b, c in task.train.equations}
    cells = [line.split("|")[1] for line in lines[2:]]
    for a, row in enumerate(cells):
        for b in range(1, 4):
            cell = row[3 * b : 3 * b + 3].strip()
            assert cell == (str(train[a, b]) if (a, b) in train else "")


def test_repr_names_id_formula_sizes_and_hash():
    task = grokbench.make("S5-square-0.3")
    assert repr(task) == (
        f"<Task S5-square-0.3-v1: x · y in S5, train 4320 / validation 10080, batch 512, 100000 updates, "
        f"split {task.split_hash[:12]}>"
    )
