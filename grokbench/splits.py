"""Fixed, platform-independent split orders and content hashes of the task splits.

The order of an operation's equations is the order of the SHA-256 digests of
``"grokbench-split/v<version>/<stem>/<a>/<b>"`` (operands as symbol text). It depends on
nothing but those strings, so it is the same in every process, on every platform and with
every library version; the training set at fraction f is the first ``round(f · N)``
equations of the order, so smaller training sets are subsets of larger ones.
"""

from __future__ import annotations

import hashlib
from functools import cache

import numpy as np

from grokbench.operations import OPERATIONS


@cache
def equation_order(stem: str, version: int) -> np.ndarray:
    """Indices into ``OPERATIONS[stem].equations()`` in the fixed order of this task version."""
    op = OPERATIONS[stem]
    symbols = op.symbols
    digests = [
        hashlib.sha256(f"grokbench-split/v{version}/{stem}/{symbols[a]}/{symbols[b]}".encode()).digest()
        for a, b, _ in op.equations()
    ]
    order = np.array(sorted(range(len(digests)), key=digests.__getitem__), dtype=np.int64)
    order.setflags(write=False)
    return order


def train_size(fraction: float, num_equations: int) -> int:
    """The number of training equations at ``fraction``: ``round(fraction · N)``."""
    return round(fraction * num_equations)


def content_hash(symbols: tuple[str, ...], train: np.ndarray, validation: np.ndarray) -> str:
    """SHA-256 of the symbols and of every ``(a, b, c)`` triple of both splits, in order.

    Triples are hashed as little-endian 16-bit integers, so the hash is the same on every
    platform; any change of symbols, membership, order or answers changes it.
    """
    digest = hashlib.sha256()
    digest.update("\x1f".join(symbols).encode())
    for split in (train, validation):
        digest.update(b"\x1e")
        digest.update(np.ascontiguousarray(split, dtype="<u2").tobytes())
    return digest.hexdigest()
