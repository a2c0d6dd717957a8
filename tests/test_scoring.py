"""The scorer on synthetic runs with known answers."""

import json
import math
from pathlib import Path

import pytest

from grokbench.report import operation_table, terminal_text
from grokbench.results import RunResult
from grokbench.scoring import efficiency_curves, headline, score, score_tasks, table_order


def run(task_id, seed, steps_to_99=None, best=0.5, method="m", max_steps=1000, status="completed"):
    """A run whose validation accuracy first reaches 99% at ``steps_to_99``; else it peaks at ``best``."""
    steps = [0, 10, 100, 200, 400, 500, 1000]
    if steps_to_99 is None:
        val = [0.0, 0.1, 0.2, 0.3, best, 0.4, 0.4]
    else:
        val = [0.99 if s >= steps_to_99 else 0.1 for s in steps]
    return RunResult(
        task_id=task_id, split_hash="h", method=method, hyperparameter_hash="x", hyperparameters={},
        seed=seed, max_steps=max_steps, model="grok-v1", steps=steps, train_acc=[0.0] + [1.0] * 6, val_acc=val,
        train_loss=[1.0] * 7, val_loss=[1.0] * 7, status=status,
    )  # fmt: skip


def test_median_with_censoring():
    runs = [run("Z97-add-0.5-v1", 0, 100), run("Z97-add-0.5-v1", 1, 500), run("Z97-add-0.5-v1", 2, None, best=0.6)]
    (task,) = score_tasks(runs)
    assert (task.reached, task.seeds, task.median_steps) == (2, 3, 500)
    assert (task.q25_steps, task.q75_steps) == (100, math.inf)
    assert task.mean_best_val_acc == pytest.approx((0.99 + 0.99 + 0.6) / 3)


def test_median_is_censored_when_half_or_more_miss():
    runs = [run("Z97-add-0.5-v1", 0, 100), run("Z97-add-0.5-v1", 1, None), run("Z97-add-0.5-v1", 2, None)]
    assert score_tasks(runs)[0].median_steps == math.inf
    even = [run("Z97-add-0.5-v1", 0, 100), run("Z97-add-0.5-v1", 1, None)]
    assert score_tasks(even)[0].median_steps == math.inf
    both = [run("Z97-add-0.5-v1", 0, 100), run("Z97-add-0.5-v1", 1, 500)]
    assert score_tasks(both)[0].median_steps == 300


def test_diverged_runs_count_as_misses():
    runs = [run("Z97-add-0.5-v1", 0, 100, status="diverged"), run("Z97-add-0.5-v1", 1, 100)]
    (task,) = score_tasks(runs)
    assert (task.reached, task.diverged, task.median_steps) == (1, 1, math.inf)


def test_critical_fraction_is_the_smallest_fraction_whose_mean_best_reaches_99():
    runs = [
        run("Z97-add-0.3-v1", 0, None, best=0.5),
        run("Z97-add-0.4-v1", 0, 500),
        run("Z97-add-0.4-v1", 1, None, best=0.9),  # mean 0.945: below 99%
        run("Z97-add-0.45-v1", 0, None, best=0.98),
        run("Z97-add-0.5-v1", 0, 100),
        run("Z97-add-0.6-v1", 0, 10),
        run("S5-square-0.5-v1", 0, None, best=0.2),
    ]
    curves = {c.operation: c for c in efficiency_curves(score_tasks(runs))}
    assert curves["Z97-add"].fractions == [0.3, 0.4, 0.45, 0.5, 0.6]
    assert (curves["Z97-add"].critical_fraction, curves["Z97-add"].critical_text()) == (0.5, "0.5")
    assert (curves["S5-square"].critical_fraction, curves["S5-square"].critical_text()) == (None, "> 0.5")


def test_no_critical_fraction_is_none_only_when_the_grid_up_to_its_largest_fraction_was_measured():
    # a piece of a suite: nothing above 0.5 was run, so 0.5 missing says only "more than 0.5"
    (piece,) = efficiency_curves(score_tasks([run("Z97-add-0.3-v1", 0, None), run("Z97-add-0.5-v1", 0, None)]))
    assert (piece.critical_fraction, piece.critical_text(), piece.critical_text(percent=True)) == (
        None,
        "> 0.5",
        "> 50%",
    )
    (grid,) = efficiency_curves(score_tasks([run("Z97-add-0.5-v1", 0, None), run("Z97-add-0.95-v1", 0, None)]))
    assert (grid.critical_fraction, grid.critical_text()) == (None, "none")


