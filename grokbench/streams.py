"""Each run's own random stream, for an update of a whole stack that draws random numbers.

A method whose update draws random numbers (update noise) and declares ``STACKED = True`` draws
them with ``randn_like_per_run``: run r's numbers come from run r's stream, so a run draws the
same numbers stacked or alone, and the stack still takes one optimizer step. The harness names
the streams around each optimizer step of a stack (``drawing_from``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch

from grokbench import error
from grokbench.model import per_run_normal_like

_streams: list[Sequence[torch.Generator]] = []
"""The streams of the stacked steps under way, innermost last."""


@contextmanager
def drawing_from(generators: Sequence[torch.Generator]) -> Iterator[None]:
    """Within the block, ``randn_like_per_run`` draws run r's numbers from ``generators[r]``."""
    _streams.append(generators)
    try:
        yield
    finally:
        _streams.pop()


def randn_like_per_run(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Standard normal tensors shaped like ``tensors`` (stacked: the leading dimension is the run), run r's
    numbers drawn from its own stream, all of a run's at once (one draw a run, whatever the tensors)."""
    if not _streams:
        raise error.Error(
            "randn_like_per_run draws in the update of a whole stack: call it from the optimizer step of a "
            "method that declares STACKED = True."
        )
    generators = _streams[-1]
    wrong = [tuple(t.shape) for t in tensors if t.dim() == 0 or t.shape[0] != len(generators)]
    if wrong:
        raise error.Error(
            f"randn_like_per_run got tensors of shapes {wrong} in a stack of {len(generators)} run(s): it draws "
            "for stacked tensors, whose leading dimension is the run."
        )
    return per_run_normal_like(tensors, generators)
