"""The training harness: trains a method on tasks for their budgets, many runs as one computation.

The harness owns everything a fair comparison must hold fixed: the model and its
initialization (from the run's seed), the order of the training batches
(``grokbench.sampler``), the learning-rate warmup, the evaluation of the full splits on the
task's schedule, and the update count. A method (``grokbench.methods``) only supplies the
optimizer. Here: the per-run state (``_PerRun``), the stack and its update (``_Stack``), its
evaluation, the options (``TrainingOptions``) and the loop (``train_runs``: stacks in turn, or
several taking turns update by update, ``_take_turns``), whose status decisions are
``results.ending_status``.

Runs of one operation (any seeds, any fractions) are stacked, whatever the method: every
parameter gets a leading run dimension, forward and backward passes are batched over the
stack, and the update is exact: an elementwise optimizer (or one declared to keep each run's
update to its own slice) updates the whole stack, any other gets one instance per run over
views of the stack in their natural shapes. Random numbers
(dropout, weight noise, update noise) come from per-run streams seeded from the run's seed, so
a run follows the same trajectory stacked or alone. A run leaves the stack when it finishes:
its budget is spent, it reached 100% validation and 99% training accuracy (early stop), or its
loss is no longer finite (diverged; checked at each evaluation).
"""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from grokbench import checkpoints, error, resume, streams
from grokbench.architectures import REFERENCE, Architecture
from grokbench.capture import CapturedCall
from grokbench.devices import hardware, resolve_device
from grokbench.methods import Method, MethodError
from grokbench.model import ModelConfig, forward, init_parameters, parameter_role, per_run_normal_like
from grokbench.results import CURVES, PRECISIONS, RunResult, ending_status, new_result, run_key
from grokbench.sampler import batch_rows, device_constants
from grokbench.task import Budget, Task

UPDATE_STREAM_OFFSET = 1 << 32
"""A run's update stream (``grokbench.streams``) is seeded with its seed plus this: apart from its dropout stream."""


def eval_rows(device: torch.device) -> int:
    """Equations times runs per evaluation chunk: cache-sized on a CPU, large on a GPU (fewer
    kernel launches), bounded for memory on both."""
    return 1 << 19 if device.type == "cuda" else 1 << 16


@contextlib.contextmanager
def matmul_precision(precision: str) -> Iterator[None]:
    """float32 matmuls as ``precision`` says: TF32 for ``tf32``, full float32 otherwise. It wraps
    the backward pass too, whose matmuls follow the same setting."""
    previous = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high" if precision == "tf32" else "highest")
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(previous)


def autocast(precision: str, device: torch.device) -> torch.autocast:
    """bfloat16 autocast of a forward pass for ``bfloat16`` (off otherwise); without a cast cache,
    which a captured CUDA graph cannot hold (the numbers are the same)."""
    enabled = precision == "bfloat16"
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled, cache_enabled=False)


@dataclass
class _PerRun:
    """Everything a stack holds for each of its runs, in stack order.

    ``select`` slices every field at once when runs leave the stack, so a per-run field added
    here cannot be forgotten there.
    """

    ids: list[int]
    """Positions, in the caller's list of runs, of the runs still here."""
    seeds: np.ndarray
    n_train: np.ndarray
    """Training-set sizes."""
    batch: np.ndarray
    """Batch sizes."""
    epoch: np.ndarray
    """The epoch whose order ``order`` holds (-1 before the first)."""
    order: torch.Tensor
    """``(R, max n_train)`` each run's shuffled training positions in its current epoch."""
    on_device: dict[str, torch.Tensor]
    """Seeds, sizes, batch sizes and batch masks on the device (``sampler.device_constants``)."""
    targets: torch.Tensor
    """``(R, N)`` each run's answers for the whole table (its training set first)."""
    params: dict[str, torch.Tensor]
    """Stacked parameters, ``(R, *natural shape)``."""
    grads: dict[str, torch.Tensor]
    """Their gradients, written by the backward pass and read by the optimizer step."""
    forward_generators: list[torch.Generator]
    """Each run's stream for dropout and weight noise (empty when the method draws none)."""
    update_random_states: list[torch.Tensor]
    """Each run's state of torch's global generator, swapped in around its own optimizer step."""
    update_generators: list[torch.Generator]
    """Each run's stream for an update of the whole stack that draws random numbers (``grokbench.streams``)."""
    views: list[list[torch.nn.Parameter]]
    """Each run's parameters in their natural shapes, aliasing the stack (empty when one optimizer updates it)."""
    optimizers: list[torch.optim.Optimizer]
    """One optimizer per run over its ``views`` (empty when one optimizer updates the stack)."""

    def select(self, keep: list[int]) -> _PerRun:
        """The runs at positions ``keep``, every field sliced alike."""
        return _PerRun(**{f.name: _select(getattr(self, f.name), keep) for f in fields(self)})


