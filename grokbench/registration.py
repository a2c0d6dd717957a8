"""The task registry, modelled on Gymnasium's ``envs/registration.py``.

A task id is ``<stem>-<fraction>[-v<N>]``, e.g. ``S5-square-0.3`` or ``Z97-div-0.5-v1``.
``make`` resolves an id without a version to the latest registered version, silently; an
older registered version still works but warns (``DeprecatedTaskWarning``), since its
results are not comparable with the latest. Every failure names what exists instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import gymnasium
from tabulate import tabulate

from grokbench import error
from grokbench.operations import OPERATIONS
from grokbench.task import Task

NAMESPACE = "grokbench"
"""Gymnasium namespace of the tasks' environments: ``gymnasium.make("grokbench/S5-square-0.3")``."""
ID_GRAMMAR = "<stem>-<fraction>[-v<N>]"
ID_PATTERN = re.compile(
    r"(?P<stem>[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*?)-(?P<fraction>[0-9]*\.?[0-9]+)(?:-v(?P<version>[1-9][0-9]*))?", re.ASCII
)
"""ASCII digits only, a version without leading zeros, matched against the whole id (no trailing newline)."""
FRACTIONS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))
"""The registered grid of training fractions: 0.05, 0.10, …, 0.95."""
LATEST_VERSION = 1
"""The current published version of every built-in task."""
OVERRIDABLE = ("max_steps", "batch_size", "outliers")
"""The ``TaskSpec`` fields that ``make(id, **overrides)`` may change."""


@dataclass(frozen=True)
class TaskSpec:
    """Everything that defines a task: its data, its split and its training budget."""

    id: str
    """Full versioned id, e.g. ``"S5-square-0.3-v1"``; results always record this."""
    operation: str
    """The operation stem, a key of ``grokbench.operations.OPERATIONS``."""
    fraction: float
    """Fraction of all equations in the training set; the rest is the validation set."""
    version: int
    """Task version; it seeds the split order, so a new split is a new version."""
    max_steps: int = 100_000
    """Budget: the maximum number of optimizer updates."""
    batch_size: int | None = None
    """Minibatch size; ``None`` means the paper's rule ``min(512, ⌈N_train / 2⌉)``."""
    warmup_steps: int = 10
    """Updates of linear learning-rate warmup at the start of training."""
    outliers: int = 0
    """Training answers replaced by other training answers (paper appendix A.4)."""
    overrides: Mapping[str, Any] = field(default_factory=dict)
    """What ``make(id, **overrides)`` changed from the registered spec."""

    @property
    def name(self) -> str:
        """The id without its version, e.g. ``"S5-square-0.3"``."""
        return self.id.rsplit("-v", 1)[0]

    def pprint(self) -> str:
        """The spec as aligned ``field: value`` lines."""
        return "\n".join(f"{f.name}: {getattr(self, f.name)!r}" for f in dataclasses.fields(self))


registry: dict[str, TaskSpec] = {}
"""Every registered task spec, keyed by full versioned id."""


def format_fraction(fraction: float) -> str:
    """The fraction as it appears in task ids: ``0.3``, ``0.05``."""
    return f"{fraction:g}"


def task_id(stem: str, fraction: float, version: int | None = None) -> str:
    """Build a task id from its parts; without a version, the unversioned id."""
    name = f"{stem}-{format_fraction(fraction)}"
    return name if version is None else f"{name}-v{version}"


def parse_id(id: str) -> tuple[str, str, int | None]:
    """Split an id into (stem, fraction text, version or None); raise ``MalformedId``."""
    match = ID_PATTERN.fullmatch(id) if isinstance(id, str) else None
    if match is None:
        raise error.MalformedId(
            f"Malformed task id {id!r}: expected {ID_GRAMMAR}, e.g. 'S5-square-0.3' or 'Z97-div-0.5-v1'."
        )
    version = match["version"]
    return match["stem"], match["fraction"], None if version is None else int(version)