def test_a_critical_fraction_at_the_smallest_fraction_measured_is_only_a_bound():
    # a piece of a suite: nothing below 0.3 was run, so 0.3 reaching says only "0.3 or less"
    (curve,) = efficiency_curves(score_tasks([run("Z97-add-0.3-v1", 0, 700), run("Z97-add-0.5-v1", 0, 100)]))
    assert (curve.critical_fraction, curve.critical_is_bound, curve.critical_text()) == (0.3, True, "≤ 0.3")


def test_a_critical_fraction_above_an_unmeasured_grid_fraction_is_only_a_bound():
    # 0.3 misses, but 0.35-0.45 were not run, so 0.5 reaching says only "0.5 or less"
    (gap,) = efficiency_curves(score_tasks([run("Z97-add-0.3-v1", 0, None), run("Z97-add-0.5-v1", 0, 100)]))
    assert (gap.critical_fraction, gap.critical_is_bound, gap.critical_text()) == (0.5, True, "≤ 0.5")
    # the grid's smallest fraction has none below it: reaching there is the critical fraction itself
    (end,) = efficiency_curves(score_tasks([run("Z97-add-0.05-v1", 0, 900)]))
    assert (end.critical_fraction, end.critical_is_bound, end.critical_text()) == (0.05, False, "0.05")


def test_headline_geometric_mean_speedup_with_miss_penalty_and_seed_spread():
    reference = [run("Z97-add-0.5-v1", s, 400, method="ref") for s in (0, 1)] + [
        run("Z97-add-0.3-v1", s, 1000, method="ref") for s in (0, 1)
    ]
    method = [
        run("Z97-add-0.5-v1", 0, 100),  # 4x faster
        run("Z97-add-0.5-v1", 1, 200),  # 2x faster
        run("Z97-add-0.3-v1", 0, 1000),  # same
        run("Z97-add-0.3-v1", 1, None),  # miss: 2 x budget = 2000 -> 0.5x
    ]
    result = headline(reference + method, "m", "ref")
    assert result.tasks == 2
    assert result.per_seed == {0: pytest.approx(2.0), 1: pytest.approx(1.0)}
    assert (result.median, result.low, result.high) == (pytest.approx(1.5), pytest.approx(1.0), pytest.approx(2.0))
    assert headline(reference, "ref", "ref").median == pytest.approx(1.0)


def test_the_operation_table_does_not_round_a_miss_up_to_the_criterion():
    runs = [run("Z97-add-0.3-v1", 0, None, best=0.985), run("Z97-add-0.5-v1", 0, 100)]
    (row,) = operation_table(score(runs)).splitlines()[2:]
    assert row.split()[-4:] == ["0.3:", "98.5%,", "0.5:", "99.0%"]


def test_report_json_has_no_infinities():
    report = score([run("Z97-add-0.5-v1", 0, None), run("Z97-add-0.5-v1", 1, None)], reference="m")
    data = report.to_dict()
    assert data["tasks"][0]["median_steps"] is None
    assert data["headlines"][0]["median"] == pytest.approx(1.0)


def test_the_run_summary_says_in_words_what_was_shown():
    grokked = [
        RunResult.from_dict(r) for r in json.loads(Path("leaderboard/submissions/adamw/results.json").read_text())
    ]
    memorized = [
        RunResult.from_dict(r) for r in json.loads(Path("leaderboard/submissions/adam/results.json").read_text())
    ]
    lines = terminal_text(score(grokked + memorized)).splitlines()
    assert (
        "AdamW (reference) on Z97-div-0.5-v1: training accuracy reached 99% at 510 updates and validation accuracy "
        "at 4,054 (medians of 2 seeds): grokking: generalization 8.0× later than memorization."
    ) in lines
    assert (
        "Adam on Z97-div-0.5-v1: training accuracy reached 99% at 325 updates, but validation accuracy did not reach "
        "99% within 6,000 (best 2.1% on average): memorization without generalization."
    ) in lines


def test_a_store_in_finishing_order_is_tabled_by_method_operation_fraction_and_seed():
    finished = [run("S5-square-0.5-v1", 0), run("Z97-div-0.9-v1", 1), run("Z97-div-0.3-v1", 0, method="n")]
    finished += [run("Z97-div-0.9-v1", 0), run("Z97-add-0.95-v1", 2), run("Z97-div-0.35-v1", 0)]
    assert [(r.method, r.task_id, r.seed) for r in table_order(finished)] == [
        ("m", "Z97-add-0.95-v1", 2),
        ("m", "Z97-div-0.35-v1", 0),
        ("m", "Z97-div-0.9-v1", 0),
        ("m", "Z97-div-0.9-v1", 1),
        ("m", "S5-square-0.5-v1", 0),
        ("n", "Z97-div-0.3-v1", 0),
    ]
