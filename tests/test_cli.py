"""The command line, as a user reaches it."""

import pytest
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