def register(id: str, **kwargs: Any) -> TaskSpec:
    """Register a task under its full versioned id; ``kwargs`` are ``TaskSpec`` fields."""
    stem, fraction_text, version = parse_id(id)
    if version is None:
        raise error.RegistrationError(f"Cannot register {id!r}: a registered id needs a version, e.g. '{id}-v1'.")
    if stem not in OPERATIONS:
        raise error.RegistrationError(
            f"Cannot register {id!r}: unknown operation {stem!r}; add it to OPERATIONS first."
        )
    if id in registry:
        raise error.RegistrationError(
            f"Cannot register {id!r}: it is already registered, and a published version never changes."
        )
    new_spec = TaskSpec(id=id, operation=stem, fraction=float(fraction_text), version=version, **kwargs)
    registry[id] = new_spec
    # The Gymnasium view; the entry point is a string, so this module need not import grokbench.envs.
    gymnasium.register(id=f"{NAMESPACE}/{id}", entry_point="grokbench.envs:TaskEnv", kwargs={"task_id": id})
    return new_spec


def _versions(name: str) -> list[int]:
    return sorted(s.version for s in registry.values() if s.name == name)


def spec(id: str) -> TaskSpec:
    """Resolve a task id to its registered spec, with an error that suggests the fix."""
    stem, fraction_text, version = parse_id(id)
    stems = sorted({s.operation for s in registry.values()})
    if stem not in stems:
        close = difflib.get_close_matches(stem, stems, n=3, cutoff=0.5) or stems
        raise error.UnknownOperation(f"Unknown operation {stem!r} in task id {id!r}. Did you mean: {', '.join(close)}?")
    name = task_id(stem, float(fraction_text))
    versions = _versions(name)
    if fraction_text != format_fraction(float(fraction_text)) or not versions:
        registered = sorted({s.fraction for s in registry.values() if s.operation == stem})
        raise error.UnregisteredFraction(
            f"Fraction {fraction_text} is not registered for {stem}; "
            f"registered fractions: {', '.join(map(format_fraction, registered))}."
        )
    if version is None:
        version = versions[-1]
    elif version not in versions:
        raise error.VersionNotFound(
            f"Version v{version} of {name} does not exist; registered versions: {', '.join(f'v{v}' for v in versions)}."
        )
    elif version < versions[-1]:
        warnings.warn(
            f"{name}-v{version} is out of date; the latest version is {name}-v{versions[-1]}, "
            "and results of different versions are not comparable.",
            error.DeprecatedTaskWarning,
            stacklevel=3,
        )
    return registry[f"{name}-v{version}"]


def make(id: str, **overrides: Any) -> Task:
    """Build the task ``id``; ``overrides`` (``max_steps``, ``batch_size``, ``outliers``) are recorded in its spec."""
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise error.InvalidOverride(
            f"Unknown override {', '.join(map(repr, unknown))} for make({id!r}); allowed: {', '.join(OVERRIDABLE)}."
        )
    for key, value in overrides.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if key == "outliers" else 1):
            bound = "a non-negative" if key == "outliers" else "a positive"
            raise error.InvalidOverride(f"Override {key}={value!r} for make({id!r}) must be {bound} integer.")
    base = spec(id)
    return Task(dataclasses.replace(base, **overrides, overrides={**base.overrides, **overrides}))


def pprint_registry(print_output: bool = True) -> str | None:
    """A table of the registered operations: stem, formula, equations, fractions, latest version."""
    rows = []
    for stem, op in OPERATIONS.items():
        specs = [s for s in registry.values() if s.operation == stem]
        if not specs:
            continue
        fractions = sorted({s.fraction for s in specs})
        rows.append(
            [
                stem,
                op.formula,
                len(op.equations()),
                f"{format_fraction(fractions[0])}–{format_fraction(fractions[-1])} ({len(fractions)})",
                f"v{max(s.version for s in specs)}",
            ]
        )
    text = tabulate(rows, headers=["stem", "formula", "equations", "fractions", "latest"])
    if print_output:
        print(text)
        return None
    return text


def _register_builtin_tasks() -> None:
    for stem in OPERATIONS:
        for fraction in FRACTIONS:
            register(task_id(stem, fraction, LATEST_VERSION))


_register_builtin_tasks()
