"""Where one harness update's time goes: torch.profiler over a stack of runs, its kernels ranked.

On the H200 the stacked update stopped scaling at about 64 runs (docs/benchmarks.md), at a rate
that TF32 barely changed: the matrix products are not what bounds it. This names what does,
by operator and by kernel, for the reference recipe on Z97-add-0.5 at batch 512.

    python benchmarks/profile_update.py --device cuda --runs 64 --precision float32
"""

from __future__ import annotations

import argparse

import torch
from bench_training import TASK, stack_of, sync
from torch.profiler import ProfilerActivity, profile

import grokbench
from grokbench.methods import DEFAULT_METHOD, load_method


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--runs", type=int, default=64)
    parser.add_argument("--precision", default="float32", choices=("float32", "tf32", "bfloat16"))
    parser.add_argument("--updates", type=int, default=10, help="Updates profiled, after 5 untimed ones.")
    parser.add_argument(
        "--graphs",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Profile the captured update (kernels inside a graph are hidden from the profiler).",
    )
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    device = torch.device(args.device)
    stack = stack_of(
        grokbench.make(TASK),
        device,
        args.runs,
        load_method(DEFAULT_METHOD),
        precision=args.precision,
        cuda_graphs=args.graphs,
    )
    for step in range(5):
        stack.step(step, 10)
    sync(device)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as profiler:
        for step in range(5, 5 + args.updates):
            stack.step(step, 10)
        sync(device)
    sort = "self_cuda_time_total" if device.type == "cuda" else "self_cpu_time_total"
    print(
        f"{TASK}, {args.runs} runs, {args.precision}, graphs {'on' if args.graphs else 'off'}, "
        f"{args.updates} updates profiled, torch {torch.__version__}"
    )
    print(profiler.key_averages().table(sort_by=sort, row_limit=args.top, max_name_column_width=60))


if __name__ == "__main__":
    main()
