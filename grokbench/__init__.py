"""grokbench: a benchmark suite for grokking on small algorithmic datasets."""

from grokbench.operations import OPERATIONS, Operation
from grokbench.registration import TaskSpec, make, pprint_registry, register, registry, spec
from grokbench.task import Budget, Split, Task

__version__ = "0.2.0"

__all__ = [
    "OPERATIONS",
    "Budget",
    "Operation",
    "Split",
    "Task",
    "TaskSpec",
    "make",
    "pprint_registry",
    "register",
    "registry",
    "spec",
]
