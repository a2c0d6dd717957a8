"""Training throughput: a plain one-run-at-a-time PyTorch loop against the stacked harness.

Updates per second summed over runs, at batch 512 on Z97-add-0.5 (9409 equations), every case
measured in the same process, each for about ``--seconds``. Evaluation is left out: this is the
cost of an update. Columns: the ratio to the plain loop in float32, peak GPU memory of the
case, and the arithmetic rate from torch's FLOP count of one update.

    python benchmarks/bench_training.py                       # CPU, or CUDA when present
    python benchmarks/bench_training.py --device cuda --runs 1 8 64 256 1024

On a GPU the harness runs with CUDA graphs (the default) and, in float32, also without them and
with the attention computed by the fused kernels instead of broadcast products;
every precision (float32, tf32, bfloat16) is measured for the plain loop and the harness. Then,
for the baselines whose update is not elementwise or that draw random numbers (one optimizer
per run, per-run random streams), float32 at ``--baseline-runs``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F
from tabulate import tabulate
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import grokbench
from grokbench import model as grokbench_model
from grokbench.devices import default_device, hardware
from grokbench.harness import _Stack, autocast, matmul_precision
from grokbench.methods import BASELINES, DEFAULT_METHOD, Method, load_method
from grokbench.model import sinusoidal_positions

TASK = "Z97-add-0.5"
PER_RUN_BASELINES = ("orthogonal_adamw.py", "adam_update_noise.py", "adam_dropout.py", "adam_weight_noise.py")
"""Baselines whose update is not elementwise (⊥AdamW: per-run norms, one step per stack) or that draw random
numbers (per-run optimizers and random streams)."""


class Block(nn.Module):
    """A post-LN block of the reference model (``grok-v1``): no biases, ReLU MLP of width 4d."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, heads, bias=False, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.ReLU(), nn.Linear(4 * d, d, bias=False))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.register_buffer("causal", torch.triu(torch.ones(4, 4, dtype=torch.bool), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.ln1(x + self.attn(x, x, x, attn_mask=self.causal, need_weights=False)[0])
        return self.ln2(x + self.mlp(x))


class PlainTransformer(nn.Module):
    """The reference model written the usual way, as an nn.Module for one run."""

    def __init__(self, vocab: int, symbols: int, d: int = 128, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.register_buffer("pos", sinusoidal_positions(d))
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.head = nn.Linear(d, symbols, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.tok(tokens) + self.pos)[:, -1])


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def updates_per_second(update: Callable[[], None], device: torch.device, seconds: float) -> float:
    """Calls of ``update`` per second, timed for about ``seconds`` after three untimed calls."""
    for _ in range(3):
        update()
    sync(device)
    calls, batch, start = 0, 1, time.perf_counter()
    while True:
        for _ in range(batch):
            update()
        calls += batch
        sync(device)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed
        batch = min(2 * batch, 64)


@contextlib.contextmanager
def fused_attention() -> Iterator[None]:
    """The model's attention by scaled_dot_product_attention on every device, as before broadcast products
    replaced it on a GPU (``grokbench.model.BROADCAST_ATTENTION_DEVICES``)."""
    devices = set(grokbench_model.BROADCAST_ATTENTION_DEVICES)
    grokbench_model.BROADCAST_ATTENTION_DEVICES.clear()
    try:
        yield
    finally:
        grokbench_model.BROADCAST_ATTENTION_DEVICES.update(devices)


