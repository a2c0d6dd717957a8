"""Training throughput: a plain one-run-at-a-time PyTorch loop against the stacked harness.

Updates per second summed over runs, at batch 512 on Z97-add-0.5 (9409 equations), measured in
the same process. Evaluation is left out of both: this is the cost of an update.

    python benchmarks/bench_training.py                       # CPU, or CUDA when present
    python benchmarks/bench_training.py --device cuda --runs 1 8 32 128 --steps 200

Then, for the baselines whose update is not elementwise or that draw random numbers (one
optimizer per run, per-run random streams), the same at one run and at the largest stack.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F
from tabulate import tabulate
from torch import nn

import grokbench
from grokbench.devices import default_device
from grokbench.harness import _Stack
from grokbench.methods import BASELINES, DEFAULT_METHOD, Method, load_method

TASK = "Z97-add-0.5"
PER_RUN_BASELINES = ("orthogonal_adamw.py", "adam_update_noise.py", "adam_dropout.py", "adam_weight_noise.py")
"""Baselines that exercise per-run optimizers (not elementwise) and per-run random streams."""


class Block(nn.Module):
    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))
        self.register_buffer("causal", torch.triu(torch.ones(4, 4, dtype=torch.bool), 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=self.causal, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class PlainTransformer(nn.Module):
    """The same architecture written the usual way, as an nn.Module for one run."""

    def __init__(self, vocab: int, symbols: int, d: int = 128, heads: int = 4, layers: int = 2) -> None:
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.zeros(4, d))
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.ln_f, self.head = nn.LayerNorm(d), nn.Linear(d, symbols, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.ln_f(self.blocks(self.tok(tokens) + self.pos))[:, -1])


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def plain_loop(task: grokbench.Task, device: torch.device, steps: int) -> float:
    """Updates per second of the usual loop: sample a batch, forward, backward, AdamW step."""
    model = PlainTransformer(task.vocab_size, len(task.symbols)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    inputs, targets = task.train.inputs.to(device), task.train.targets.to(device)
    batch = task.budget.batch_size

    def update() -> None:
        index = torch.randint(len(inputs), (batch,), device=device)
        loss = F.cross_entropy(model(inputs[index]), targets[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for _ in range(3):
        update()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        update()
    sync(device)
    return steps / (time.perf_counter() - start)


def harness(task: grokbench.Task, device: torch.device, runs: int, steps: int, method: Method) -> float:
    """Updates per second, summed over runs, of one stack of ``runs`` runs."""
    stack = _Stack([(task, seed) for seed in range(runs)], method, device, "float32")
    for step in range(3):
        stack.step(step, 10)
    sync(device)
    start = time.perf_counter()
    for step in range(3, 3 + steps):
        stack.step(step, 10)
    sync(device)
    return runs * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument(
        "--steps", type=int, default=None, help="Timed updates per case (default: 20 on CPU, 200 on GPU)."
    )
    args = parser.parse_args()
    device = torch.device(args.device)
    steps = args.steps or (200 if device.type == "cuda" else 20)
    task = grokbench.make(TASK)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    baseline = plain_loop(task, device, steps)
    rows = [["plain loop, 1 run", 1, f"{baseline:.1f}", "1.00"]]

    def measure(label: str, method: Method, runs: int) -> None:
        rate = harness(
            task, device, runs, max(1, steps // max(1, runs // 8)) if device.type == "cpu" else steps, method
        )
        rows.append([f"{label}, {runs} stacked", runs, f"{rate:.1f}", f"{rate / baseline:.2f}"])

    for runs in args.runs:
        measure("harness", load_method(DEFAULT_METHOD), runs)
    for file in PER_RUN_BASELINES:
        for runs in (1, 8, 32):
            measure(file.removesuffix(".py"), load_method(BASELINES / file), runs)
    print(f"{TASK}, batch {task.budget.batch_size}, float32, {name}, torch {torch.__version__}")
    print(tabulate(rows, headers=["case", "runs", "updates/s (summed)", "vs plain loop"], tablefmt="github"))


if __name__ == "__main__":
    main()
