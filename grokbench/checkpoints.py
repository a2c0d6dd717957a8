"""What the network learned: a run's parameters kept at its milestones, and loaded back as a module.

A run keeps its parameters (natural shapes, no run dimension) at up to four milestones:
``init`` (before the first update), ``memorized`` (the first evaluation at 99% training
accuracy), ``generalized`` (the first at 99% validation accuracy) and ``end``. Each is a
safetensors file ``<folder>/<run>/<milestone>.safetensors``, where ``<run>`` names the task,
the seed and a hash of the run's full key; its metadata say what the run was. A file is
written to a temporary name and renamed, so a killed sweep leaves no half-written one. A run
of the reference model keeps about 1.7 MB per milestone, 6.7 MB for all four: 4.6 GB for one
method over the ``paper`` suite's 684 runs, so ``grokbench train`` keeps them by default and
suites only when asked (``grokbench run --checkpoints``).

``load_model`` returns one run's network as a plain ``torch.nn.Module`` whose logits are the
harness's for that run, so any interpretability tool can wrap it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import nn

from grokbench.architectures import get_model
from grokbench.model import ModelConfig, forward
from grokbench.results import THRESHOLD, RunResult, run_key

MILESTONES = ("init", "memorized", "generalized", "end")
"""The points of a run at which its parameters are kept, in the order they come."""


def run_folder(folder: Path, result: RunResult) -> Path:
    """The folder of one run's checkpoints: its task, seed and a hash of its full key."""
    digest = hashlib.sha256(repr(run_key(result)).encode()).hexdigest()[:12]
    return folder / f"{result.task_id}-seed{result.seed}-{digest}"


def reached(result: RunResult, milestone: str) -> bool:
    """Whether ``result``'s latest evaluation is at (or past) ``milestone``."""
    if milestone == "init":
        return len(result.steps) == 1
    if milestone == "memorized":
        return result.train_acc[-1] >= THRESHOLD
    if milestone == "generalized":
        return result.val_acc[-1] >= THRESHOLD
    return result.status != "running"


def keep(folder: Path, result: RunResult, params: dict[str, torch.Tensor], config: ModelConfig) -> list[Path]:
    """Save ``params`` (one run's, natural shapes) for every milestone the run has just reached."""
    written = []
    for milestone in MILESTONES:
        path = run_folder(folder, result) / f"{milestone}.safetensors"
        if path.exists() or not reached(result, milestone):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = {
            "milestone": milestone,
            "step": str(result.steps[-1]),
            "task_id": result.task_id,
            "seed": str(result.seed),
            "method": result.method,
            "hyperparameter_hash": result.hyperparameter_hash,
            "model": config.architecture.id,
            "vocab_size": str(config.vocab_size),
            "num_symbols": str(config.num_symbols),
            "key": json.dumps(run_key(result)),
        }
        partial = path.with_name(f".{path.name}.partial")
        save_file({k: v.detach().cpu().contiguous() for k, v in params.items()}, partial, metadata=metadata)
        os.replace(partial, path)
        written.append(path)
    return written


class RunModel(nn.Module):
    """One run's network with natural shapes: ``forward(tokens (B, 4)) -> logits (B, num_symbols)``."""

    def __init__(self, params: dict[str, torch.Tensor], config: ModelConfig, metadata: dict[str, str]) -> None:
        super().__init__()
        self.config = config
        self.metadata = metadata
        """What the run was: task, seed, method, milestone and step."""
        self.names = list(params)
        self.weights = nn.ParameterList(nn.Parameter(params[name]) for name in self.names)

    def parameter(self, name: str) -> torch.Tensor:
        """A parameter by the harness's name, e.g. ``"head"`` or ``"h0.attn.qkv.weight"``."""
        return self.weights[self.names.index(name)]

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        stacked = {name: weight.unsqueeze(0) for name, weight in zip(self.names, self.weights, strict=True)}
        return forward(stacked, tokens.unsqueeze(0), self.config)[0]


def load_model(path: str | Path) -> RunModel:
    """One run's network at one milestone, from a checkpoint file."""
    with safe_open(path, framework="pt") as file:
        metadata = file.metadata()
    config = ModelConfig(
        vocab_size=int(metadata["vocab_size"]),
        num_symbols=int(metadata["num_symbols"]),
        architecture=get_model(metadata["model"]),
    )
    return RunModel(load_file(path), config, metadata)
