"""Devices: which one trains, checked to exist, and what it is (recorded with every entry)."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

from grokbench import error


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def hardware(device: str) -> str:
    """What computed on ``device``: the GPU's name, or the CPU's model, the instruction set torch uses and
    its number of threads, which sets the order of a matrix product's sums and so the rounding of a run."""
    resolved = torch.device(device)
    if resolved.type == "cuda":
        return torch.cuda.get_device_name(resolved)
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"{cpu} (torch CPU capability {torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads)"


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device named by ``device`` (the default when None), checked to exist here."""
    if device is None:
        return default_device()
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise error.Error(f"Unknown device {str(device)!r}: use cpu, cuda, cuda:<index> or mps.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise error.Error(
            f"Device {str(device)!r} asked for, but this torch ({torch.__version__}) sees no CUDA GPU; use --device cpu."
        )
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise error.Error(f"Device {str(device)!r} does not exist: torch sees {torch.cuda.device_count()} CUDA GPU(s).")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise error.Error(f"Device {str(device)!r} asked for, but this torch sees no MPS device; use --device cpu.")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise error.Error(f"Device {str(device)!r} is not supported: use cpu, cuda, cuda:<index> or mps.")
    return resolved
