"""Fixed splits: disjoint, complete, nested across fractions, stable, and pinned by golden hashes."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import grokbench
from grokbench.operations import OPERATIONS
from grokbench.registration import FRACTIONS

GOLDEN = json.loads((Path(__file__).parent / "golden_split_hashes.json").read_text())


def keys(equations):
    return {(int(a), int(b)) for a, b, _ in equations}


@pytest.mark.parametrize("stem", sorted(OPERATIONS))
def test_splits_are_disjoint_complete_and_nested(stem):
    domain = keys(OPERATIONS[stem].equations())
    previous_train = set()
    for fraction in FRACTIONS:
        task = grokbench.make(f"{stem}-{fraction:g}")
        train, validation = keys(task.train.equations), keys(task.validation.equations)
        assert len(train) == len(task.train) == round(fraction * len(domain))
        assert train.isdisjoint(validation)
        assert train | validation == domain
        assert previous_train <= train
        previous_train = train


def test_every_published_split_matches_its_golden_hash():
    assert {task_id: grokbench.make(task_id).split_hash for task_id in grokbench.registry} == GOLDEN


def test_split_is_identical_in_a_fresh_process():
    script = "import grokbench; t = grokbench.make('S5-conj-0.45'); print(t.split_hash, t.train.equations[:3].tolist())"
    outputs = {
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    task = grokbench.make("S5-conj-0.45")
    assert outputs == {f"{task.split_hash} {task.train.equations[:3].tolist()}\n"}


def test_outliers_replace_exactly_k_training_answers():
    clean = grokbench.make("Z97-add-0.3")
    task = grokbench.make("Z97-add-0.3", outliers=25)
    a, b, c = task.train.equations.T
    wrong = np.flatnonzero((a + b) % 97 != c)
    assert len(wrong) == 25
    assert wrong.tolist() == task.outlier_positions.tolist()
    assert np.array_equal(task.train.equations[:, :2], clean.train.equations[:, :2])
    assert np.array_equal(task.validation.equations, clean.validation.equations)
    assert set(c[wrong]) <= set(clean.train.equations[:, 2])  # answers taken from other training equations
    assert task.spec.outliers == 25 and task.spec.overrides == {"outliers": 25}
    assert task.split_hash != clean.split_hash
    assert task.split_hash == grokbench.make("Z97-add-0.3", outliers=25).split_hash


@pytest.mark.parametrize(("task_id", "most"), [("Z97-add-0.3", 1411), ("Z97-add-0.05", 235)])
def test_outliers_up_to_the_documented_maximum_of_half_the_training_set(task_id, most):
    task = grokbench.make(task_id, outliers=most)
    assert len(task.outlier_positions) == most == len(task.train) // 2
