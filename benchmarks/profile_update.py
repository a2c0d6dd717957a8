"""Where one harness update's time goes: torch.profiler over a stack of runs, its kernels ranked.

On the H200 the stacked update stopped scaling at about 64 runs (docs/benchmarks.md), at a rate
that TF32 barely changed: the matrix products are not what bounds it. This names what does,
by operator and by kernel, for the reference recipe on Z97-add-0.5 at batch 512, and times the
model's attention alone, computed three ways (a suspect: fused kernels at 4 positions).

    python benchmarks/profile_update.py --device cuda --runs 64 --precision float32
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from bench_training import TASK, stack_of, sync, updates_per_second
from torch.profiler import ProfilerActivity, profile

import grokbench
from grokbench.devices import default_device
from grokbench.harness import matmul_precision
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.model import SEQUENCE_LENGTH, ModelConfig, _attend_broadcast, _attend_fused, _future


def attention_alternatives(device: torch.device, runs: int, precision: str) -> None:
    """Forward and backward of the model's attention alone, at the stack's shapes (batch 512, 4 heads of 32,
    4 positions), computed each way: as broadcast products and sums, by scaled_dot_product_attention (fused
    kernels, whose tiles are mostly empty at 4 positions) and as the explicit softmax(q kᵀ) v (a batched
    product of 4×32 matrices); the model computes the first on the devices of BROADCAST_ATTENTION_DEVICES."""
    sequences = runs * grokbench.make(TASK).budget.batch_size
    dtype = torch.bfloat16 if precision == "bfloat16" else torch.float32
    config = ModelConfig(vocab_size=99, num_symbols=97)  # the reference model's heads and width
    shape = (sequences, config.heads, SEQUENCE_LENGTH, config.width // config.heads)
    q, k, v = (torch.randn(shape, device=device, dtype=dtype, requires_grad=True) for _ in range(3))

    def explicit(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
        scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
        if causal:
            scores = scores.masked_fill(_future(device), float("-inf"))
        return scores.softmax(-1) @ v

    ways = {
        "broadcast products and sums": _attend_broadcast,
        "scaled_dot_product_attention": _attend_fused,
        "explicit softmax(q k^T) v": explicit,
    }
    with torch.no_grad(), matmul_precision(precision):
        fused = _attend_fused(q, k, v, causal=True)
        for name in ("broadcast products and sums", "explicit softmax(q k^T) v"):
            difference = (ways[name](q, k, v, causal=True) - fused).abs().max().item()
            print(f"{name} differs from scaled_dot_product_attention by at most {difference:.2e}")
    for name, attend in ways.items():

        def both(attend: Callable[..., torch.Tensor] = attend) -> None:
            (attend(q, k, v, causal=True).sum() + attend(q[:, :, -1:], k, v, causal=False).sum()).backward()

        with matmul_precision(precision):
            rate = updates_per_second(both, device, seconds=1.0)
        print(
            f"attention of {sequences:,} sequences, causal and last position, forward and backward, "
            f"{precision}: {name}: {1e3 / rate:.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=str(default_device()))
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
    attention_alternatives(device, args.runs, args.precision)


if __name__ == "__main__":
    main()
