"""Do the speed precisions change the measurement? Steps to 99% under each precision against float32.

Trains one task with the reference recipe, ``--seeds`` seeds stacked, once per precision
(float32, then tf32 and bfloat16 on a GPU, bfloat16 on a CPU), and prints per precision the
updates to 99% training and validation accuracy: median, seed range and censored runs. A
precision agrees when its median update to 99% validation lies within float32's seed range.

    python benchmarks/precision_agreement.py --device cuda --task Z97-div-0.5 --seeds 8
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from tabulate import tabulate

import grokbench
from grokbench.devices import default_device, hardware
from grokbench.harness import train
from grokbench.methods import DEFAULT_METHOD, load_method


def spread(values: list[int | None]) -> tuple[str, str, float | None, tuple[int, int] | None]:
    """Median and range of the reached values as text, their median and range, censored ones left out."""
    reached = [v for v in values if v is not None]
    if not reached:
        return "never", "", None, None
    median = float(np.median(reached))
    return f"{median:g}", f"{min(reached)}–{max(reached)}", median, (min(reached), max(reached))


def within(median: float | None, reference: tuple[int, int] | None) -> str:
    """Whether a precision's median lies in float32's seed range (both censored: nothing to compare)."""
    if median is None or reference is None:
        return "no runs reached 99%" if median is None and reference is None else "no"
    return "yes" if reference[0] <= median <= reference[1] else "no"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default=str(default_device()))
    parser.add_argument("--task", default="Z97-div-0.5")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--max-steps", type=int, default=10_000)
    args = parser.parse_args()
    device = torch.device(args.device)
    precisions = ("float32", "tf32", "bfloat16") if device.type == "cuda" else ("float32", "bfloat16")
    task = grokbench.make(args.task, max_steps=args.max_steps)
    method = load_method(DEFAULT_METHOD)
    rows, float32_range = [], None
    for precision in precisions:
        start = time.perf_counter()
        results = train(task, method, range(args.seeds), device=str(device), precision=precision)
        wall = time.perf_counter() - start
        train_median, train_range, _, _ = spread([r.steps_to_99_train for r in results])
        val_median, val_range, median, reached_range = spread([r.steps_to_99_val for r in results])
        if precision == "float32":
            float32_range = reached_range
        agrees = "reference" if precision == "float32" else within(median, float32_range)
        censored = sum(r.steps_to_99_val is None for r in results)
        rows.append([precision, train_median, train_range, val_median, val_range, censored, agrees, f"{wall:.0f}"])
    print(
        f"{task.id}, {args.seeds} seeds, {args.max_steps} updates, {hardware(str(device))}, torch {torch.__version__}"
    )
    headers = [
        "precision",
        "99% train (median)",
        "range",
        "99% validation (median)",
        "range",
        "censored",
        "within float32's range",
        "wall s",
    ]
    print(tabulate(rows, headers=headers, tablefmt="github"))


if __name__ == "__main__":
    main()
