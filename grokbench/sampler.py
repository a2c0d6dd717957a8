"""The data order: which training equations each run sees at each update.

Each run shuffles its training set once per epoch, in an order that depends only on (seed,
epoch, training-set size), through an integer hash computed the same way on every device.
So the order is the benchmark's, not the method's, and a run sees the same batches whichever
runs share its stack.
"""

from __future__ import annotations

import numpy as np
import torch


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer mixing function on int64 tensors, identical on every device."""
    mask = 0xFFFFFFFF
    x = x & mask
    x = ((x >> 16) ^ x) * 0x45D9F3B & mask
    x = ((x >> 16) ^ x) * 0x45D9F3B & mask
    return (x >> 16) ^ x


def epoch_order(seeds: torch.Tensor, epochs: torch.Tensor, n_train: torch.Tensor, width: int) -> torch.Tensor:
    """Each run's shuffled order of its training set in one epoch: ``(runs, width)`` positions.

    Positions ``>= n_train`` sort last. The order depends only on (seed, epoch, n_train).
    """
    positions = torch.arange(width, device=seeds.device)
    key = _hash32(_hash32(seeds * 0x9E3779B1 + epochs)[:, None] ^ positions[None, :])
    key = torch.where(positions[None, :] < n_train[:, None], key, key + (1 << 33))
    return torch.argsort(key, dim=1, stable=True)


def to_device(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """``array`` on ``device``; to a GPU through pinned memory without waiting, so the host never
    stalls on the device's queue of work (a plain copy from pageable memory would)."""
    tensor = torch.from_numpy(array)
    if device.type != "cuda":
        return tensor.to(device)
    return tensor.pin_memory().to(device, non_blocking=True)


def device_constants(seeds: np.ndarray, n_train: np.ndarray, batch: np.ndarray, device: torch.device) -> dict:
    """What ``batch_rows`` reads on the device, sent once per stack: every run's seed, training-set
    size, batch size, updates per epoch, and the mask of its real batch positions."""
    width = int(batch.max())
    return {
        "seeds": to_device(seeds, device),
        "n_train": to_device(n_train, device),
        "batch": to_device(batch, device),
        "steps_per_epoch": to_device(n_train // batch, device),
        "mask": to_device(np.arange(width)[None, :] < batch[:, None], device),
    }


def batch_rows(
    order: torch.Tensor,
    epoch: np.ndarray,
    n_train: np.ndarray,
    batch: np.ndarray,
    on_device: dict[str, torch.Tensor],
    step: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each run's batch at update ``step``: ``(R, max batch)`` table positions and the mask of real ones.

    ``order`` (each run's current epoch order) and ``epoch`` (which epoch it holds) are
    refreshed in place for runs that start a new epoch at this update. The host decides which
    from its own copies of the sizes; the device computes the rows from ``on_device``
    (``device_constants``), so an update waits for nothing and sends only, at an epoch's start,
    which runs start one.
    """
    device = order.device
    now = step // (n_train // batch)
    stale = np.flatnonzero(now != epoch)
    steps_per_epoch = on_device["steps_per_epoch"]
    if len(stale):
        index = to_device(stale, device)
        order[index] = epoch_order(
            on_device["seeds"][index], (step // steps_per_epoch)[index], on_device["n_train"][index], order.shape[1]
        )
        epoch[stale] = now[stale]
    mask = on_device["mask"]
    start = (step % steps_per_epoch) * on_device["batch"]
    columns = (start[:, None] + torch.arange(mask.shape[1], device=device)).clamp_max(order.shape[1] - 1)
    return order.gather(1, columns), mask
