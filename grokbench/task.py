"""A task: one operation table, a fixed train/validation split of it, and a training budget."""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from grokbench import error
from grokbench.operations import OPERATIONS
from grokbench.splits import content_hash, equation_order, train_size

if TYPE_CHECKING:
    import datasets
    import torch

    from grokbench.registration import TaskSpec

CITATION = """@article{power2022grokking,
  title   = {Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets},
  author  = {Power, Alethea and Burda, Yuri and Edwards, Harri and Babuschkin, Igor and Misra, Vedant},
  journal = {arXiv preprint arXiv:2201.02177},
  year    = {2022}
}"""
OP_TOKEN = "∘"
EQ_TOKEN = "="


@dataclass(frozen=True)
class Budget:
    """What a run may spend, and when it is measured: fixed by the task, not by the method."""

    max_steps: int
    """Maximum number of optimizer updates."""
    batch_size: int
    """Equations per update."""
    warmup_steps: int
    """Updates of linear learning-rate warmup."""
    eval_min_interval: int = 10
    """Evaluations are never more than this many updates apart early in training..."""
    eval_relative_interval: float = 0.01
    """...and later never more than this fraction of the current step apart."""

    def eval_steps(self) -> np.ndarray:
        """Update counts at which the full splits are evaluated, from 0 to ``max_steps``.

        Consecutive evaluations are at most ``max(eval_min_interval, eval_relative_interval · s)``
        apart, so the first evaluation at which a threshold is reached locates the crossing
        to within 10 updates or 1%, whichever is larger.
        """
        steps = [0]
        while steps[-1] < self.max_steps:
            step = steps[-1]
            steps.append(
                min(self.max_steps, step + max(self.eval_min_interval, int(self.eval_relative_interval * step)))
            )
        return np.array(steps, dtype=np.int64)


@dataclass(frozen=True)
class Split:
    """One split of a task: equations as symbol indices, and the model's view of them."""

    name: str
    """``"train"`` or ``"validation"``."""
    equations: np.ndarray
    """``(N, 3)`` int64 array of ``(a, b, c)`` symbol indices, in the split's fixed order."""
    op_token: int
    """Token id of ``∘``."""
    eq_token: int
    """Token id of ``=``."""

    def __len__(self) -> int:
        return len(self.equations)

    def numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """``(inputs, targets)``: ``(N, 4)`` token ids of ``a ∘ b =`` and ``(N,)`` answer ids."""
        a, b, c = self.equations.T
        inputs = np.stack([a, np.full_like(a, self.op_token), b, np.full_like(a, self.eq_token)], axis=1)
        return inputs, c.copy()

    @property
    def inputs(self) -> torch.Tensor:
        """``(N, 4)`` int64 tensor of the token ids of ``a ∘ b =``."""
        import torch

        return torch.from_numpy(self.numpy()[0])

    @property
    def targets(self) -> torch.Tensor:
        """``(N,)`` int64 tensor of the answer's token id (a symbol index)."""
        import torch

        return torch.from_numpy(self.numpy()[1])


