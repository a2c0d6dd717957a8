"""Suites: fixed tasks and seeds, and the interventions of the paper's Fig. 2 left."""

import re

import pytest

from grokbench.error import Error
from grokbench.methods import BASELINES, load_method
from grokbench.registration import FRACTIONS
from grokbench.suites import INTERVENTIONS, get_suite


def test_the_interventions_suite_is_the_papers_fig2_left():
    suite = get_suite("interventions")
    assert suite.task_ids == tuple(f"S5-square-{f}-v1" for f in FRACTIONS)
    assert (suite.seeds, suite.max_steps) == (3, None)  # the tasks' own budget: 10^5 updates
    assert suite.tasks()[0].budget.max_steps == 100_000


def test_every_intervention_is_a_baseline_and_the_nine_are_distinct():
    names = [load_method(BASELINES / file).name for file in INTERVENTIONS]
    assert len(set(names)) == len(INTERVENTIONS) == 9


def test_a_piece_of_a_suite_is_chosen_by_task_globs_and_seeds():
    paper = get_suite("paper")
    task_ids, seeds = paper.part(["Z97-div-0.[89]*", "S5-aba-0.95*"], [2, 0])
    assert task_ids == ["Z97-div-0.8-v1", "Z97-div-0.85-v1", "Z97-div-0.9-v1", "Z97-div-0.95-v1", "S5-aba-0.95-v1"]
    assert seeds == [0, 2]
    assert paper.part() == (list(paper.task_ids), [0, 1, 2])


@pytest.mark.parametrize(
    ("patterns", "seeds", "message"),
    [
        (
            ["Z97-dvi-0.5-v1"],
            [],
            "No task of the paper suite matches 'Z97-dvi-0.5-v1'; the closest: Z97-div-0.5-v1, Z97-div-0.95-v1, "
            "Z97-div-0.85-v1.",
        ),
        (
            ["cube3*"],
            [],
            "No task of the paper suite matches 'cube3*'; its tasks run from Z97-add-0.05-v1 to S5-aba-0.95-v1.",
        ),
        ([], [3], "The paper suite has seeds 0 to 2, not 3."),
    ],
)
def test_a_piece_that_is_not_in_the_suite_is_refused(patterns, seeds, message):
    with pytest.raises(Error, match=f"^{re.escape(message)}$"):
        get_suite("paper").part(patterns, seeds)
