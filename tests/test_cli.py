"""The command line, as a user reaches it."""

import json
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from grokbench.cli import main


def test_list_prints_the_twelve_operations(cli):
    result = cli("list", check=True)
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:]]
    assert rows == [
        "Z97-add",
        "Z97-sub",
        "Z97-div",
        "Z97-mix",
        "Z97-quad1",
        "Z97-quad2",
        "Z97-quad3",
        "Z97-cube1",
        "Z97-cube2",
        "S5-square",
        "S5-conj",
        "S5-aba",
    ]


def test_info_shows_spec_sizes_hash_budget_and_table():
    result = CliRunner().invoke(main, ["info", "Z97-div-0.5"])
    assert result.exit_code == 0, result.output
    for expected in [
        "id: 'Z97-div-0.5-v1'",
        "equations: 9312 (train 4656, validation 4656)",
        "split_hash: ",
        "budget: 100000 updates, batch 512, warmup 10",
        "Table corner",
    ]:
        assert expected in result.output


@pytest.mark.parametrize(
    ("task_id", "message"),
    [
        (
            "Z97-ad-0.3",
            "Error: Unknown operation 'Z97-ad' in task id 'Z97-ad-0.3'. Did you mean: Z97-add, Z97-quad3, Z97-quad2?",
        ),
        ("Z97-add-0.31", "Error: Fraction 0.31 is not registered for Z97-add; registered fractions: 0.05,"),
        ("Z97-add-0.3-v9", "Error: Version v9 of Z97-add-0.3 does not exist; registered versions: v1."),
        ("nonsense", "Error: Malformed task id 'nonsense': expected <stem>-<fraction>[-v<N>]"),
    ],
)
def test_info_errors_are_one_line_with_nonzero_exit(cli, task_id, message):
    result = cli("info", task_id)
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("corner", ["0", "-3"])
def test_info_refuses_a_corner_below_one(cli, corner):
    result = cli("info", "Z97-add-0.3", "--corner", corner)
    assert result.returncode == 2
    assert f"Error: Invalid value for '--corner': {corner} is not in the range x>=1." in result.stderr


BROKEN_OPTIMIZER = "HYPERPARAMETERS = {}\ndef make_optimizer(params):\n    return {}['lr']\n"


def one_line_error(result) -> str:
    """The last line of stderr, after checking that the command failed without a traceback."""
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--device", "banana"], "Error: Unknown device 'banana': use cpu, cuda, cuda:<index> or mps."),
        (
            ["--out", "/proc/grokbench"],
            "Error: Cannot create the output folder /proc/grokbench: No such file or directory. Choose another with --out.",
        ),
    ],
)
def test_train_rejects_a_bad_device_or_output_folder(cli, tmp_path, options, message):
    result = cli("train", "Z97-add-0.5", "--max-steps", "5", "--out", str(tmp_path / "out"), *options)
    assert one_line_error(result) == message
    assert not (tmp_path / "out").exists()


