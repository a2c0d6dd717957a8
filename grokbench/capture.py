"""CUDA graphs: a function replayed with the launches of one call.

On a GPU a small model's update is hundreds of short kernels, and launching them, not running
them, sets the pace of a small stack. A captured graph replays all of them at once. The
kernels are the very ones the eager call runs, so the numbers are the same.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

WARMUP_CALLS = 3
"""Eager calls on a side stream before capture, as PyTorch asks (lazy initialization, autotuning)."""


class CapturedCall:
    """``function(x)`` captured for one shape and device of ``x``; ``replay(x)`` runs it on new values.

    ``function`` must have no effect that its repetition changes (the warm-up calls run it
    more than once): here it writes gradients, which the next call overwrites. Whatever it
    reads beside ``x`` (parameters) is read from the same memory at every replay, so it must
    be updated in place.
    """

    def __init__(self, function: Callable[[torch.Tensor], None], example: torch.Tensor) -> None:
        device = example.device
        self.input = example.clone()
        side = torch.cuda.Stream(device)
        side.wait_stream(torch.cuda.current_stream(device))
        with torch.cuda.stream(side):
            for _ in range(WARMUP_CALLS):
                function(self.input)
        torch.cuda.current_stream(device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            function(self.input)

    def replay(self, x: torch.Tensor) -> None:
        """Run the captured function on the values of ``x``."""
        self.input.copy_(x)
        self.graph.replay()
