"""Stacks trained at once against one after another: the wall time of a suite's reference runs.

Trains the reference recipe on every task and seed of a suite (default ``leaderboard``: four
operations, so four stacks of 9 runs), its budget cut to ``--max-steps`` updates, once per
``--concurrent-stacks`` value (``TrainingOptions.concurrent_stacks``), in one process, and prints
each one's wall time, updates per second summed over runs and speed-up over one stack at a time.
It checks that every value trained the same runs to the same numbers, bit for bit.

    python benchmarks/bench_concurrent_stacks.py --device cuda --max-steps 2000 --concurrent-stacks 1 2 4
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from tabulate import tabulate

import grokbench
from grokbench.devices import default_device, hardware
from grokbench.harness import TrainingOptions, stacks, train, train_runs
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.suites import get_suite, make_tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--suite", default="leaderboard")
    parser.add_argument("--max-steps", type=int, default=2000)
    parser.add_argument("--concurrent-stacks", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    suite = get_suite(args.suite)
    method = load_method(DEFAULT_METHOD)
    runs = [(task, seed) for task in make_tasks(suite.task_ids, args.max_steps) for seed in range(suite.seeds)]
    train(grokbench.make(suite.task_ids[0], max_steps=20), method, [0], device=args.device)  # CUDA's first costs
    rows, first = [], None
    for width in args.concurrent_stacks:
        start = time.perf_counter()
        results = train_runs(runs, method, TrainingOptions(device=args.device, concurrent_stacks=width))
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        wall = time.perf_counter() - start
        records = [r.to_dict() | {"wall_time_s": 0} for r in results]
        first = first or (records, wall)
        updates = sum(r.updates for r in results)
        rows.append([width, f"{wall:.1f}", f"{updates / wall:,.0f}", f"{first[1] / wall:.2f}", records == first[0]])
        print(*rows[-1], sep=" | ", file=sys.stderr, flush=True)  # as measured, should a later width fail
    print(
        f"{suite.name} suite v{suite.version}: {len(runs)} runs in {len(stacks(runs, TrainingOptions.max_stack))} "
        f"stacks, {args.max_steps} updates at most, the reference recipe, {hardware(args.device)}, torch "
        f"{torch.__version__}"
    )
    headers = ["concurrent stacks", "wall s", "updates/s (summed)", "speed-up", "same numbers as the first"]
    print(tabulate(rows, headers=headers, tablefmt="github"))


if __name__ == "__main__":
    main()
