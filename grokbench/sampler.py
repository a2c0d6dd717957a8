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


def batch_rows(
    order: torch.Tensor, epoch: np.ndarray, seeds: np.ndarray, n_train: np.ndarray, batch: np.ndarray, step: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each run's batch at update ``step``: ``(R, max batch)`` table positions and the mask of real ones.

    ``order`` (each run's current epoch order) and ``epoch`` (which epoch it holds) are
    refreshed in place for runs that start a new epoch at this update.
    """
    device = order.device
    steps_per_epoch = n_train // batch
    now = step // steps_per_epoch
    stale = np.flatnonzero(now != epoch)
    if len(stale):
        order[torch.from_numpy(stale).to(device)] = epoch_order(
            torch.from_numpy(seeds[stale]).to(device),
            torch.from_numpy(now[stale]).to(device),
            torch.from_numpy(n_train[stale]).to(device),
            order.shape[1],
        )
        epoch[stale] = now[stale]
    width = int(batch.max())
    start = torch.from_numpy((step % steps_per_epoch) * batch).to(device)
    columns = (start[:, None] + torch.arange(width, device=device)).clamp_max(order.shape[1] - 1)
    mask = torch.arange(width, device=device)[None, :] < torch.from_numpy(batch).to(device)[:, None]
    return order.gather(1, columns), mask
