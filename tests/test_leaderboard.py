"""Leaderboard: submit, validate (and its failures), build and verify, on a tiny suite."""

import json
import re
import shutil
import textwrap

import pytest
from click.testing import CliRunner

from grokbench.cli import main
from grokbench.harness import RunResult
from grokbench.leaderboard import (
    LEADERBOARD,
    START,
    LeaderboardError,
    _summary,
    board_block,
    board_rows,
    entries,
    split_readme,
)
from grokbench.suites import SUITES, Suite

LION_METHOD = textwrap.dedent(
    """
    from lion_pytorch import Lion

    NAME = "Lion"
    HYPERPARAMETERS = {"lr": 1e-4, "weight_decay": 1.0}

    def make_optimizer(params, lr, weight_decay):
        return Lion(params, lr=lr, weight_decay=weight_decay)
    """
)


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """A board with the reference and an optimizer taken unchanged from a pip package."""
    pytest.importorskip("lion_pytorch")
    mp = pytest.MonkeyPatch()
    mp.setitem(
        SUITES, "tiny", Suite("tiny", 1, "test suite", ("Z97-add-0.5-v1", "Z97-sub-0.5-v1"), seeds=2, max_steps=20)
    )
    root = tmp_path_factory.mktemp("board")
    (root / "lion.py").write_text(LION_METHOD)
    for name, method in (("adamw", "baselines/adamw.py"), ("lion", root / "lion.py")):
        result = invoke(
            "submit",
            method,
            "--name",
            name,
            "--suite",
            "tiny",
            "--author",
            "Ada",
            "--description",
            "d",
            "--board",
            root,
        )
        assert result.exit_code == 0, result.output
    yield root
    mp.undo()


@pytest.fixture
def copy_of(board, tmp_path):
    shutil.copytree(board, tmp_path / "board")
    return tmp_path / "board"


