"""Stack checkpoints: a stack's whole state on disk, so an interrupted stack resumes exactly.

A checkpoint is written at an evaluation (atomically: a killed process leaves the previous
one whole) and names the runs still in the stack by their keys. When runs are trained again
with the same checkpoint folder, a stack whose runs are all asked for again (on the same
device and precision) continues from its checkpoint instead of from initialization, and
follows the trajectory it would have followed uninterrupted. Checkpoints are pickles written
by grokbench itself; load only your own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

SUFFIX = ".stack.pt"


def checkpoint_path(folder: Path, keys: Sequence[tuple]) -> Path:
    """The checkpoint file of the stack of the runs ``keys``."""
    digest = hashlib.sha256(repr(sorted(keys, key=repr)).encode()).hexdigest()[:16]
    return folder / f"{digest}{SUFFIX}"


def save(path: Path, checkpoint: dict[str, Any]) -> None:
    """Write ``checkpoint`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    torch.save(checkpoint, partial)
    os.replace(partial, path)


def resumable(folder: Path, keys: Sequence[tuple], device: str, precision: str) -> list[tuple[Path, list[int], dict]]:
    """The checkpoints in ``folder`` whose runs are all among ``keys``: (file, positions in ``keys``, checkpoint)."""
    position = {key: i for i, key in enumerate(keys)}
    found = []
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        checkpoint = torch.load(path, weights_only=False, mmap=True)
        members = [position.get(tuple(key)) for key in checkpoint["keys"]]
        same_setup = (checkpoint["device"], checkpoint["precision"]) == (device, precision)
        if same_setup and members and None not in members:
            found.append((path, members, checkpoint))
    return found
