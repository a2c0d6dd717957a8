"""Leaderboard: submit, validate (and its failures), build and verify, on a tiny suite."""

import importlib.metadata
import json
import re
import shutil
import sys
import textwrap

import pytest
from click.testing import CliRunner

import grokbench
from grokbench.cli import main
from grokbench.devices import hardware
from grokbench.leaderboard import (
    LEADERBOARD,
    START,
    LeaderboardError,
    board_block,
    board_rows,
    entries,
    split_readme,
)
from grokbench.leaderboard.checks import summary
from grokbench.results import RunResult
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
    commands = (["submit"], ["leaderboard", "submit"])  # the same command under both names
    for command, (name, method) in zip(
        commands, (("adamw", "baselines/adamw.py"), ("lion", root / "lion.py")), strict=True
    ):
        result = invoke(
            *command,
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
        results[0]["val_acc"][-1] = 4634 / 4705  # better than these 20-update runs reach, still below 99%
        results[0]["best_val_acc"] = 4634 / 4705

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


def test_verify_reruns_seeds_drawn_at_random_reports_them_and_records_a_match(copy_of):
    result = invoke("leaderboard", "verify", "lion", "--seeds", "1", "--board", copy_of)
    assert result.exit_code == 0, result.output
    seed = re.search(r"Re-running seed\(s\) (\d) of each task of lion \(drawn at random\) on cpu\.", result.output)
    assert seed, result.output
    record = copy_of / "submissions" / "lion" / "verification.json"
    assert f"Entry lion verified on 2 runs; recorded in {record}." in result.output
    assert json.loads(record.read_text())["seeds"] == [int(seed[1])]

    def verified_column():
        return next(row[-1] for row in board_rows(entries(copy_of)) if row[1] == "lion")

    assert verified_column() == "1/2 seeds"
    tamper(copy_of, "lion", "metadata.json", lambda metadata: metadata.update(description="edited"))
    assert verified_column() == "1/2 seeds"
    tamper(copy_of, "lion", "results.json", lambda results: None)  # the same runs, written differently
    assert verified_column() == "no"  # results.json is not the file that was reproduced


def test_verify_all_seeds_and_a_bad_seeds_value(copy_of):
    result = invoke("leaderboard", "verify", "adamw", "--seeds", "all", "--board", copy_of)
    assert result.exit_code == 0, result.output
    assert "Re-running seed(s) 0, 1 of each task of adamw (every seed) on cpu." in result.output
    result = invoke("leaderboard", "verify", "adamw", "--seeds", "some", "--board", copy_of)
    assert result.exit_code == 2 and "'some' is neither a positive number of seeds nor 'all'." in result.output


def count_preserving_gain(accuracy, size=4705):  # Z97-add-0.5 and Z97-sub-0.5 validate on 4705
    """A higher accuracy that is still a count of correct answers out of ``size``: a consistent fake."""
    return min(size, round(accuracy * size) + size // 2) / size


def test_verify_reports_runs_that_do_not_reproduce(copy_of):
    def claim_better(results):
        for run in results:
            run["val_acc"] = [count_preserving_gain(a) for a in run["val_acc"]]  # 4705 validation equations
            run["best_val_acc"] = max(run["val_acc"])

    tamper(copy_of, "lion", "results.json", claim_better)
    runs = [RunResult.from_dict(r) for r in json.loads((copy_of / "submissions/lion/results.json").read_text())]
    (copy_of / "submissions/lion/summary.json").write_text(json.dumps(summary(runs)))
    result = invoke("leaderboard", "validate", "--board", copy_of)
    assert result.exit_code == 0, result.output  # consistent, but not true
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


def test_validate_catches_tampering_that_needs_no_training(copy_of, tmp_path):
    """Every inconsistency between an entry's files that can be found without training."""
    results = copy_of / "submissions" / "lion" / "results.json"
    pristine = results.read_text()
    tampering = [
        (
            lambda runs: runs[0]["steps"].__setitem__(1, 11),
            "Z97-add-0.5-v1 seed 0: field 'steps' is not the task's evaluation schedule up to 20.",
        ),
        (
            lambda runs: runs[0].update(hyperparameter_hash="0" * 12),
            "Z97-add-0.5-v1 seed 0 was not run with method.py as it is now.",
        ),
        (
            lambda runs: runs[0]["val_acc"].__setitem__(-1, 1.5),
            "Z97-add-0.5-v1 seed 0: field 'val_acc' holds 1.5, which is not a count of correct answers out of 4705 "
            "equations.",
        ),
        (
            lambda runs: runs[0]["train_acc"].__setitem__(-1, 0.5 + 1e-4),
            "Z97-add-0.5-v1 seed 0: field 'train_acc' holds 0.5001, which is not a count of correct answers out of "
            "4704 equations.",
        ),
        (
            lambda runs: runs[0].update(status="early_stopped"),
            "Z97-add-0.5-v1 seed 0: field 'status' is 'early_stopped', but its curves end 'completed' at update 20.",
        ),
        (
            lambda runs: runs.__setitem__(1, {**runs[0], "seed": 1}),
            "Z97-add-0.5-v1 seeds 0 and 1 have identical curves; each seed must be its own run.",
        ),
    ]
    for change, message in tampering:
        results.write_text(pristine)
        tamper(copy_of, "lion", "results.json", change)
        expect_invalid(copy_of, message)
    results.write_text(pristine)
    environment = copy_of / "submissions" / "lion" / "environment.json"
    for field, value, in_runs in (
        ("device", "cuda", "'cpu'"),
        ("precision", "bfloat16", "'float32'"),
        ("grokbench_version", "0.1.0", f"'{grokbench.__version__}'"),
    ):
        original = environment.read_text()
        tamper(copy_of, "lion", "environment.json", lambda env, field=field, value=value: env.update({field: value}))
        name = "package_version" if field == "grokbench_version" else field
        if field == "grokbench_version":
            expect_invalid(copy_of, f"made with grokbench 0.1.0, not the current {grokbench.__version__}.")
        else:
            expect_invalid(
                copy_of,
                f"environment.json: says {name} {value!r}, but Z97-add-0.5-v1 seed 0 in results.json ran with {in_runs}.",
            )
        environment.write_text(original)
    made_on = json.loads(environment.read_text())["hardware"]
    assert made_on == hardware("cpu")  # the runs' own record of what made them
    tamper(copy_of, "lion", "environment.json", lambda env: env.update(hardware="NVIDIA H100 80GB HBM3"))
    expect_invalid(
        copy_of,
        f"environment.json: field 'hardware' does not name {made_on!r}, on which Z97-add-0.5-v1 seed 0 in "
        "results.json ran.",
    )
    environment.write_text(original)
    method = copy_of / "submissions" / "lion" / "method.py"
    method.write_text(method.read_text().replace("return Lion(", "return Lion(use_triton=False, params=None) or Lion("))
    expect_invalid(
        copy_of,
        "environment.json: field 'method_sha256' is not the SHA-256 of method.py: the method changed after its runs. "
        "Run `grokbench submit` again.",
    )


def test_an_entry_declares_its_pip_dependencies_and_validate_does_not_import_them(copy_of, monkeypatch):
    metadata = json.loads((copy_of / "submissions" / "lion" / "metadata.json").read_text())
    environment = json.loads((copy_of / "submissions" / "lion" / "environment.json").read_text())
    version = importlib.metadata.version("lion-pytorch")
    assert metadata["dependencies"] == environment["packages"] == {"lion-pytorch": version}
    monkeypatch.setitem(sys.modules, "lion_pytorch", None)  # as if it were not installed
    assert [e.name for e in entries(copy_of)] == ["adamw", "lion"]
    result = invoke("leaderboard", "requirements", "--board", copy_of)
    assert result.exit_code == 0 and result.output == f"lion-pytorch=={version}\n"
    result = invoke("leaderboard", "verify", "lion", "--board", copy_of)
    assert result.exit_code == 1 and result.output.endswith(
        f"Error: Re-running lion needs the pip packages it declares: pip install lion-pytorch=={version} "
        "(`grokbench leaderboard requirements --install` installs those of every entry).\n"
    )
    tamper(copy_of, "lion", "metadata.json", lambda metadata: metadata.update(dependencies={}))
    expect_invalid(
        copy_of,
        "lion/metadata.json: method.py imports lion_pytorch, but field 'dependencies' does not declare the pip "
        "package that provides it (with its version).",
    )


@pytest.mark.slow
def test_the_smoke_suite_runs_submit_validate_and_build_end_to_end(cli, tmp_path):
    board = tmp_path / "board"
    submitted = cli(
        "submit", "baselines/adam.py", "--name", "my-method", "--suite", "smoke", "--author", "A",
        "--description", "d", "--board", str(board),
    )  # fmt: skip
    assert submitted.returncode == 0, submitted.stderr
    cache = board / ".cache" / "my-method.sqlite"
    assert f"0 of 4 runs already in {cache}; training 4." in submitted.stdout
    again = cli(*submitted.args[1:])  # a submission resumed (after its time limit, say) trains nothing twice
    assert f"4 of 4 runs already in {cache}; training 0." in again.stdout and "Trained 0 run(s)" in again.stdout
    assert cli("leaderboard", "validate", "--board", str(board)).stdout == "1 entries valid: my-method\n"
    assert cli("leaderboard", "build", "--board", str(board)).returncode == 0
    assert "| my-method " in (board / "README.md").read_text()
