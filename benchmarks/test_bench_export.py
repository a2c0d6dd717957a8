"""Exporting every registered task as a Hugging Face dataset repository (``pytest benchmarks/``)."""

import shutil

from grokbench.export import export
from grokbench.suites import get_suite


def test_export_all_228_tasks(benchmark, tmp_path):
    out = tmp_path / "repo"
    task_ids = get_suite("paper").task_ids
    benchmark.pedantic(export, args=(task_ids, out), setup=lambda: shutil.rmtree(out, ignore_errors=True), rounds=2)
    assert len([p for p in out.iterdir() if p.is_dir()]) == 228