class Task:
    """A registered task, built by ``grokbench.make``.

    Token layout: symbol i of the operation is token i; ``∘`` and ``=`` follow the symbols.
    A model reads the four tokens ``a ∘ b =`` and predicts the token of ``c``.
    """

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec
        self.operation = OPERATIONS[spec.operation]
        equations = self.operation.equations()[equation_order(spec.operation, spec.version)]
        n_train = train_size(spec.fraction, len(equations))
        train = equations[:n_train].copy()
        self.outlier_positions = self._plant_outliers(train, spec.outliers)
        symbols = self.operation.symbols
        self.vocab: tuple[str, ...] = (*symbols, OP_TOKEN, EQ_TOKEN)
        """Every token, in id order: the symbols, then ``∘`` and ``=``."""
        self.train = Split("train", train, op_token=len(symbols), eq_token=len(symbols) + 1)
        self.validation = Split("validation", equations[n_train:], op_token=len(symbols), eq_token=len(symbols) + 1)
        batch_size = spec.batch_size or min(512, math.ceil(n_train / 2))
        if batch_size > n_train:
            raise error.InvalidOverride(
                f"batch_size={batch_size} exceeds the {n_train} training equations of {spec.id}."
            )
        self.budget = Budget(max_steps=spec.max_steps, batch_size=batch_size, warmup_steps=spec.warmup_steps)

    def _plant_outliers(self, train: np.ndarray, k: int) -> np.ndarray:
        """Give k training equations the answer of another training equation; return their positions.

        Victims and donors come from a hash-derived order of the training set, so the choice
        is fixed for a task version; each donor's answer differs from its victim's.
        """
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        if k > len(train) // 2:
            raise error.InvalidOverride(
                f"outliers={k} is too many for {self.spec.id}: at most {len(train) // 2} (half its training set)."
            )
        symbols = self.operation.symbols
        key = f"grokbench-outliers/v{self.spec.version}/{self.spec.operation}"
        order = sorted(
            range(len(train)),
            key=lambda i: hashlib.sha256(f"{key}/{symbols[train[i, 0]]}/{symbols[train[i, 1]]}".encode()).digest(),
        )
        victims, donors = order[:k], itertools.cycle(order[k:])  # after the last donor, start again from the first
        for victim in victims:
            donor = next(d for d in donors if train[d, 2] != train[victim, 2])
            train[victim, 2] = train[donor, 2]
        return np.array(sorted(victims), dtype=np.int64)

    @property
    def id(self) -> str:
        """Full versioned task id."""
        return self.spec.id

    @property
    def formula(self) -> str:
        """The operation as text, e.g. ``"x / y mod 97"``."""
        return self.operation.formula

    @property
    def symbols(self) -> tuple[str, ...]:
        """The operation's symbols; answers are indices into this tuple."""
        return self.operation.symbols

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens: symbols plus ``∘`` and ``=``."""
        return len(self.vocab)

    @property
    def num_equations(self) -> int:
        """Equations in the whole table (train plus validation)."""
        return len(self.train) + len(self.validation)

    @cached_property
    def split_hash(self) -> str:
        """Content hash of both splits (symbols and every triple, outliers included)."""
        return content_hash(self.symbols, self.train.equations, self.validation.equations)

    def table(self, rows: int | None = None, cols: int | None = None) -> str:
        """The operation table as text, as in the paper's Fig. 1 right.

        Training cells show their answer, validation cells are blank, and pairs outside the
        domain (y = 0 for division) show ``·``. ``rows``/``cols`` limit it to a corner.
        """
        n = len(self.symbols)
        rows, cols = min(rows or n, n), min(cols or n, n)
        width = max(len(s) for s in self.symbols)
        grid = [["·"] * cols for _ in range(rows)]
        for a, b, _ in self.validation.equations:
            if a < rows and b < cols:
                grid[a][b] = ""
        for a, b, c in self.train.equations:
            if a < rows and b < cols:
                grid[a][b] = self.symbols[c]
        header = f"{OP_TOKEN:>{width}} | " + " ".join(f"{self.symbols[b]:>{width}}" for b in range(cols))
        lines = [header, "-" * len(header)]
        lines += [
            f"{self.symbols[a]:>{width}} | " + " ".join(f"{cell:>{width}}" for cell in grid[a]) for a in range(rows)
        ]
        return "\n".join(lines)

    def hf_features(self) -> datasets.Features:
        """The Hugging Face features of ``to_hf``: symbol class labels ``a``, ``b``, ``c`` and ``text``."""
        import datasets

        label = datasets.ClassLabel(names=list(self.symbols))
        return datasets.Features({"a": label, "b": label, "c": label, "text": datasets.Value("string")})

    def to_hf(self) -> datasets.DatasetDict:
        """The task as a Hugging Face ``DatasetDict`` with ``train`` and ``validation`` splits.

        Columns ``a``, ``b``, ``c`` are ``ClassLabel`` features whose names are the symbols
        (so ``c`` is the class a model predicts) and ``text`` is ``"a ∘ b = c"``; rows are in
        the split's fixed order. The id, version, formula and split hash are in ``info``.
        """
        import datasets

        features = self.hf_features()
        info = datasets.DatasetInfo(
            description=(
                f"grokbench task {self.id} (version {self.spec.version}): {self.operation.description} "
                f"Split hash {self.split_hash}."
            ),
            citation=CITATION,
            homepage="https://arxiv.org/abs/2201.02177",
            license="mit",
            features=features,
            config_name=self.spec.name,
            version=f"{self.spec.version}.0.0",
        )
        symbols = self.symbols

        def dataset(split: Split) -> datasets.Dataset:
            a, b, c = split.equations.T
            text = [f"{symbols[x]} {OP_TOKEN} {symbols[y]} {EQ_TOKEN} {symbols[z]}" for x, y, z in split.equations]
            columns = {"a": a, "b": b, "c": c, "text": text}
            return datasets.Dataset.from_dict(columns, features=features, info=info.copy(), split=split.name)

        return datasets.DatasetDict({"train": dataset(self.train), "validation": dataset(self.validation)})

    def __repr__(self) -> str:
        return (
            f"<Task {self.id}: {self.formula}, train {len(self.train)} / validation {len(self.validation)}, "
            f"batch {self.budget.batch_size}, {self.budget.max_steps} updates, split {self.split_hash[:12]}>"
        )
