"""Methods: how parameters are updated. A method is a plain Python file, loaded by ``load_method``.

The harness owns the model, its initialization, the data order, the evaluation and the update
count; a method owns only the update. A method file defines ``HYPERPARAMETERS`` (the one
required field of ``CONTRACT``) and:

``make_optimizer(params, **hyperparameters) -> torch.optim.Optimizer``
    Any optimizer, from torch, a pip package or the file itself. Gradient filters (Grokfast),
    update noise and decay toward the initialization are optimizers that wrap or subclass one.
    Each tensor of ``params`` carries its name (``p.param_name``, e.g. ``"h0.attn.qkv.weight"``)
    and its role (``p.role``: ``"embedding"``, ``"hidden"`` for the blocks' weight matrices,
    ``"vector"`` for biases and layer norms, ``"output"`` for the output layer), so a method can
    split them, e.g. Muon on the hidden matrices and AdamW on the rest, or no decay on vectors.
    An optimizer with ``eval()`` and ``train()`` methods (schedule-free's convention) is put
    in eval mode for every evaluation and back in train mode after it, so that evaluation sees
    the weights the method means to be evaluated (schedule-free's averaged weights, an EMA).

Its other fields (``CONTRACT``, listed at the end of this docstring) are optional and say
what the harness must know about the method.

A declared ``ELEMENTWISE = True`` or ``STACKED = True`` is verified when a stack is built: the
optimizer updates two stacked probe runs (random values and gradients, of the model's shapes,
the second's gradients a hundred times larger) for three steps, and each run alone; an update
that couples the runs (a step size shared over all elements, as Prodigy's, or a norm taken over
the whole stacked tensor) is refused with an error saying so.

Dropout and weight noise draw from per-run generators seeded from the run's seed. A method that
draws random numbers in its update draws the same numbers stacked or alone in either of two
ways. Declaring ``STACKED = True``, it draws with ``grokbench.streams.randn_like_per_run``, run
r's numbers from run r's update stream (update noise: one Adam step for the stack, one draw a
run). Declaring ``ELEMENTWISE = False`` (one optimizer per run), it draws from torch's global
generator, whose state each run keeps, seeded from its seed and swapped in around its optimizer
step; a single optimizer over the stack would draw all runs' numbers from the first run's stream.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.resources
import importlib.util
import inspect
import json
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from grokbench import error

if TYPE_CHECKING:  # torch is imported when an optimizer is built: reading a method file needs none
    import torch


def baselines_folder() -> Path:
    """The folder of the baseline methods: ``grokbench.baselines`` where grokbench is installed, else
    (a checkout put on ``sys.path`` without installing it, as on a machine with no network) the
    checkout's ``baselines/``, which the install maps to that package."""
    try:
        return Path(str(importlib.resources.files("grokbench.baselines")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "baselines"


BASELINES = baselines_folder()
"""The folder of the baseline methods: ``baselines/`` of a checkout, installed as ``grokbench.baselines``."""
DEFAULT_METHOD = BASELINES / "adamw.py"
"""The paper's reference recipe."""

ELEMENTWISE_OPTIMIZERS = ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta")
"""torch.optim optimizers (exactly these classes, not subclasses) known to update elementwise."""


CORE_MODULES = frozenset({"torch", "numpy", "grokbench"})
"""Modules every grokbench install has, which a method may import without declaring them."""


def _positive_int_or_full(value: Any) -> bool:
    return value == "full" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)


def _json_dict(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class ContractField:
    """One data field of a method file: what it may hold, its default, and what it means."""

    name: str
    """The module-level name in the method file."""
    expected: str
    """What it must be, as error messages and the docs say it."""
    valid: Callable[[Any], bool]
    """Whether a value is acceptable."""
    default: Any
    """Its value when the file does not define it; ``REQUIRED`` when it must."""
    meaning: str
    """What it tells the harness."""


REQUIRED = object()
"""The default of a field every method file must define."""

CONTRACT = (
    ContractField(
        "HYPERPARAMETERS",
        "a JSON-serializable dict",
        _json_dict,
        REQUIRED,
        "Keyword arguments of ``make_optimizer``; recorded with every run and hashed into its key.",
    ),
    ContractField("NAME", "a str", lambda v: isinstance(v, str), None, "Shown in tables; the file's stem by default."),
    ContractField(
        "ELEMENTWISE",
        "a bool",
        lambda v: isinstance(v, bool),
        None,
        "True: each element's update depends only on its own history, and one optimizer updates a whole "
        "stack (tensors with a leading run dimension); a declared True is verified. False: one optimizer per "
        "run, over its parameters in their natural shapes (views of the stack). Undeclared: true for "
        "torch's own elementwise optimizers (SGD, Adam, AdamW, ...), false otherwise.",
    ),
    ContractField(
        "STACKED",
        "a bool",
        lambda v: isinstance(v, bool),
        None,
        "True: an update that is not elementwise (norms, projections) but keeps each run's to its own slice "
        "of the stack: one optimizer updates a whole stack, every tensor's leading dimension being the run, "
        "its reductions run over the other dimensions, and the random numbers it draws come from "
        "grokbench.streams.randn_like_per_run (each run's from its own stream); verified as a declared "
        "ELEMENTWISE = True is. "
        "Undeclared: as ELEMENTWISE says.",
    ),
    ContractField("DROPOUT", "a float", _number, 0.0, "Residual dropout probability of the model."),
    ContractField(
        "WEIGHT_NOISE",
        "a float",
        _number,
        0.0,
        "Std of Gaussian noise added to every weight in each training forward pass (W + sigma * eps).",
    ),
    ContractField(
        "BATCH_SIZE",
        "a positive int or 'full'",
        _positive_int_or_full,
        None,
        "Equations per update instead of the task's rule (capped at the training set); 'full' is "
        "full-batch training. The budget still counts updates.",
    ),
    ContractField(
        "HARNESS_WARMUP",
        "a bool",
        lambda v: isinstance(v, bool),
        True,
        "True: the harness multiplies every group's lr by the task's linear warmup, "
        "min(1, (update + 1) / warmup_steps). False: lr is left to the optimizer (schedule-free's own warmup).",
    ),
)
"""The data fields of a method file: the one description the loader, its errors and the docs use."""
FIELDS = tuple(f.name for f in CONTRACT)


def contract_table() -> str:
    """The contract as a Markdown table (CONTRIBUTING.md holds it)."""
    rows = ["| field | must be | default | meaning |", "|---|---|---|---|"]
    for f in CONTRACT:
        default = "required" if f.default is REQUIRED else repr(f.default)
        rows.append(f"| `{f.name}` | {f.expected} | {default} | {f.meaning} |")
    return "\n".join(rows)


class MethodError(error.Error):
    """A method file is missing a field or gives one of the wrong type."""


@dataclass(frozen=True)
class Method:
    """A loaded method: the update rule and what the harness must know about it."""

    name: str
    """Name shown in tables."""
    make_optimizer: Callable[..., torch.optim.Optimizer]
    """Builds the optimizer from a list of parameters and the hyperparameters."""
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of ``make_optimizer``."""
    elementwise: bool | None = None
    """Declared elementwise update, or None to detect it from the optimizer's class."""
    stacked: bool | None = None
    """Declared update of a whole stack at once (each run's on its own slice), or None: as ``elementwise`` says."""
    dropout: float = 0.0
    """Residual dropout probability."""
    weight_noise: float = 0.0
    """Std of the Gaussian noise added to weights in each training forward pass."""
    batch_size: int | str | None = None
    """Equations per update instead of the task's rule; ``"full"`` for the whole training set."""
    harness_warmup: bool = True
    """Whether the harness applies the task's learning-rate warmup; False when the optimizer owns its schedule."""
    source: str = ""
    """Path of the method file."""

    def batch_size_for(self, task_batch_size: int, n_train: int) -> int:
        """The batch size of a run on a task whose own rule gives ``task_batch_size``."""
        if self.batch_size is None:
            return task_batch_size
        return n_train if self.batch_size == "full" else min(int(self.batch_size), n_train)

    @property
    def hyperparameter_hash(self) -> str:
        """A short hash of the hyperparameters and forward-pass options, for result keys."""
        options = [self.hyperparameters, self.dropout, self.weight_noise, self.batch_size]
        if not self.harness_warmup:  # recorded only when set, so the keys of existing runs stay as they are
            options.append("no harness warmup")
        payload = json.dumps(options, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    @property
    def stochastic_forward(self) -> bool:
        """Whether training forward passes draw random numbers."""
        return self.dropout > 0 or self.weight_noise > 0

    def optimizer(self, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
        """Build the method's optimizer, checking that it is one."""
        import torch

        try:
            optimizer = self.make_optimizer(list(params), **self.hyperparameters)
        except Exception as exc:
            raise MethodError(
                f"make_optimizer in {_where(self.source, exc)} raised {type(exc).__name__}: {exc}. Fix the method file "
                "(`grokbench --debug ...` shows the whole traceback)."
            ) from exc
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise MethodError(
                f"make_optimizer in {self.source} returned {type(optimizer).__name__}; it must return a torch.optim.Optimizer."
            )
        return optimizer

    def updates_stacks(self, optimizer: torch.optim.Optimizer) -> bool:
        """Whether one optimizer updates a whole stack (else one per run): declared, or detected from
        ``optimizer``, the method's optimizer built for one run."""
        if self.stacked is not None:
            return self.stacked
        if self.elementwise is not None:
            return self.elementwise
        import torch

        return type(optimizer) in tuple(getattr(torch.optim, name) for name in ELEMENTWISE_OPTIMIZERS)

    @property
    def declaration(self) -> str | None:
        """The method file's declaration that one optimizer updates a whole stack, as written, or None."""
        if self.stacked:
            return "STACKED = True"
        return "ELEMENTWISE = True" if self.elementwise and self.stacked is None else None


def _syntax_error(path: Path, exc: SyntaxError) -> MethodError:
    return MethodError(f"{path}, line {exc.lineno}: syntax error: {exc.msg}.")


def _no_make_optimizer(path: Path) -> MethodError:
    return MethodError(
        f"{path} defines no make_optimizer(params, **hyperparameters) returning a torch.optim.Optimizer."
    )


def _where(path: str | Path, exc: BaseException) -> str:
    """``path``, with the line of the deepest traceback frame inside it when there is one."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if Path(frame.filename) == Path(path)]
    return f"{path}, line {lines[-1]}" if lines else str(path)


def load_method(path: str | Path) -> Method:
    """Load a method file (the format of ``baselines/`` and of leaderboard submissions)."""
    path = _existing(path)
    module = _execute(path)
    make_optimizer = getattr(module, "make_optimizer", None)
    if not callable(make_optimizer):
        raise _no_make_optimizer(path)
    method = _method(module, make_optimizer, path)
    try:
        inspect.signature(make_optimizer).bind([], **method.hyperparameters)
    except TypeError as exc:
        raise MethodError(
            f"HYPERPARAMETERS in {path} do not fit make_optimizer(params, ...): {exc}. "
            "Its keys must be make_optimizer's keyword arguments."
        ) from exc
    return method


def read_method(path: str | Path) -> Method:
    """A method file's fields, read without running the file or importing what it imports.

    The leaderboard validates entries this way, so an entry whose method needs a pip package
    is checked on a machine without it. ``NAME``, ``HYPERPARAMETERS`` and the other fields must
    be literals; ``make_optimizer`` loads the file when it is first called.
    """
    path = _existing(path)
    try:
        tree = ast.parse(path.read_text(), filename=str(path))
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from exc
    literals, names = {}, set()
    for node in tree.body:
        targets = (
            node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        )
        for target in targets:
            if isinstance(target, ast.Name) and target.id in FIELDS and node.value is not None:
                try:
                    literals[target.id] = ast.literal_eval(node.value)
                except ValueError as exc:
                    raise MethodError(
                        f"{path}, line {node.lineno}: {target.id} must be a literal (numbers, strings, lists, dicts), "
                        "so that the method can be read without running it."
                    ) from exc
        names |= _bound_names(node, targets)
    if "make_optimizer" not in names:
        raise _no_make_optimizer(path)

    def make_optimizer(params: list[torch.Tensor], **hyperparameters: Any) -> torch.optim.Optimizer:
        return load_method(path).make_optimizer(params, **hyperparameters)

    return _method(SimpleNamespace(**literals), make_optimizer, path)


def _bound_names(node: ast.stmt, targets: list[ast.expr]) -> set[str]:
    """The top-level names a statement of a module binds (definitions, assignments, imports)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return {target.id for target in targets if isinstance(target, ast.Name)}


def third_party_imports(path: str | Path) -> list[str]:
    """Top-level modules a method file imports that neither Python nor grokbench's core provides."""
    tree = ast.parse(Path(path).read_text(), filename=str(path))
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    top = {m.split(".")[0] for m in modules if m}
    return sorted(top - set(sys.stdlib_module_names) - CORE_MODULES)


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise MethodError(f"Method file {path} does not exist.")
    return path


def _execute(path: Path) -> Any:
    """Run a method file as a module; its errors become one ``MethodError`` naming the file and line."""
    module_name = f"grokbench_method_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling inside the file need it
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise _syntax_error(path, exc) from exc
    except ModuleNotFoundError as exc:
        raise MethodError(
            f"{_where(path, exc)} imports {exc.name}, which is not installed: `pip install {exc.name.split('.')[0]}` "
            "(the package's name on PyPI may differ), or remove the import."
        ) from exc
    except Exception as exc:
        raise MethodError(
            f"{_where(path, exc)}: loading the method file raised {type(exc).__name__}: {exc} "
            "(`grokbench --debug ...` shows the whole traceback)."
        ) from exc
    return module


def _method(fields: Any, make_optimizer: Callable[..., torch.optim.Optimizer], path: Path) -> Method:
    """A ``Method`` from the fields of a method file (a module, or the literals read from it), checked against ``CONTRACT``."""
    values = {}
    for spec in CONTRACT:
        value = getattr(fields, spec.name, spec.default)
        if value is REQUIRED or (value is not spec.default and not spec.valid(value)):
            shown = f"{value!r}" if value is not REQUIRED else "missing"
            raise MethodError(f"{spec.name} in {path} must be {spec.expected}, not {shown}.")
        values[spec.name] = value
    if values["ELEMENTWISE"] and values["STACKED"] is False:
        raise MethodError(
            f"{path} declares ELEMENTWISE = True and STACKED = False: an elementwise update is one of a whole "
            "stack. Remove one of the two."
        )
    return Method(
        name=values["NAME"] or path.stem,
        make_optimizer=make_optimizer,
        hyperparameters=values["HYPERPARAMETERS"],
        elementwise=values["ELEMENTWISE"],
        stacked=values["STACKED"],
        dropout=float(values["DROPOUT"]),
        weight_noise=float(values["WEIGHT_NOISE"]),
        batch_size=values["BATCH_SIZE"],
        harness_warmup=values["HARNESS_WARMUP"],
        source=str(path),
    )


__doc__ += "\nThe fields of ``CONTRACT``:\n\n" + "\n".join(
    f"``{f.name}`` ({f.expected}; {'required' if f.default is REQUIRED else f'default {f.default!r}'})\n    {f.meaning}"
    for f in CONTRACT
)
