"""Building every registered task from cold caches (``pytest benchmarks/``)."""

import grokbench
from grokbench.operations import _equations
from grokbench.splits import equation_order


def build_all_tasks():
    return [grokbench.make(task_id).split_hash for task_id in grokbench.registry]


def clear_caches():
    _equations.cache_clear()
    equation_order.cache_clear()


def test_build_all_228_tasks_cold(benchmark):
    hashes = benchmark.pedantic(build_all_tasks, setup=clear_caches, rounds=5)
    assert len(hashes) == 228


def test_build_all_228_tasks_warm(benchmark):
    assert len(benchmark(build_all_tasks)) == 228
