"""``grokbench run``, the main job, end to end."""

import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from grokbench.cli import main
from grokbench.report import FIGURE_LINE
from grokbench.suites import SUITES, Suite


@pytest.fixture
def tiny_suite(monkeypatch):
    suite = Suite(
        name="tiny", version=1, description="test", task_ids=("Z97-add-0.5-v1", "Z97-sub-0.5-v1"), seeds=2, max_steps=20
    )
    monkeypatch.setitem(SUITES, "tiny", suite)
    return suite


def test_run_trains_scores_and_reports_then_resumes(tiny_suite, tmp_path):
    method = tmp_path / "sgd.py"
    method.write_text(
        "import torch\nNAME = 'SGD'\nHYPERPARAMETERS = {'lr': 0.1}\n"
        "def make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr=lr)\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--suite", "tiny", "--method", str(method), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 of 8 runs already in" in result.output
    assert re.search(r"^Trained 8 run\(s\) in \d+ s\.$", result.stdout, re.MULTILINE)
    assert "steps→99% val" in result.output and "speed-up" in result.output
    report = json.loads((out / "report.json").read_text())
    assert {h["method"] for h in report["headlines"]} == {"SGD", "AdamW (reference)"}
    assert len(report["runs"]) == 8
    for figure in (
        "fig1-center",
        "fig2-right-SGD",
        "fig2-left-Z97-add",
        "fig1-left-Z97-add-0.5-v1-SGD",
        "fig4-Z97-add-0.5-v1-SGD",
    ):
        assert (out / f"{figure}.png").exists() and (out / f"{figure}.svg").exists()
    assert "![fig1-center](fig1-center.png)" in (out / "report.md").read_text()
    again = CliRunner().invoke(main, ["run", "--suite", "tiny", "--method", str(method), "--out", str(out)])
    assert "8 of 8 runs already in" in again.output and "training 0." in again.output
    assert "Trained 0 run(s) in" in again.output


def test_max_stack_caps_the_runs_trained_as_one(tiny_suite, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--suite", "tiny", "--max-stack", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [run["stacked_runs"] for run in json.loads((out / "report.json").read_text())["runs"]] == [1, 1, 1, 1]


def test_a_piece_of_a_suite_trains_into_the_store_the_rest_shares(tiny_suite, tmp_path):
    out = tmp_path / "out"
    piece = ["run", "--suite", "tiny", "--task", "Z97-sub-*", "--seed", "1", "--out", str(out)]
    result = CliRunner().invoke(main, piece)
    assert result.exit_code == 0, result.output
    assert "0 of 1 runs already in" in result.output
    assert [(r["task_id"], r["seed"]) for r in json.loads((out / "report.json").read_text())["runs"]] == [
        ("Z97-sub-0.5-v1", 1)
    ]
    result = CliRunner().invoke(
        main, ["run", "--suite", "tiny", "--task", "Z97-add-*", "--seed", "0", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "This piece holds 1 of the 2 runs of the suite in the store; the report covers all 2." in result.output
    # the folder's report grows with each piece, in the suite's order, instead of holding the last piece alone
    assert [(r["task_id"], r["seed"]) for r in json.loads((out / "report.json").read_text())["runs"]] == [
        ("Z97-add-0.5-v1", 0),
        ("Z97-sub-0.5-v1", 1),
    ]
    result = CliRunner().invoke(main, ["run", "--suite", "tiny", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 of 4 runs already in" in result.output  # the whole suite reuses the pieces' runs


def test_plan_says_what_remains_of_a_suite_and_trains_nothing(monkeypatch, tmp_path):
    suite = Suite(
        name="grid",
        version=1,
        description="test",
        task_ids=("Z97-add-0.3-v1", "Z97-add-0.35-v1", "Z97-add-0.4-v1", "Z97-add-0.6-v1", "Z97-sub-0.5-v1"),
        seeds=2,
        max_steps=20,
    )
    monkeypatch.setitem(SUITES, "grid", suite)
    out = tmp_path / "out"
    store = out / "results.sqlite"

    def planned() -> tuple[str, list[list[str]]]:
        result = CliRunner().invoke(main, ["run", "--suite", "grid", "--out", str(out), "--plan"])
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        return lines[2], [re.split(r"\s{2,}", line.strip()) for line in lines[5:]]

    summary, rows = planned()
    assert summary == f"0 of 10 runs held in {store} (not created yet); 10 to train, at most 200 updates."
    assert rows == [
        ["AdamW (reference)", "Z97-add", "0", "8", "0.3–0.4, 0.6"],
        ["AdamW (reference)", "Z97-sub", "0", "2", "0.5"],
        ["AdamW (reference)", "(all)", "0", "10"],
    ]
    assert not out.exists()  # a plan writes nothing
    piece = ["run", "--suite", "grid", "--task", "Z97-add-0.35-v1", "--task", "Z97-sub-*", "--seed", "1"]
    assert CliRunner().invoke(main, [*piece, "--out", str(out)]).exit_code == 0
    summary, rows = planned()
    assert summary == f"2 of 10 runs held in {store}; 8 to train, at most 160 updates."
    assert rows == [
        ["AdamW (reference)", "Z97-add", "1", "7", "0.3, 0.4, 0.6; seed 0 at 0.35"],
        ["AdamW (reference)", "Z97-sub", "1", "1", "seed 0 at 0.5"],
        ["AdamW (reference)", "(all)", "2", "8"],
    ]


def test_a_piece_not_in_the_suite_fails_before_any_output(tiny_suite, tmp_path):
    result = CliRunner().invoke(main, ["run", "--suite", "tiny", "--task", "Z97-mul-*", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert result.output == ("Error: No task of the tiny suite matches 'Z97-mul-*'; the closest: Z97-sub-0.5-v1.\n")
    assert not (tmp_path / "out").exists()


def test_run_with_unknown_suite_fails_clearly(cli):
    result = cli("run", "--suite", "huge")
    assert result.returncode == 1
    assert result.stderr == "Error: Unknown suite 'huge'; suites: quick, smoke, leaderboard, interventions, paper.\n"


@pytest.mark.slow
def test_quick_suite_shows_grokking(cli, tmp_path):
    cli("run", "--out", str(tmp_path), check=True)
    runs = json.loads((tmp_path / "report.json").read_text())["runs"]
    assert len(runs) == 2
    for run in runs:  # memorized, then generalized well after it
        assert run["best_val_acc"] >= 0.99
        assert 2 * run["steps_to_99_train"] < run["steps_to_99_val"]
    assert (tmp_path / "fig1-left-Z97-div-0.5-v1-AdamW-reference.png").exists()


def test_suites_sharing_a_store_reuse_its_runs_and_are_scored_apart(tiny_suite, monkeypatch, method_file, tmp_path):
    monkeypatch.setitem(SUITES, "tiny-add", replace(tiny_suite, name="tiny-add", task_ids=("Z97-add-0.5-v1",)))
    sgd = method_file(
        "import torch\nNAME = 'SGD'\nHYPERPARAMETERS = {'lr': 0.1}\n"
        "def make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr=lr)\n"
    )
    store = tmp_path / "shared" / "results.sqlite"
    assert CliRunner().invoke(main, ["run", "--suite", "tiny", "--out", str(store.parent)]).exit_code == 0
    result = CliRunner().invoke(
        main,
        ["run", "--suite", "tiny-add", "--method", str(sgd), "--store", str(store), "--out", str(tmp_path / "add")],
    )
    assert result.exit_code == 0, result.output
    assert "2 of 4 runs already in" in result.output  # the reference's runs on Z97-add-0.5, trained by `tiny`

    def scored(*options: str) -> list[tuple[str, str]]:
        out = tmp_path / "report"
        result = CliRunner().invoke(main, ["score", "--store", str(store), "--out", str(out), *options])
        assert result.exit_code == 0, result.output
        return sorted((r["method"], r["task_id"]) for r in json.loads((out / "report.json").read_text())["runs"])

    sgd_curves = [tmp_path / "report" / f"fig1-left-Z97-add-0.5-v1-SGD.{suffix}" for suffix in ("png", "svg")]
    assert (
        scored("--suite", "tiny-add") == [("AdamW (reference)", "Z97-add-0.5-v1")] * 2 + [("SGD", "Z97-add-0.5-v1")] * 2
    )
    assert all(path.exists() for path in sgd_curves)
    assert scored("--method", "AdamW (reference)") == [
        ("AdamW (reference)", task) for task in ("Z97-add-0.5-v1", "Z97-sub-0.5-v1") for _ in range(2)
    ]
    # the figures of the report it replaced that this one no longer draws are gone; its own are there
    assert not any(path.exists() for path in sgd_curves)
    report = (tmp_path / "report" / "report.md").read_text()
    assert sorted(p.name for p in (tmp_path / "report").glob("*.png")) == sorted(FIGURE_LINE.findall(report))
    result = CliRunner().invoke(main, ["score", "--store", str(store), "--method", "SDG"])
    assert result.exit_code == 1
    assert (
        f"Error: The store {store} holds no runs of method 'SDG'; its methods: AdamW (reference), SGD." in result.output
    )