def test_pip_optimizer_goes_through_submit_validate_and_build(board):
    entry = board / "submissions" / "lion"
    assert sorted(p.name for p in entry.iterdir()) == [
        "environment.json",
        "metadata.json",
        "method.py",
        "results.json",
        "summary.json",
    ]
    environment = json.loads((entry / "environment.json").read_text())
    assert environment["suite"] == "tiny" and set(environment["split_hashes"]) == {"Z97-add-0.5-v1", "Z97-sub-0.5-v1"}
    assert len(json.loads((entry / "results.json").read_text())) == 4
    result = invoke("leaderboard", "validate", "--board", board)
    assert result.exit_code == 0 and "2 entries valid: adamw, lion" in result.output
    result = invoke("leaderboard", "build", "--board", board)
    assert result.exit_code == 0, result.output
    readme = (board / "README.md").read_text()
    assert START in readme and re.search(r"\| +\d \| lion +\| Lion ", readme)
    page = (board / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert "figures/tiny-efficiency-Z97-add.png" in images and "figures/tiny-steps.png" in images
    assert all((board / image).read_bytes().startswith(b"\x89PNG") for image in images)


def tamper(board, name, filename, change):
    path = board / "submissions" / name / filename
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def expect_invalid(board, message):
    with pytest.raises(LeaderboardError, match=re.escape(message)):
        entries(board)
    result = invoke("leaderboard", "validate", "--board", board)
    assert result.exit_code == 1 and message in result.output


def test_validate_fails_on_a_changed_number(copy_of):
    def change(summary):
        summary["tasks"][0]["mean_best_val_acc"] = 0.999

    tamper(copy_of, "lion", "summary.json", change)
    expect_invalid(copy_of, "summary.json: summary.tasks[0].mean_best_val_acc = 0.999 (computed: ")


def test_validate_fails_on_a_changed_run(copy_of):
    def change(results):
        results[0]["best_val_acc"] = 1.0

    tamper(copy_of, "lion", "results.json", change)
    expect_invalid(copy_of, "results.json: Z97-add-0.5-v1 seed 0: field 'best_val_acc' is 1.0 but its curves give ")

    def change_curve_and_claim(results):
        results[0]["val_acc"][-1] = 0.985  # better than these 20-update runs reach, still below 99%
        results[0]["best_val_acc"] = 0.985

    tamper(copy_of, "lion", "results.json", change_curve_and_claim)
    expect_invalid(copy_of, "is not what the scorer computes from results.json")


def test_validate_fails_on_a_missing_task(copy_of):
    tamper(copy_of, "lion", "results.json", lambda results: results.pop())
    expect_invalid(
        copy_of, "results.json: no run of task Z97-sub-0.5-v1 with seed 1; the suite tiny v1 needs every task and seed."
    )


def test_validate_fails_on_a_wrong_split_hash(copy_of):
    def change(results):
        for run in results:
            run["split_hash"] = "0" * 64

    tamper(copy_of, "lion", "results.json", change)
    expect_invalid(copy_of, "split hash of Z97-add-0.5-v1 is not the current ")


def test_validate_names_the_wrong_field(copy_of):
    tamper(copy_of, "lion", "metadata.json", lambda metadata: metadata.update(authors=[]))
    expect_invalid(copy_of, "metadata.json: field 'authors': List should have at least 1 item after validation, not 0")
    tamper(copy_of, "lion", "metadata.json", lambda metadata: metadata.update(authors=["A"], link="not a url"))
    expect_invalid(copy_of, "metadata.json: field 'link': Input should be a valid URL")
    tamper(copy_of, "adamw", "environment.json", lambda env: env.pop("device"))
    expect_invalid(copy_of, "environment.json: field 'device': Field required")


def test_verify_reruns_seeds_and_matches(board):
    result = invoke("leaderboard", "verify", "lion", "--seeds", "1", "--board", board)
    assert result.exit_code == 0, result.output
    assert "Entry lion verified on 2 runs." in result.output


def test_verify_reports_runs_that_do_not_reproduce(copy_of):
    def claim_better(results):
        for run in results:
            run["val_acc"] = [min(1.0, a + 0.5) for a in run["val_acc"]]
            run["best_val_acc"] = max(run["val_acc"])

    tamper(copy_of, "lion", "results.json", claim_better)
    runs = [RunResult.from_dict(r) for r in json.loads((copy_of / "submissions/lion/results.json").read_text())]
    (copy_of / "submissions/lion/summary.json").write_text(json.dumps(_summary(runs)))
    assert invoke("leaderboard", "validate", "--board", copy_of).exit_code == 0  # consistent, but not true
    result = invoke("leaderboard", "verify", "lion", "--board", copy_of)
    assert result.exit_code == 1
    assert "best validation accuracy" in result.output
    assert "Error: Entry lion does not verify: re-run seeds differ beyond the tolerance." in result.output


def test_submit_rejects_a_bad_name(board, tmp_path):
    result = invoke(
        "submit",
        "baselines/adamw.py",
        "--name",
        "Bad Name",
        "--suite",
        "tiny",
        "--author",
        "A",
        "--description",
        "d",
        "--board",
        tmp_path,
    )
    assert result.exit_code == 1
    assert "field 'name': String should match pattern" in result.output


def test_the_repository_board_is_valid_and_generated_from_its_entries():
    board_entries = entries(LEADERBOARD)
    readme = LEADERBOARD / "README.md"
    _, block, _ = split_readme(readme.read_text(), readme)
    assert block == board_block(board_rows(board_entries)), "run `grokbench leaderboard build`"


def test_validate_rejects_an_entry_made_with_another_model(copy_of):
    tamper(copy_of, "lion", "environment.json", lambda environment: environment.update(model="gpt2-preln-v1"))
    expect_invalid(
        copy_of,
        "lion/environment.json: made with model gpt2-preln-v1, but the suite tiny v1 is scored with grok-v1; "
        "results of different models are not comparable. Run `grokbench submit` again.",
    )


def test_validate_rejects_runs_of_another_model(copy_of):
    tamper(copy_of, "lion", "results.json", lambda results: results[0].update(model="gpt2-preln-v1"))
    expect_invalid(
        copy_of,
        "lion/results.json: Z97-add-0.5-v1 seed 0 trained model gpt2-preln-v1, but the entry and the suite tiny v1 "
        "use grok-v1. Run `grokbench submit` again.",
    )


def test_validate_refuses_a_folder_that_is_not_a_board(tmp_path):
    message = f"{tmp_path / 'nowhere'} is not a leaderboard: it has no submissions/ folder. Pass the board's folder with --board."
    with pytest.raises(LeaderboardError, match=f"^{re.escape(message)}$"):
        entries(tmp_path / "nowhere")
    result = invoke("leaderboard", "validate", "--board", tmp_path / "nowhere")
    assert result.exit_code == 1 and result.output == f"Error: {message}\n"