def test_train_on_cuda_without_a_gpu_says_so(cli, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = cli("train", "Z97-add-0.5", "--device", "cuda", "--out", str(tmp_path / "out"))
    assert one_line_error(result) == (
        f"Error: Device 'cuda' asked for, but this torch ({torch.__version__}) sees no CUDA GPU; use --device cpu."
    )


def test_a_failed_train_leaves_no_output_folder_and_debug_shows_the_traceback(cli, tmp_path):
    method = tmp_path / "broken.py"
    method.write_text(BROKEN_OPTIMIZER)
    args = ["train", "Z97-add-0.5", "--max-steps", "5", "--method", str(method), "--out", str(tmp_path / "out")]
    assert one_line_error(cli(*args)) == (
        f"Error: make_optimizer in {method}, line 3 raised KeyError: 'lr'. Fix the method file "
        "(`grokbench --debug ...` shows the whole traceback)."
    )
    assert not (tmp_path / "out").exists()
    debug = cli("--debug", *args)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and f'File "{method}", line 3' in debug.stderr


def test_train_command_writes_curves_plot_and_table(cli, tmp_path):
    result = cli(
        "train", "Z97-add-0.5", "--seeds", "2", "--max-steps", "20", "--out", str(tmp_path / "run"), check=True
    )
    assert "steps→99% val" in result.stdout and "Z97-add-0.5-v1" in result.stdout
    records = json.loads((tmp_path / "run" / "results.json").read_text())
    assert [r["seed"] for r in records] == [0, 1] and records[0]["steps"] == [0, 10, 20]
    assert (tmp_path / "run" / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_ray_without_its_extra_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if it were not installed
    result = CliRunner().invoke(main, ["run", "--suite", "smoke", "--ray", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert 'Training on Ray needs the optional extra: pip install "grokbench[ray]".' in result.output
    assert not (tmp_path / "out").exists()


def test_a_run_stopped_at_its_time_limit_exits_3_and_keeps_its_stack(cli, tmp_path):
    result = cli("run", "--suite", "smoke", "--time-limit", "0", "--out", str(tmp_path / "out"))
    assert result.returncode == 3
    assert (
        "Error: Stopped at the time limit at update 0: finished runs are kept; the 2 unfinished run(s) of the "
        "stack in training are saved, and the same command resumes them." in result.stderr
    )
    assert "Trained 0 run(s) in " in result.stdout  # what this piece finished, printed before the error
    assert len(list((tmp_path / "out" / "results.sqlite.stacks").glob("*.stack.pt"))) == 1


def test_a_run_with_concurrent_stacks_stopped_at_its_time_limit_keeps_each_stack(cli, tmp_path):
    result = cli("run", "--suite", "smoke", "--concurrent-stacks", "2", "--time-limit", "0", "--out", str(tmp_path))
    assert result.returncode == 3
    saved = "finished runs are kept; the 2 unfinished run(s) of the stack in training are saved"
    assert f"Error: 2 stacks trained at once stopped.\nStopped at the time limit at update 0: {saved}" in result.stderr
    assert len(list((tmp_path / "results.sqlite.stacks").glob("*.stack.pt"))) == 2


def test_concurrent_stacks_are_refused_on_ray(tmp_path):
    result = CliRunner().invoke(main, ["run", "--suite", "smoke", "--ray", "--concurrent-stacks", "2"])
    assert result.exit_code == 1
    assert "Error: --concurrent-stacks trains stacks side by side in this process; on Ray, stacks share GPUs." in (
        result.output
    )


def test_time_limit_is_refused_on_ray(tmp_path):
    result = CliRunner().invoke(main, ["run", "--suite", "smoke", "--ray", "--time-limit", "60"])
    assert result.exit_code == 1
    assert "Error: --time-limit stops local training; on Ray, use the cluster's job time limit instead." in (
        result.output
    )


def test_merge_adds_the_runs_a_store_lacks_and_keeps_those_it_holds(tmp_path, cli):
    from grokbench.results import RunResult
    from grokbench.store import Store

    adamw, adam = (
        [RunResult.from_dict(r) for r in json.loads(Path(f"leaderboard/submissions/{entry}/results.json").read_text())]
        for entry in ("adamw", "adam")
    )
    here, came_back = tmp_path / "here.sqlite", tmp_path / "came-back.sqlite"
    with Store(here) as store:
        for result in adamw:
            store.add(result)
    with Store(came_back) as store:
        for result in [adamw[1], *adam]:
            store.add(result)
    merged = cli("merge", str(came_back), "--into", str(here))
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout == f"{came_back}: 2 run(s) added to {here}, 1 already there.\n"
    with Store(here, read_only=True) as store:
        assert [r.to_dict() for r in store.results()] == [r.to_dict() for r in [*adamw, *adam]]
    again = cli("merge", str(here), "--into", str(here))
    assert again.returncode == 1
    assert f"{here} is the store merged into: name another store after --into." in again.stderr
