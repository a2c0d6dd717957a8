"""Suites: fixed tasks and seeds, and the interventions of the paper's Fig. 2 left."""

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
