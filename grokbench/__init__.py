"""grokbench: a benchmark suite for grokking on small algorithmic datasets."""

from grokbench.operations import OPERATIONS, Operation
from grokbench.registration import TaskSpec, make, pprint_registry, register, registry, spec
from grokbench.task import Budget, Split, Task

__version__ = "0.2.0"


def __getattr__(name: str):
    """``grokbench.load_model``, imported when first used: ``import grokbench`` loads no torch."""
    if name == "load_model":
        from grokbench.checkpoints import load_model

        return load_model
    raise AttributeError(f"module 'grokbench' has no attribute {name!r}")


__all__ = [
    "OPERATIONS",
    "Budget",
    "Operation",
    "Split",
    "Task",
    "TaskSpec",
    "load_model",
    "make",
    "pprint_registry",
    "register",
    "registry",
    "spec",
]