def _select(value: Any, keep: list[int]) -> Any:
    if isinstance(value, dict):
        return {k: _select(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [value[i] for i in keep] if value else value
    return value[keep]  # numpy arrays and tensors: a copy of the kept rows


def warmup_factor(step: int, warmup_steps: int) -> float:
    """The learning-rate multiplier at update ``step`` (from 0): linear from 1/warmup_steps up to 1."""
    return min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0


class _Stack:
    """R runs of one operation trained as one computation.

    Parameters and gradients are stacked tensors with a leading run dimension. Forward and
    backward passes go ``runs_per_pass`` runs at a time (all of them on a GPU; on a CPU a small
    pass keeps activations in cache). An optimizer that updates stacks (``Method.updates_stacks``:
    elementwise, or declared to keep each run's update to its own slice) then updates the whole
    stack in one step; any other optimizer gets one instance per run, over views of the stacked
    tensors in their natural shapes, stepped in turn — only the optimizer step loops over runs.
    Every random number is drawn from the run's own stream, so a run follows the same trajectory
    stacked or alone.
    """

    def __init__(
        self,
        runs: list[tuple[Task, int]],
        method: Method,
        device: torch.device,
        precision: str,
        model: Architecture = REFERENCE,
        runs_per_pass: int | None = None,
        cuda_graphs: bool = True,
    ):
        first = runs[0][0]
        tables = [np.concatenate([t.train.equations, t.validation.equations]) for t, _ in runs]
        if any(not np.array_equal(table[:, :2], tables[0][:, :2]) for table in tables):
            raise ValueError("Runs stacked together must share one operation and task version.")
        self.method, self.device, self.precision = method, device, precision
        self.runs_per_pass = runs_per_pass or default_runs_per_pass(device)
        self.graphs = cuda_graphs and device.type == "cuda" and not method.stochastic_forward
        self._graph: CapturedCall | None = None
        self.config = ModelConfig(
            vocab_size=first.vocab_size, num_symbols=len(first.symbols), architecture=model, dropout=method.dropout
        )
        inputs, _ = first.train.numpy()
        val_inputs, _ = first.validation.numpy()
        self.inputs = torch.from_numpy(np.concatenate([inputs, val_inputs])).to(device)  # (N, 4)
        seeds = np.array([s for _, s in runs])
        n_train = np.array([len(t.train) for t, _ in runs])
        batch = np.array([method.batch_size_for(t.budget.batch_size, len(t.train)) for t, _ in runs])
        initial = [init_parameters(self.config, int(seed)) for seed in seeds]
        params = {k: torch.stack([p[k] for p in initial]).to(device) for k in initial[0]}
        update_random_states = []
        for seed in seeds:
            torch.manual_seed(int(seed))  # a method that draws random numbers in its update draws the run's own
            update_random_states.append(_global_random_state(device))
        self.runs = _PerRun(
            ids=list(range(len(runs))),
            seeds=seeds,
            n_train=n_train,
            batch=batch,
            epoch=np.full(len(runs), -1),
            order=torch.zeros((len(runs), int(n_train.max())), dtype=torch.int64, device=device),
            on_device=device_constants(seeds, n_train, batch, device),
            targets=torch.from_numpy(np.stack([t[:, 2] for t in tables])).to(device),  # (R, N)
            params=params,
            grads={k: torch.zeros_like(v) for k, v in params.items()},
            forward_generators=[
                torch.Generator(device=device).manual_seed(int(seed)) for seed in seeds if method.stochastic_forward
            ],
            update_random_states=update_random_states,
            update_generators=[
                torch.Generator(device=device).manual_seed(int(seed) + UPDATE_STREAM_OFFSET) for seed in seeds
            ],
            views=[],
            optimizers=[],
        )
        self.runs.views = [
            [_named(torch.nn.Parameter(p[run]), k) for k, p in params.items()] for run in range(len(runs))
        ]
        self._point_views()
        first_optimizer = method.optimizer(self.runs.views[0])
        self.stacked_update = method.updates_stacks(first_optimizer)
        if self.stacked_update:
            if method.declaration:  # declared: checked, since a false claim would couple the stacked runs
                _verify_stacked(method, params)
            self.runs.views = []
            self._build_stacked_optimizer()
        else:
            self.runs.optimizers = [first_optimizer, *(method.optimizer(views) for views in self.runs.views[1:])]
        self._set_mode("train")
        self.base_lr = [group["lr"] for group in self._optimizers()[0].param_groups]

    @property
    def ids(self) -> list[int]:
        """Positions, in the caller's list of runs, of the runs still in the stack."""
        return self.runs.ids

    def _point_views(self) -> None:
        """Make each run's views alias its rows of the stacked parameters and gradients."""
        for run, views in enumerate(self.runs.views):
            for view, param, grad in zip(views, self.runs.params.values(), self.runs.grads.values(), strict=True):
                view.data, view.grad = param[run], grad[run]

    def _build_stacked_optimizer(self, state: list[dict[str, Any]] | None = None) -> None:
        """One optimizer over the stacked tensors, with ``state`` (per parameter) when given."""
        stacked = [_named(param, name) for name, param in self.runs.params.items()]
        for param, grad in zip(stacked, self.runs.grads.values(), strict=True):
            param.grad = grad
        self.optimizer = self.method.optimizer(stacked)
        for param, param_state in zip(stacked, state or [], strict=False):
            self.optimizer.state[param] = param_state

    def _optimizers(self) -> list[torch.optim.Optimizer]:
        return [self.optimizer] if self.stacked_update else self.runs.optimizers

    def _set_mode(self, mode: str) -> None:
        """``eval`` or ``train`` mode for optimizers that have them (schedule-free's averaged weights)."""
        for optimizer in self._optimizers():
            switch = getattr(optimizer, mode, None)
            if callable(switch):
                switch()

    def keep_only(self, keep: list[int]) -> None:
        """Drop the runs not at the positions ``keep``; the others go on exactly as before."""
        old = list(self.runs.params.values())
        self.runs = self.runs.select(keep)
        self._graph = None  # captured for the old shapes
        if self.stacked_update:
            self._build_stacked_optimizer([_select_state(self.optimizer.state[p], p, keep, self.method) for p in old])
            return
        self._point_views()  # the optimizers keep their views, and so their state, now over the new stack

    def state_dict(self) -> dict[str, Any]:
        """What the stack's runs cannot rebuild from their task and seed: weights, optimizer state,
        data-order position and random streams."""
        runs = self.runs
        return {
            "epoch": runs.epoch.copy(),
            "order": runs.order.cpu(),
            "params": {k: v.cpu() for k, v in runs.params.items()},
            "forward_generators": [generator.get_state() for generator in runs.forward_generators],
            "update_random_states": list(runs.update_random_states),
            "update_generators": [generator.get_state() for generator in runs.update_generators],
            "optimizers": [optimizer.state_dict() for optimizer in self._optimizers()],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state_dict()`` of a stack of the same runs.

        The saved stack may have been wider, its orders padded for a larger training set that has
        left it since: the padding is cut, as no batch reads past its own run's training set.
        """
        runs = self.runs
        runs.epoch[:] = state["epoch"]
        runs.order.copy_(state["order"][:, : runs.order.shape[1]])
        for name, param in runs.params.items():  # in place: views and the optimizer keep pointing at them
            param.copy_(state["params"][name])
        for generator, generator_state in zip(runs.forward_generators, state["forward_generators"], strict=True):
            generator.set_state(generator_state)
        runs.update_random_states = list(state["update_random_states"])
        for generator, generator_state in zip(runs.update_generators, state.get("update_generators", []), strict=False):
            generator.set_state(generator_state)  # (a stack saved before these streams existed drew none from them)
        for optimizer, optimizer_state in zip(self._optimizers(), state["optimizers"], strict=True):
            optimizer.load_state_dict(optimizer_state)

    def _with_weight_noise(self, params: dict[str, torch.Tensor], part: slice) -> dict[str, torch.Tensor]:
        """The parameters plus each run's weight noise, drawn for all of its tensors at once (one draw a
        run); on a CPU these are the numbers of a draw per tensor, every size being a multiple of 16."""
        if self.method.weight_noise == 0:
            return params
        noise = per_run_normal_like(list(params.values()), self.runs.forward_generators[part])
        return {k: v + self.method.weight_noise * n for (k, v), n in zip(params.items(), noise, strict=True)}

    def step(self, step: int, warmup_steps: int) -> None:
        """One update of every run: its own batch, its own loss, the method's optimizer."""
        runs = self.runs
        rows, mask = batch_rows(runs.order, runs.epoch, runs.n_train, runs.batch, runs.on_device, step)
        if self.graphs and self._graph is None:
            self._graph = self._capture(rows, mask)
        if self._graph is not None:
            self._graph.replay(rows)
        else:
            self._gradients(rows, mask)
        factor = warmup_factor(step, warmup_steps)
        for run, optimizer in enumerate(self._optimizers()):
            if self.method.harness_warmup:
                for group, base in zip(optimizer.param_groups, self.base_lr, strict=True):
                    group["lr"] = base * factor
            # the run's own stream for an update that draws random numbers (the stacked optimizer: the first run's
            # global one, and each run's own through grokbench.streams)
            _set_global_random_state(self.device, runs.update_random_states[run])
            with streams.drawing_from(runs.update_generators) if self.stacked_update else contextlib.nullcontext():
                optimizer.step()
            runs.update_random_states[run] = _global_random_state(self.device)

    def _capture(self, rows: torch.Tensor, mask: torch.Tensor) -> CapturedCall | None:
        """``_gradients`` captured as a CUDA graph for the stack's current shapes, checked to give
        the eager pass's gradients bit for bit; where capture fails or differs, None, and the
        stack goes on without graphs."""
        try:
            self._gradients(rows, mask)  # first, so that its activations are freed before the capture keeps its own
            eager = {name: grad.clone() for name, grad in self.runs.grads.items()}
            graph = CapturedCall(lambda static_rows: self._gradients(static_rows, mask), rows)
            for grad in self.runs.grads.values():
                grad.zero_()
            graph.replay(rows)
            if all(torch.equal(grad, eager[name]) for name, grad in self.runs.grads.items()):
                return graph
            problem = "its gradients differ from the eager pass's"
        except Exception as exc:  # whatever stops a capture, the eager path remains
            problem = f"capture failed: {exc}"
        warnings.warn(f"No CUDA graph for this stack ({problem}); it trains without graphs.", stacklevel=3)
        self.graphs = False
        return None

    def _gradients(self, rows: torch.Tensor, mask: torch.Tensor) -> None:
        """Every run's gradient of its mean loss on its batch ``rows`` (``mask``: the real positions),
        into ``runs.grads``."""
        runs = self.runs
        batch = runs.on_device["batch"]
        for lo in range(0, len(runs.ids), self.runs_per_pass):
            part = slice(lo, lo + self.runs_per_pass)
            # A pass is as wide as its own largest batch: a run passed alone (as on a CPU) computes
            # with exactly the shapes it has when trained alone, so its numbers are the same.
            width = int(runs.batch[part].max())
            part_rows, part_mask = rows[part, :width], mask[part, :width]
            leaves = {k: v[part].detach().requires_grad_() for k, v in runs.params.items()}
            generators = runs.forward_generators[part] or None
            with matmul_precision(self.precision):
                with autocast(self.precision, self.device):
                    logits = forward(
                        self._with_weight_noise(leaves, part), self.inputs[part_rows], self.config, generators
                    )
                targets = runs.targets[part].gather(1, part_rows)
                losses = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
                ((losses.view(targets.shape) * part_mask).sum(1) / batch[part]).sum().backward()
            for k, leaf in leaves.items():
                runs.grads[k][part] = leaf.grad

    def evaluate(self) -> dict[str, np.ndarray]:
        """Each run's accuracy and mean loss on both splits: one ``(R,)`` array per name of ``CURVES``.

        An optimizer with eval and train modes is in eval mode meanwhile.
        """
        self._set_mode("eval")
        try:
            return self._metrics()
        finally:
            self._set_mode("train")

    @torch.no_grad()
    def _metrics(self) -> dict[str, np.ndarray]:
        """``evaluate``, with the weights as they are."""
        runs, n = self.runs.targets.shape
        n_train = self.runs.on_device["n_train"]
        train_mask = torch.arange(n, device=self.device)[None, :] < n_train[:, None]
        loss_sum = torch.zeros((runs, 2), device=self.device, dtype=torch.float64)
        correct = torch.zeros((runs, 2), device=self.device, dtype=torch.float64)
        # Runs go in passes of runs_per_pass, each in chunks sized by the pass alone: on a CPU a run is
        # then evaluated with exactly the shapes it has when trained alone, so its numbers are the same.
        per_pass = min(self.runs_per_pass, runs)
        chunk = max(1, eval_rows(self.device) // per_pass)
        for first in range(0, runs, per_pass):
            part = slice(first, first + per_pass)
            params = {k: v[part] for k, v in self.runs.params.items()}
            for lo in range(0, n, chunk):
                with matmul_precision(self.precision), autocast(self.precision, self.device):
                    logits = forward(params, self.inputs[lo : lo + chunk], self.config).float()
                targets = self.runs.targets[part, lo : lo + chunk]
                losses = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view(targets.shape)
                hits = (logits.argmax(-1) == targets).double()
                is_train = train_mask[part, lo : lo + chunk].double()
                for column, weight in enumerate((is_train, 1 - is_train)):
                    loss_sum[part, column] += (losses.double() * weight).sum(1)
                    correct[part, column] += (hits * weight).sum(1)
        sizes = torch.stack([n_train, n - n_train], dim=1)
        columns = torch.cat([correct / sizes, loss_sum / sizes], dim=1).cpu().numpy()
        return dict(zip(CURVES, columns.T, strict=True))  # CURVES: the accuracies, then the losses


def _select_state(state: dict[str, Any], param: torch.Tensor, keep: list[int], method: Method) -> dict[str, Any]:
    """The state of an optimizer of whole stacks for one stacked parameter, for the runs ``keep``.

    Each entry is per element (shaped like the parameter), per run (a tensor of the parameter's
    dimensions whose leading one is the run, such as a per-run norm kept as ``(R, 1, 1)``), both
    sliced with it, or shared by the stack (a number or 0-d tensor, such as the step count, the
    same for every run); anything else shows that the update does not keep runs apart, which is
    refused rather than mixed.
    """
    kept = {}
    for name, value in state.items():
        if torch.is_tensor(value) and value.dim() == param.dim() and value.shape[0] == param.shape[0]:
            kept[name] = value[keep].clone()
        elif torch.is_tensor(value) and value.dim() > 0:
            fix = f"Remove {method.declaration}" if method.declaration else "Declare ELEMENTWISE = False"
            raise MethodError(
                f"The optimizer of {method.source} keeps state {name!r} of shape {tuple(value.shape)} for a parameter "
                f"of shape {tuple(param.shape)}: neither per element nor per run, so its update does not keep the "
                f"stacked runs apart. {fix}, so that each run gets its own optimizer."
            )
        else:
            kept[name] = value
    return kept


def _named(tensor: torch.Tensor, name: str) -> torch.Tensor:
    """``tensor`` labelled with its parameter's name and role, for methods that treat them differently."""
    tensor.param_name, tensor.role = name, parameter_role(name)
    return tensor


PROBE_STEPS = 3
"""Updates of the probe that verifies a declared update of whole stacks."""


def _verify_stacked(method: Method, params: dict[str, torch.Tensor]) -> None:
    """Refuse a method declared to update whole stacks whose optimizer updates two stacked runs unlike each alone.

    The probe: two runs of random values of the model's shapes, each pushed ``PROBE_STEPS``
    times along its own fixed random gradient (the second's a hundred times the first's, so
    that a statistic shared by the runs shows), stacked and each alone. The updates are
    compared, not the weights, since an update may be tiny (Prodigy's first steps).
    """
    generator = torch.Generator().manual_seed(0)
    values = {k: torch.randn((2, *v.shape[1:]), generator=generator).to(v) for k, v in params.items()}
    scale = torch.tensor([1.0, 100.0])
    grads = {
        k: torch.randn(v.shape, generator=generator).to(v) * scale.view(2, *[1] * (v.dim() - 1)).to(v)
        for k, v in values.items()
    }

    def trained(rows: slice) -> dict[str, torch.Tensor]:
        tensors = {k: _named(v[rows].clone(), k) for k, v in values.items()}
        optimizer = method.optimizer(list(tensors.values()))
        device = next(iter(values.values())).device
        probe_streams = [torch.Generator(device=device).manual_seed(run) for run in range(2)][rows]
        for _ in range(PROBE_STEPS):
            for k, tensor in tensors.items():
                tensor.grad = grads[k][rows].clone()
            with streams.drawing_from(probe_streams):
                optimizer.step()
        return tensors

    together, first, second = trained(slice(0, 2)), trained(slice(0, 1)), trained(slice(1, 2))
    for name, stacked in together.items():
        moved, moved_alone = stacked - values[name], torch.cat([first[name], second[name]]) - values[name]
        gap = float((moved - moved_alone).abs().max())
        if gap > 1e-4 * float(moved_alone.abs().max()):
            raise MethodError(
                f"{method.source} declares {method.declaration}, but its optimizer updates two stacked runs unlike "
                f"each run alone (parameter {name}, by up to {gap:.3g} after {PROBE_STEPS} updates): something in its "
                "update is shared across the whole tensor (a global step size, a norm over every run). Remove "
                f"{method.declaration}, so that each run gets its own optimizer."
            )


def _global_random_state(device: torch.device) -> torch.Tensor:
    """The state of torch's global generator for ``device``."""
    return torch.get_rng_state() if device.type == "cpu" else torch.get_device_module(device).get_rng_state(device)


def _set_global_random_state(device: torch.device, state: torch.Tensor) -> None:
    if device.type == "cpu":
        torch.set_rng_state(state)
    else:
        torch.get_device_module(device).set_rng_state(state, device)


def default_runs_per_pass(device: torch.device) -> int:
    """Runs per forward/backward pass: the whole stack on a GPU, a few on a CPU (cache-sized)."""
    return 1 << 20 if device.type == "cuda" else 1


ProgressCallback = Callable[[int, list[RunResult]], None]
"""Called after every update with the update count and the runs still training."""
ResultCallback = Callable[[RunResult], None]
"""Called once per run, as soon as it has finished."""


@dataclass(frozen=True)
class TrainingOptions:
    """How runs are trained, beyond their task and method: the choices ``train``, ``run``,
    ``submit`` and ``verify`` share, defined once."""

    device: str | None = None
    """torch device (``cpu``, ``cuda``, ``cuda:1``, ``mps``); None: CUDA when present, else the CPU."""
    precision: str = "float32"
    """``float32``, the reference; ``tf32`` (CUDA matmuls in TensorFloat-32) or ``bfloat16``
    (autocast), recorded options for speed."""
    model: Architecture = REFERENCE
    """The model variant trained: the reference unless a study asks for another."""
    early_stop: bool = True
    """Stop a run at 100% validation accuracy once training accuracy has reached 99%."""
    max_stack: int = 128
    """Most runs trained as one computation."""
    runs_per_pass: int | None = None
    """Runs per forward/backward pass; None: ``default_runs_per_pass`` of the device."""
    cuda_graphs: bool = True
    """On a GPU, replay each stack's forward and backward pass as a captured CUDA graph (same
    kernels, same numbers, far fewer launches) unless the method draws random numbers in its
    forward pass; False: launch every kernel, the plain path."""
    checkpoint_dir: str | None = None
    """Folder of stack checkpoints (``grokbench.resume``): stacks save there and resume from there. None: none."""
    checkpoint_every_s: float = 300.0
    """Least seconds between two checkpoints of a stack (taken at evaluations); 0 saves at every evaluation."""
    milestones_dir: str | None = None
    """Folder where each run keeps its parameters at its milestones (``grokbench.checkpoints``). None: nowhere."""
    deadline: float | None = None
    """Wall-clock time (``time.time()``) at which training stops between two updates: the stacks
    in training save their checkpoints (in ``checkpoint_dir``) and ``error.TimeLimit`` is raised,
    so that the same call, made again, trains nothing twice. None: no limit."""
    concurrent_stacks: int = 1
    """Stacks trained at once, taking turns update by update, each on its own CUDA stream on a GPU,
    so that small stacks fill it together; 1: one stack after another. A stack computes the
    same numbers either way: only the order in which stacks launch their work changes."""

    def __post_init__(self) -> None:
        if self.concurrent_stacks < 1:
            raise error.Error(f"concurrent_stacks is {self.concurrent_stacks}; it counts stacks, at least 1.")
        if self.precision not in PRECISIONS:
            raise error.Error(f"Unknown precision {self.precision!r}; choose one of: {', '.join(PRECISIONS)}.")
        if self.precision == "tf32" and self.device is not None:  # early where the device is named
            _check_precision(self.precision, resolve_device(self.device))


def _check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision the device does not have."""
    if precision == "tf32" and device.type != "cuda":
        raise error.Error(f"Precision tf32 is a mode of CUDA matmuls; on {device} use float32 or bfloat16.")


def train(
    tasks: Task | Sequence[Task],
    method: Method,
    seeds: Sequence[int],
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
    **options: Any,
) -> list[RunResult]:
    """Train ``method`` on every (task, seed) pair for the task's budget; one result per pair.

    ``options`` are the fields of ``TrainingOptions``.
    """
    tasks = [tasks] if isinstance(tasks, Task) else list(tasks)
    runs = [(task, int(seed)) for task in tasks for seed in seeds]
    return train_runs(runs, method, TrainingOptions(**options), progress=progress, on_result=on_result)


def train_runs(
    runs: Sequence[tuple[Task, int]],
    method: Method,
    options: TrainingOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    on_result: ResultCallback | None = None,
) -> list[RunResult]:
    """Train ``method`` on each (task, seed) run; one result per run, in order.

    Runs of tasks sharing an operation, version and budget are stacked, at most
    ``options.max_stack`` per stack; ``options.concurrent_stacks`` of the stacks train at once.
    """
    options = options or TrainingOptions()
    device = resolve_device(options.device)
    _check_precision(options.precision, device)
    here = hardware(str(device))
    results = [
        new_result(task, seed, method, str(device), options.precision, options.model, here) for task, seed in runs
    ]
    keys = [run_key(result) for result in results]
    folder = Path(options.checkpoint_dir) if options.checkpoint_dir else None

    def trainer(members: list[int], checkpoint: Path | None, saved: dict | None = None) -> Iterator[None]:
        """The stack of ``members``, built when first advanced (on its own stream) and trained update by update."""
        stack = _Stack(
            [runs[i] for i in members],
            method,
            device,
            options.precision,
            options.model,
            options.runs_per_pass,
            options.cuda_graphs,
        )
        budget = runs[members[0]][0].budget
        yield from _train_stack(
            stack, [results[i] for i in members], budget, options, progress, on_result, checkpoint, saved
        )

    resumed = resume.resumable(folder, keys, str(device), options.precision) if folder else []
    trainers = [trainer(members, path, saved) for path, members, saved in resumed]
    taken = {i for _, members, _ in resumed for i in members}
    rest = [i for i in range(len(runs)) if i not in taken]
    for chunk in stacks([runs[i] for i in rest], options.max_stack):
        members = [rest[i] for i in chunk]
        checkpoint = resume.checkpoint_path(folder, [keys[i] for i in members]) if folder else None
        trainers.append(trainer(members, checkpoint))
    _take_turns(trainers, options.concurrent_stacks, device)
    return results


def stacks(runs: Sequence[tuple[Task, int]], max_stack: int) -> list[list[int]]:
    """How runs are stacked: positions in ``runs``, grouped by operation, version and budget, at most ``max_stack`` each."""
    groups: dict[tuple, list[int]] = {}
    for index, (task, _) in enumerate(runs):
        budget = task.budget
        groups.setdefault((task.spec.operation, task.spec.version, budget.max_steps, budget.warmup_steps), []).append(
            index
        )
    return [members[lo : lo + max_stack] for members in groups.values() for lo in range(0, len(members), max_stack)]


def _take_turns(trainers: list[Iterator[None]], width: int, device: torch.device) -> None:
    """Run the stacks' trainers to their ends, ``width`` at a time taking turns update by update.

    On a GPU, with more than one at a time, each trains on its own CUDA stream: an update only
    launches work, so while one stack's kernels run the next stack's are launched, and small stacks
    fill the GPU together; one at a time, a stack trains on the current stream, as it always did.
    Once the time limit stops a stack, no other starts, and those in training stop (and save)
    at their next update: one ``error.TimeLimit`` then says what each stopped.
    """
    waiting = iter(trainers)
    turns: list[tuple[Iterator[None], torch.cuda.Stream | None]] = []
    stopped: list[error.TimeLimit] = []
    while True:
        while len(turns) < width and not stopped and (started := next(waiting, None)) is not None:
            turns.append((started, torch.cuda.Stream(device) if device.type == "cuda" and width > 1 else None))
        if not turns:
            break
        for turn in list(turns):
            trainer, stream = turn
            try:
                with torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext():
                    next(trainer)
            except StopIteration:
                turns.remove(turn)
            except error.TimeLimit as stop:
                turns.remove(turn)
                stopped.append(stop)
    if len(stopped) == 1:
        raise stopped[0]
    if stopped:
        raise error.TimeLimit(f"{len(stopped)} stacks trained at once stopped.\n" + "\n".join(map(str, stopped)))


def _train_stack(
    stack: _Stack,
    results: list[RunResult],
    budget: Budget,
    options: TrainingOptions,
    progress: ProgressCallback | None,
    on_result: ResultCallback | None,
    checkpoint: Path | None,
    saved: dict | None,
) -> Iterator[None]:
    """Train a stack to its end, pausing after each update (``_take_turns`` resumes it); with ``saved``
    (a checkpoint of it), from where it was saved."""
    first_step, elapsed = 0, 0.0
    for result in results:
        result.stacked_runs = len(results)
    if saved is not None:
        here = results[0].hardware
        stack.load_state_dict(saved["stack"])
        for result, curves in zip(results, saved["results"], strict=True):
            for name, value in curves.items():
                setattr(result, name, value)
        first_step, elapsed = saved["step"], saved["elapsed_s"]
        _go_on_here(results, here, first_step)
    started = time.perf_counter() - elapsed
    last_save = time.perf_counter()
    eval_steps = set(budget.eval_steps().tolist())
    for step in range(first_step, budget.max_steps + 1):
        if step in eval_steps and not (saved is not None and step == first_step):  # a checkpoint's step is evaluated
            metrics = stack.evaluate()
            keep = []
            if options.milestones_dir:  # kept as evaluated: an optimizer's eval weights (schedule-free)
                stack._set_mode("eval")
            for position, run_id in enumerate(stack.ids):
                result = results[run_id]
                result.steps.append(step)
                for name in CURVES:
                    getattr(result, name).append(float(metrics[name][position]))
                status = ending_status(result, budget.max_steps, options.early_stop)
                if status is not None:
                    result.status = status
                if options.milestones_dir:
                    run_params = {name: param[position] for name, param in stack.runs.params.items()}
                    checkpoints.keep(Path(options.milestones_dir), result, run_params, stack.config)
                if status is None:
                    keep.append(position)
                    continue
                result.wall_time_s = time.perf_counter() - started
                if on_result is not None:
                    on_result(result)
            if options.milestones_dir:
                stack._set_mode("train")
            if not keep:
                if checkpoint is not None:
                    checkpoint.unlink(missing_ok=True)
                return
            if len(keep) < len(stack.ids):
                stack.keep_only(keep)
            if checkpoint is not None and time.perf_counter() - last_save >= options.checkpoint_every_s:
                _save(checkpoint, stack, results, step, time.perf_counter() - started)
                last_save = time.perf_counter()
        if options.deadline is not None and time.time() >= options.deadline:
            if checkpoint is not None:
                _save(checkpoint, stack, results, step, time.perf_counter() - started)
            kept = "saved, and the same command resumes them" if checkpoint is not None else "not saved"
            raise error.TimeLimit(
                f"Stopped at the time limit at update {step}: finished runs are kept; the {len(stack.ids)} "
                f"unfinished run(s) of the stack in training are {kept}."
            )
        stack.step(step, budget.warmup_steps)
        if progress is not None:
            progress(step + 1, [results[i] for i in stack.ids])
        yield


THEN = ", then "
"""Joins the hardware a run was saved on and the hardware it resumed on, in its record."""


def _go_on_here(results: list[RunResult], here: str | None, step: int) -> None:
    """Record that resumed runs go on ``here`` when they were saved elsewhere, and warn.

    A matrix product's rounding depends on the hardware (a CPU's thread count included), so such
    runs are valid runs but not bit for bit the ones an uninterrupted run would have been.
    """
    saved_on = results[0].hardware
    if saved_on is None or here is None:
        return
    last = saved_on.rsplit(THEN, 1)[-1]
    if last == here:
        return
    for result in results:
        result.hardware = f"{saved_on}{THEN}{here}"
    warnings.warn(
        f"Resuming {len(results)} run(s) at update {step} on {here}, saved on {last}: "
        "they go on as valid runs, not bit for bit as uninterrupted, and their record names both. To go on "
        "exactly, resume on the hardware that saved them (on a CPU, OMP_NUM_THREADS set to its thread count).",
        error.ResumedElsewhere,
        stacklevel=5,  # the caller of train_runs
    )


def _save(checkpoint: Path, stack: _Stack, results: list[RunResult], step: int, elapsed_s: float) -> None:
    """Checkpoint ``stack`` before its update ``step`` (that step's evaluation done), with its runs' curves."""
    kept = [results[i] for i in stack.ids]
    resume.save(
        checkpoint,
        {
            "keys": [run_key(result) for result in kept],
            "device": kept[0].device,
            "precision": kept[0].precision,
            "step": step,
            "elapsed_s": elapsed_s,
            "results": [
                {name: getattr(r, name) for name in ("steps", *CURVES, "stacked_runs", "hardware")} for r in kept
            ],
            "stack": stack.state_dict(),
        },
    )
