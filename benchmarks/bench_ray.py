"""Ray's overhead: one sweep with the local executor and the same sweep as Ray tasks, in one process.

Both train the same runs into fresh stores on the CPU. The local executor trains the stacks
one after another with all of torch's threads; Ray runs them as parallel one-CPU tasks on a
local instance of ``--cpus`` CPUs, whose start is timed apart.

    python benchmarks/bench_ray.py                   # the smoke suite
    python benchmarks/bench_ray.py --suite quick
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import ray
import torch
from tabulate import tabulate

from grokbench.distributed import RayExecutor
from grokbench.harness import train_runs
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.store import Store
from grokbench.suites import get_suite
from grokbench.sweep import plan_suite, run_sweep


def sweep_seconds(suite_name: str, executor, folder: Path) -> float:
    """Wall seconds of a whole sweep of the reference recipe over the suite, into a fresh store."""
    suite = get_suite(suite_name)
    with Store(folder / "results.sqlite") as store:
        start = time.perf_counter()
        run_sweep(plan_suite(load_method(DEFAULT_METHOD), suite, store), store, device="cpu", executor=executor)
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="smoke")
    parser.add_argument("--cpus", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as local_folder, tempfile.TemporaryDirectory() as ray_folder:
        local = sweep_seconds(args.suite, train_runs, Path(local_folder))
        start = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False)
        startup = time.perf_counter() - start
        on_ray = sweep_seconds(args.suite, RayExecutor(), Path(ray_folder))
        ray.shutdown()
    suite = get_suite(args.suite)
    print(
        f"suite {suite.name} v{suite.version}: {len(suite.task_ids)} tasks x {suite.seeds} seeds, {suite.max_steps} "
        f"updates; CPU, torch {torch.__version__} ({torch.get_num_threads()} threads), ray {ray.__version__}"
    )
    rows = [
        ["local executor (stacks in turn)", f"{local:.1f}", "1.00"],
        [f"Ray, {args.cpus} one-CPU tasks at a time", f"{on_ray:.1f}", f"{on_ray / local:.2f}"],
        ["Ray's start (ray.init), apart", f"{startup:.1f}", ""],
    ]
    print(tabulate(rows, headers=["executor", "wall s", "vs local"], tablefmt="github"))


if __name__ == "__main__":
    main()