def plain_loop(task: grokbench.Task, device: torch.device, precision: str, seconds: float) -> float:
    """Updates per second of the usual loop: sample a batch, forward, backward, AdamW step."""
    model = PlainTransformer(task.vocab_size, len(task.symbols)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    inputs, targets = task.train.inputs.to(device), task.train.targets.to(device)
    batch = task.budget.batch_size

    def update() -> None:
        index = torch.randint(len(inputs), (batch,), device=device)
        with matmul_precision(precision):  # as the harness sets them
            with autocast(precision, device):
                logits = model(inputs[index]).float()
            loss = F.cross_entropy(logits, targets[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
        optimizer.step()

    return updates_per_second(update, device, seconds)


def stack_of(task: grokbench.Task, device: torch.device, runs: int, method: Method, **options) -> _Stack:
    return _Stack([(task, seed) for seed in range(runs)], method, device, **options)


def harness(task: grokbench.Task, device: torch.device, runs: int, method: Method, seconds: float, **options) -> float:
    """Updates per second, summed over runs, of one stack of ``runs`` runs."""
    stack = stack_of(task, device, runs, method, **options)
    step = iter(range(10**9))
    rate = runs * updates_per_second(lambda: stack.step(next(step), 10), device, seconds)
    eligible = options.get("cuda_graphs", True) and device.type == "cuda" and not method.stochastic_forward
    if eligible and not stack.graphs:  # the capture failed or differed: the warning above says why
        print(f"note: {method.name} at {runs} runs trained without CUDA graphs")
    return rate


def flops_per_update(task: grokbench.Task, device: torch.device, method: Method) -> float:
    """torch's FLOP count of one harness update of one run (forward, backward, optimizer)."""
    stack = stack_of(task, device, 1, method, precision="float32", cuda_graphs=False)
    with FlopCounterMode(display=False) as counter:
        stack.step(0, 10)
    return counter.get_total_flops()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--baseline-runs", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=None, help="Time per case (default: 1 on GPU, 4 on CPU).")
    args = parser.parse_args()
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    seconds = args.seconds or (1.0 if cuda else 4.0)
    precisions = ("float32", "tf32", "bfloat16") if cuda else ("float32",)
    task = grokbench.make(TASK)
    reference = load_method(DEFAULT_METHOD)
    flops = flops_per_update(task, device, reference)
    rows: list[list] = []
    plain_float32 = 0.0

    def measure(case: str, precision: str, runs: int, rate: Callable[[], float]) -> None:
        nonlocal plain_float32
        gc.collect()
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        try:
            value = rate()
        except torch.OutOfMemoryError:
            rows.append([case, precision, runs, "out of memory", "", "", ""])
            return
        except RuntimeError as error:  # a kernel that fails on this machine is a finding, not the end of the table
            rows.append([case, precision, runs, f"failed: {str(error).splitlines()[0][:80]}", "", "", ""])
            print(f"{case}, {precision}, {runs} run(s) failed: {error}", file=sys.stderr, flush=True)
            return
        plain_float32 = plain_float32 or value
        memory = f"{torch.cuda.max_memory_allocated(device) / 2**30:.2f}" if cuda else ""
        ratio = f"{value / plain_float32:.2f}"
        rows.append([case, precision, runs, f"{value:,.1f}", ratio, memory, f"{value * flops / 1e12:.2f}"])
        print(*rows[-1], sep=" | ", file=sys.stderr, flush=True)  # as measured: a stopped run keeps its rows

    for precision in precisions:
        measure("plain loop", precision, 1, lambda p=precision: plain_loop(task, device, p, seconds))
    for runs in args.runs:
        for precision in precisions:
            measure(
                "harness" + (", CUDA graphs" if cuda else ""),
                precision,
                runs,
                lambda r=runs, p=precision: harness(task, device, r, reference, seconds, precision=p),
            )
        if cuda:
            measure(
                "harness, no graphs",
                "float32",
                runs,
                lambda r=runs: harness(task, device, r, reference, seconds, precision="float32", cuda_graphs=False),
            )
            with fused_attention():
                measure(
                    "harness, fused attention",
                    "float32",
                    runs,
                    lambda r=runs: harness(task, device, r, reference, seconds, precision="float32"),
                )
    for file in PER_RUN_BASELINES:
        method = load_method(BASELINES / file)
        for runs in args.baseline_runs:
            measure(
                file.removesuffix(".py"),
                "float32",
                runs,
                lambda r=runs, m=method: harness(task, device, r, m, seconds, precision="float32"),
            )
    threads = "" if cuda else f", {torch.get_num_threads()} threads"
    print(f"{TASK}, batch {task.budget.batch_size}, {hardware(str(device))}{threads}, torch {torch.__version__}")
    print(f"FLOP count of one update of one run: {flops / 1e9:.2f} GFLOP")
    headers = ["case", "precision", "runs", "updates/s (summed)", "vs plain loop float32", "peak GiB", "TFLOP/s"]
    print(tabulate(rows, headers=headers, tablefmt="github"))


if __name__ == "__main__":
    main()
