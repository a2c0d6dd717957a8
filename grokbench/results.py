"""The record of a run, and what is read from it; no torch, so scoring and validation load fast.

``RunResult`` is what the harness writes, the store keeps, the scorer reads and a leaderboard
entry's ``results.json`` holds; ``KEY`` is what identifies a run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from grokbench import __version__
from grokbench.architectures import REFERENCE, Architecture

if TYPE_CHECKING:
    from grokbench.methods import Method
    from grokbench.task import Task

THRESHOLD = 0.99
"""Accuracy that counts as generalized (validation) or memorized (training)."""


PRECISIONS = ("float32", "tf32", "bfloat16")
"""float32 is the reference; TF32 matmuls (CUDA) and bfloat16 autocast are recorded options for speed."""


@dataclass
class RunResult:
    """One run: its identity, its curves and what the scorer needs."""

    task_id: str
    """Full versioned task id."""
    split_hash: str
    """The task's split content hash."""
    method: str
    """Method name."""
    hyperparameter_hash: str
    """Hash of the method's hyperparameters."""
    hyperparameters: dict[str, Any]
    """The method's hyperparameters."""
    seed: int
    """Seed of the model initialization and batch order."""
    max_steps: int
    """The task's budget of updates."""
    model: str
    """Id of the model variant trained (``grokbench.architectures.MODELS``); the reference is ``grok-v1``."""
    steps: list[int] = field(default_factory=list)
    """Update counts at which the splits were evaluated."""
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    status: Literal["running", "completed", "early_stopped", "diverged"] = "running"
    """``completed`` (budget spent), ``early_stopped`` (100% validation reached) or ``diverged``."""
    wall_time_s: float = 0.0
    """Seconds from the start of the run's stack until the run left it."""
    device: str = "cpu"
    precision: str = "float32"
    hardware: str | None = None
    """What computed the run (``grokbench.devices.hardware``): the GPU, or the CPU with its thread count, which
    set the rounding. A run resumed elsewhere names both, ``"<saved on>, then <resumed on>"``; None in records
    written before it was kept."""
    stacked_runs: int = 1
    """Runs in the stack this run started in."""
    package_version: str = __version__

    @property
    def updates(self) -> int:
        """Updates done when the run ended."""
        return self.steps[-1] if self.steps else 0

    @property
    def steps_to_99_val(self) -> int | None:
        """First evaluated update count with validation accuracy ≥ 99%; None if never (censored)."""
        return _first_reaching(self.steps, self.val_acc)

    @property
    def steps_to_99_train(self) -> int | None:
        """First evaluated update count with training accuracy ≥ 99%; None if never (censored)."""
        return _first_reaching(self.steps, self.train_acc)

    @property
    def best_val_acc(self) -> float:
        """Best validation accuracy at any evaluation (0 for a run without one)."""
        finite = [a for a in self.val_acc if math.isfinite(a)]
        return max(finite, default=0.0)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> RunResult:
        """Rebuild a result from ``to_dict``'s record (derived measurements are recomputed)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in decode_curves(record).items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        """A record for strict JSON, with the derived measurements included.

        A curve value that is not a finite number (a diverged run's NaN loss) is written as
        ``null``, which every JSON reader accepts; ``from_dict`` reads it back as NaN.
        """
        record = asdict(self)
        for name in CURVES:
            record[name] = [v if math.isfinite(v) else None for v in record[name]]
        return record | {
            "updates": self.updates,
            "steps_to_99_val": self.steps_to_99_val,
            "steps_to_99_train": self.steps_to_99_train,
            "best_val_acc": self.best_val_acc,
        }


CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")
"""The per-evaluation float curves of a run."""


def decode_curves(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with the ``null`` values of its curves read back as NaN."""
    return record | {
        name: [math.nan if v is None else v for v in record[name]]
        for name in CURVES
        if isinstance(record.get(name), list)
    }


def _first_reaching(steps: list[int], accuracy: list[float]) -> int | None:
    return next((s for s, a in zip(steps, accuracy, strict=True) if a >= THRESHOLD), None)


def new_result(
    task: Task,
    seed: int,
    method: Method,
    device: str = "cpu",
    precision: str = "float32",
    model: Architecture = REFERENCE,
    hardware: str | None = None,
) -> RunResult:
    """The record of a run not yet trained: its identity, no curves."""
    return RunResult(
        task_id=task.id,
        split_hash=task.split_hash,
        method=method.name,
        hyperparameter_hash=method.hyperparameter_hash,
        hyperparameters=method.hyperparameters,
        seed=seed,
        max_steps=task.budget.max_steps,
        model=model.id,
        device=device,
        precision=precision,
        hardware=hardware,
    )


def ending_status(result: RunResult, max_steps: int, early_stop: bool = True) -> str | None:
    """The status a run takes at its latest evaluation, or None while it goes on.

    It ends diverged once a loss is not finite, completed at the budget, and early-stopped at
    100% validation accuracy once training accuracy has reached 99%.
    """
    return _status_at(result, len(result.steps) - 1, result.steps_to_99_train is not None, max_steps, early_stop)


def first_ending(result: RunResult, max_steps: int, early_stop: bool = True) -> tuple[int, str | None]:
    """The first evaluation (index) at which the harness ends the run, and its status there.

    The last evaluation and None when no evaluation ends it (a run cut short).
    """
    memorized = False
    for index, train_acc in enumerate(result.train_acc):
        memorized = memorized or train_acc >= THRESHOLD
        status = _status_at(result, index, memorized, max_steps, early_stop)
        if status is not None:
            return index, status
    return len(result.steps) - 1, None


def _status_at(result: RunResult, index: int, memorized: bool, max_steps: int, early_stop: bool) -> str | None:
    if not (math.isfinite(result.train_loss[index]) and math.isfinite(result.val_loss[index])):
        return "diverged"
    if result.steps[index] == max_steps:
        return "completed"
    if early_stop and result.val_acc[index] >= 1.0 and memorized:
        return "early_stopped"
    return None


KEY = ("task_id", "split_hash", "method", "hyperparameter_hash", "seed", "max_steps", "model", "package_version")
"""The fields that identify a run."""


def run_key(result: RunResult) -> tuple:
    """The key of a run, in ``KEY`` order."""
    return tuple(getattr(result, name) for name in KEY)
