"""Hugging Face export: read back offline, row for row; deterministic; clean failures."""

import filecmp
import os
import re

import datasets
import pytest

import grokbench
from grokbench.export import ExportError, export
from grokbench.operations import OPERATIONS

ONE_TASK_PER_OPERATION = [f"{stem}-0.3" for stem in OPERATIONS]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    return export(ONE_TASK_PER_OPERATION, tmp_path_factory.mktemp("hf") / "repo")


def rows(task, split_name):
    split = getattr(task, split_name)
    symbols = task.symbols
    return [
        {"a": int(a), "b": int(b), "c": int(c), "text": f"{symbols[a]} ∘ {symbols[b]} = {symbols[c]}"}
        for a, b, c in split.equations
    ]


def test_to_hf_has_both_splits_class_labels_and_info():
    task = grokbench.make("S5-square-0.3")
    dataset = task.to_hf()
    assert list(dataset) == ["train", "validation"]
    assert dataset["train"].features["c"].names == list(task.symbols)
    assert dataset["train"][0]["text"] == rows(task, "train")[0]["text"]
    info = dataset["validation"].info
    assert task.id in info.description and task.split_hash in info.description and task.formula in info.description
    assert info.config_name == "S5-square-0.3" and str(info.version) == "1.0.0"


@pytest.mark.parametrize("task_id", ONE_TASK_PER_OPERATION)
def test_export_loads_offline_row_for_row(exported, tmp_path, task_id):
    task = grokbench.make(task_id)
    by_name = datasets.load_dataset(str(exported), task_id, cache_dir=str(tmp_path))
    files = {s: str(exported / task_id / f"{s}.parquet") for s in ("train", "validation")}
    by_files = datasets.load_dataset("parquet", data_files=files, cache_dir=str(tmp_path))
    for loaded in (by_name, by_files):
        for split in ("train", "validation"):
            assert loaded[split].features["a"].names == list(task.symbols)
            assert loaded[split].to_list() == rows(task, split)


def test_dataset_card_lists_configs_hashes_version_and_citation(exported):
    card = (exported / "README.md").read_text()
    assert card.startswith("---\nlicense: mit\n")
    for task_id in ONE_TASK_PER_OPERATION:
        task = grokbench.make(task_id)
        assert f"- config_name: {task_id}\n" in card
        assert f"path: {task_id}/train.parquet" in card
        assert task.split_hash in card and OPERATIONS[task.spec.operation].description in card
    assert f"grokbench {grokbench.__version__}" in card and "arXiv:2201.02177" in card


def test_export_is_deterministic(tmp_path):
    first = export(["Z97-div-0.5", "S5-aba-0.1"], tmp_path / "first")
    second = export(["Z97-div-0.5", "S5-aba-0.1"], tmp_path / "second")
    files = ["README.md", *(f"{c}/{s}.parquet" for c in ("Z97-div-0.5", "S5-aba-0.1") for s in ("train", "validation"))]
    match, mismatch, errors = filecmp.cmpfiles(first, second, files, shallow=False)
    assert (mismatch, errors) == ([], []) and len(match) == 5


def test_unknown_id_writes_nothing(cli, tmp_path):
    result = cli("export", "--out", str(tmp_path / "out"), "Z97-add-0.5", "Z97-addd-0.5")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: Unknown operation 'Z97-addd' in task id 'Z97-addd-0.5'. Did you mean: Z97-add"
    )
    assert list(tmp_path.iterdir()) == []


def test_existing_non_empty_folder_is_refused_and_untouched(cli, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = cli("export", "--out", str(tmp_path), "Z97-add-0.5")
    assert result.returncode == 1
    assert (
        result.stderr
        == f"Error: Output folder {tmp_path} already exists and is not empty: choose a new or empty folder.\n"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_existing_empty_folder_is_filled(tmp_path):
    (tmp_path / "out").mkdir()
    assert sorted(p.name for p in export(["Z97-add-0.5"], tmp_path / "out").iterdir()) == ["README.md", "Z97-add-0.5"]


def test_unwritable_folder_is_refused(cli, tmp_path, monkeypatch):
    result = cli("export", "--out", "/proc/grokbench-export", "Z97-add-0.5")
    assert result.returncode == 1 and result.stderr.startswith("Error: Cannot write /proc/grokbench-export")
    (tmp_path / "file").write_text("")
    result = cli("export", "--out", str(tmp_path / "file" / "out"), "Z97-add-0.5")
    assert (
        result.stderr
        == f"Error: Cannot write {tmp_path / 'file' / 'out'}: its parent folder {tmp_path / 'file'} does not exist.\n"
    )
    monkeypatch.setattr(os, "access", lambda *args: False)
    with pytest.raises(
        ExportError, match=re.escape(f"Cannot write {tmp_path / 'out'}: no permission to create files in {tmp_path}.")
    ):
        export(["Z97-add-0.5"], tmp_path / "out")


def test_failure_mid_export_leaves_nothing(tmp_path, monkeypatch):
    def broken_card(tasks):
        raise RuntimeError("disk full")

    monkeypatch.setattr("grokbench.export.dataset_card", broken_card)
    with pytest.raises(RuntimeError, match="disk full"):
        export(["Z97-add-0.5"], tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_two_versions_of_one_task_are_refused(temporary_registration, tmp_path):
    temporary_registration("Z97-add-0.5-v2")
    with (
        pytest.warns(grokbench.error.DeprecatedTaskWarning),
        pytest.raises(
            ExportError,
            match=re.escape(
                "Cannot export Z97-add-0.5-v1 and Z97-add-0.5-v2 into one repository: export each version separately."
            ),
        ),
    ):
        export(["Z97-add-0.5-v1", "Z97-add-0.5-v2"], tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HF_TOKEN": ""},
            "Error: Cannot push to someone/grok: no Hugging Face token. Run `hf auth login` or set HF_TOKEN.",
        ),
        (
            {"HF_TOKEN": "hf_fake", "HF_ENDPOINT": "http://127.0.0.1:9"},
            "Error: Cannot push to someone/grok: ConnectError:",
        ),
        ({"HF_TOKEN": "hf_fake", "HF_HUB_OFFLINE": "1"}, "Error: Cannot push to someone/grok: OfflineModeIsEnabled:"),
    ],
)
def test_push_to_hub_fails_clearly_offline(cli, tmp_path, monkeypatch, env, message):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = cli("export", "--out", str(tmp_path / "out"), "Z97-add-0.5", "--push-to-hub", "someone/grok")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith(message)
    assert (
        result.stderr.rstrip().endswith(f"The export is complete in {tmp_path / 'out'}.")
        or "no Hugging Face token" in message
    )
    assert (tmp_path / "out" / "Z97-add-0.5" / "train.parquet").exists()


def test_export_suite_and_all_flags(cli, tmp_path):
    result = cli("export", "--out", str(tmp_path / "none"))
    assert result.returncode == 1 and "Nothing to export" in result.stderr
    result = cli("export", "--out", str(tmp_path / "x"), "--suite", "nope")
    assert result.stderr.startswith(
        "Error: Unknown suite 'nope'; suites: quick, smoke, leaderboard, interventions, paper."
    )
