"""The training harness: trains a method on tasks for their budgets, many runs as one computation.

The harness owns everything a fair comparison must hold fixed: the model and its
initialization (from the run's seed), the order of the training batches (from the run's seed,
through an integer hash, so it does not depend on which other runs share the computation),
the learning-rate warmup, the evaluation of the full splits on the task's schedule, and the
update count. A method (``grokbench.methods``) only supplies the optimizer.

Runs of one operation (any seeds, any fractions) are stacked: every parameter gets a leading
run dimension and one optimizer updates the stack, which is exact for elementwise updates.
Runs whose method is not elementwise, or draws random numbers in its forward pass, are trained
one at a time. A run leaves the stack when it finishes: its budget is spent, it reached 100%
validation and 99% training accuracy (early stop), or its loss is no longer finite (diverged;
checked at each evaluation).
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from grokbench import error
from grokbench.architectures import REFERENCE, Architecture
from grokbench.methods import Method
from grokbench.model import ModelConfig, forward, init_parameters
from grokbench.results import CURVES, PRECISIONS, RunResult, ending_status, new_result
from grokbench.task import Budget, Task

EVAL_ROWS = 1 << 16
"""Equations times runs per evaluation chunk, to bound memory."""


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def hardware(device: str) -> str:
    """What computed on ``device``: the GPU's name, or the CPU's model and the instruction set torch uses."""
    resolved = torch.device(device)
    if resolved.type == "cuda":
        return torch.cuda.get_device_name(resolved)
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines() if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"{cpu} (torch CPU capability {torch.backends.cpu.get_cpu_capability()})"


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The torch device named by ``device`` (the default when None), checked to exist here."""
    if device is None:
        return default_device()
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise error.Error(f"Unknown device {str(device)!r}: use cpu, cuda, cuda:<index> or mps.") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise error.Error(
            f"Device {str(device)!r} asked for, but this torch ({torch.__version__}) sees no CUDA GPU; use --device cpu."
        )
    if resolved.type == "cuda" and resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise error.Error(f"Device {str(device)!r} does not exist: torch sees {torch.cuda.device_count()} CUDA GPU(s).")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise error.Error(f"Device {str(device)!r} asked for, but this torch sees no MPS device; use --device cpu.")
    if resolved.type not in ("cpu", "cuda", "mps"):
        raise error.Error(f"Device {str(device)!r} is not supported: use cpu, cuda, cuda:<index> or mps.")
    return resolved


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer mixing function on int64 tensors, identical on every device."""
    mask = 0xFFFFFFFF
    x = x & mask
    x = ((x >> 16) ^ x) * 0x45D9F3B & mask
    x = ((x >> 16) ^ x) * 0x45D9F3B & mask
    return (x >> 16) ^ x


def epoch_order(seeds: torch.Tensor, epochs: torch.Tensor, n_train: torch.Tensor, width: int) -> torch.Tensor:
    """Each run's shuffled order of its training set in one epoch: ``(runs, width)`` positions.

    Positions ``>= n_train`` sort last. The order depends only on (seed, epoch, n_train).
    """
    positions = torch.arange(width, device=seeds.device)
    key = _hash32(_hash32(seeds * 0x9E3779B1 + epochs)[:, None] ^ positions[None, :])
    key = torch.where(positions[None, :] < n_train[:, None], key, key + (1 << 33))
    return torch.argsort(key, dim=1, stable=True)


class _Stack:
    """R runs of one operation trained as one computation.

    Parameters and gradients are stacked tensors with a leading run dimension. Forward and
    backward passes go ``runs_per_pass`` runs at a time (all of them on a GPU; on a CPU a small
    pass keeps activations in cache), and one optimizer step then updates the whole stack.
    """

    def __init__(
        self,
        runs: list[tuple[Task, int]],
        method: Method,
        device: torch.device,
        precision: str,
        elementwise: bool,
        model: Architecture = REFERENCE,
        runs_per_pass: int | None = None,
    ):
        first = runs[0][0]
        tables = [np.concatenate([t.train.equations, t.validation.equations]) for t, _ in runs]
        if any(not np.array_equal(table[:, :2], tables[0][:, :2]) for table in tables):
            raise ValueError("Runs stacked together must share one operation and task version.")
        self.method, self.device, self.precision, self.elementwise = method, device, precision, elementwise
        self.runs_per_pass = runs_per_pass or default_runs_per_pass(device)
        self.config = ModelConfig(
            vocab_size=first.vocab_size, num_symbols=len(first.symbols), architecture=model, dropout=method.dropout
        )
        inputs, _ = first.train.numpy()
        val_inputs, _ = first.validation.numpy()
        self.inputs = torch.from_numpy(np.concatenate([inputs, val_inputs])).to(device)  # (N, 4)
        self.targets = torch.from_numpy(np.stack([t[:, 2] for t in tables])).to(device)  # (R, N)
        self.n_train = np.array([len(t.train) for t, _ in runs])
        self.batch = np.array([method.batch_size_for(t.budget.batch_size, len(t.train)) for t, _ in runs])
        self.seeds = np.array([s for _, s in runs])
        self.epoch = np.full(len(runs), -1)
        self.order = torch.zeros((len(runs), int(self.n_train.max())), dtype=torch.int64, device=device)
        initial = [init_parameters(self.config, int(seed)) for seed in self.seeds]
        self.params = {k: torch.stack([p[k] for p in initial]).to(device) for k in initial[0]}
        self.ids = list(range(len(runs)))  # positions in the caller's list of the runs still here
        seed = int(self.seeds[0])
        torch.manual_seed(seed)  # for methods that draw random numbers in their update
        self.generator = torch.Generator(device=device).manual_seed(seed) if method.stochastic_forward else None
        self._make_optimizer()

    def _make_optimizer(self, keep: list[int] | None = None) -> None:
        """Build the optimizer over the stack; with ``keep``, carry the old optimizer's state over."""
        old_optimizer, old_optimized = getattr(self, "optimizer", None), getattr(self, "optimized", [])
        self.grads = {k: torch.zeros_like(v) for k, v in self.params.items()}
        if self.elementwise:
            self.optimized = list(self.params.values())
            for param, grad in zip(self.optimized, self.grads.values(), strict=True):
                param.grad = grad
        else:  # one run: the optimizer sees each parameter in its natural shape, aliasing the stack
            self.optimized = [torch.nn.Parameter(p[0]) for p in self.params.values()]
            for view, grad in zip(self.optimized, self.grads.values(), strict=True):
                view.grad = grad[0]
        self.optimizer = self.method.optimizer(self.optimized)
        self.base_lr = [group["lr"] for group in self.optimizer.param_groups]
        if keep is None:
            return
        for old_param, new_param in zip(old_optimized, self.optimized, strict=True):
            self.optimizer.state[new_param] = {
                k: v[keep].clone() if torch.is_tensor(v) and v.shape == old_param.shape else v
                for k, v in old_optimizer.state[old_param].items()
            }

    @property
    def batch(self) -> np.ndarray:
        """Each run's batch size."""
        return self._batch

    @batch.setter
    def batch(self, sizes: np.ndarray) -> None:
        self._batch = sizes
        self.batch_on_device = torch.from_numpy(sizes).to(self.device)

    def keep_only(self, keep: list[int]) -> None:
        """Drop the runs not at the positions ``keep``, carrying the optimizer state over."""
        self.params = {k: v[keep].clone() for k, v in self.params.items()}
        self._make_optimizer(keep)
        self.targets, self.order = self.targets[keep], self.order[keep]
        for name in ("n_train", "batch", "seeds", "epoch"):
            setattr(self, name, getattr(self, name)[keep])
        self.ids = [self.ids[i] for i in keep]

    def _autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16")

    def _with_weight_noise(self, params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if self.method.weight_noise == 0:
            return params
        std = self.method.weight_noise
        return {
            k: v + std * torch.randn(v.shape, generator=self.generator, device=self.device) for k, v in params.items()
        }

    def step(self, step: int, warmup_steps: int) -> None:
        """One update of every run: its own batch, its own loss, the method's optimizer."""
        steps_per_epoch = self.n_train // self.batch
        epoch = step // steps_per_epoch
        stale = np.flatnonzero(epoch != self.epoch)
        if len(stale):
            rows = torch.from_numpy(stale).to(self.device)
            self.order[rows] = epoch_order(
                torch.from_numpy(self.seeds[stale]).to(self.device),
                torch.from_numpy(epoch[stale]).to(self.device),
                torch.from_numpy(self.n_train[stale]).to(self.device),
                self.order.shape[1],
            )
            self.epoch[stale] = epoch[stale]
        width = int(self.batch.max())
        start = torch.from_numpy((step % steps_per_epoch) * self.batch).to(self.device)
        columns = (start[:, None] + torch.arange(width, device=self.device)).clamp_max(self.order.shape[1] - 1)
        rows = self.order.gather(1, columns)  # (R, width) positions in the table
        batch = self.batch_on_device
        mask = torch.arange(width, device=self.device)[None, :] < batch[:, None]
        for lo in range(0, len(self.ids), self.runs_per_pass):
            part = slice(lo, lo + self.runs_per_pass)
            # A pass is as wide as its own largest batch: a run passed alone (as on a CPU) computes
            # with exactly the shapes it has when trained alone, so its numbers are the same.
            width = int(self.batch[part].max())
            part_rows, part_mask = rows[part, :width], mask[part, :width]
            leaves = {k: v[part].detach().requires_grad_() for k, v in self.params.items()}
            with self._autocast():
                logits = forward(self._with_weight_noise(leaves), self.inputs[part_rows], self.config, self.generator)
            targets = self.targets[part].gather(1, part_rows)
            losses = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), reduction="none")
            ((losses.view(targets.shape) * part_mask).sum(1) / batch[part]).sum().backward()
            for k, leaf in leaves.items():
                self.grads[k][part] = leaf.grad
        factor = min(1.0, (step + 1) / warmup_steps) if warmup_steps else 1.0
        for group, base in zip(self.optimizer.param_groups, self.base_lr, strict=True):
            group["lr"] = base * factor
        self.optimizer.step()

    @torch.no_grad()
    def evaluate(self) -> dict[str, np.ndarray]:
        """Each run's accuracy and mean loss on both splits: one ``(R,)`` array per name of ``CURVES``."""
        runs, n = self.targets.shape
        train_mask = (
            torch.arange(n, device=self.device)[None, :] < torch.from_numpy(self.n_train).to(self.device)[:, None]
        )
        loss_sum = torch.zeros((runs, 2), device=self.device, dtype=torch.float64)
        correct = torch.zeros((runs, 2), device=self.device, dtype=torch.float64)
        # Runs go in passes of runs_per_pass, each in chunks sized by the pass alone: on a CPU a run is
        # then evaluated with exactly the shapes it has when trained alone, so its numbers are the same.
        per_pass = min(self.runs_per_pass, runs)
        chunk = max(1, EVAL_ROWS // per_pass)
        for first in range(0, runs, per_pass):
            part = slice(first, first + per_pass)
            params = {k: v[part] for k, v in self.params.items()}
            for lo in range(0, n, chunk):
                with self._autocast():
                    logits = forward(params, self.inputs[lo : lo + chunk], self.config).float()
                targets = self.targets[part, lo : lo + chunk]
                losses = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), reduction="none").view(targets.shape)
                hits = (logits.argmax(-1) == targets).double()
                is_train = train_mask[part, lo : lo + chunk].double()
                for column, weight in enumerate((is_train, 1 - is_train)):
                    loss_sum[part, column] += (losses.double() * weight).sum(1)
                    correct[part, column] += (hits * weight).sum(1)
        sizes = torch.from_numpy(np.stack([self.n_train, n - self.n_train], axis=1)).to(self.device)
        columns = torch.cat([correct / sizes, loss_sum / sizes], dim=1).cpu().numpy()
        return dict(zip(CURVES, columns.T, strict=True))  # CURVES: the accuracies, then the losses


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
    """``float32``, the reference, or ``bfloat16`` autocast, a recorded option for speed."""
    model: Architecture = REFERENCE
    """The model variant trained: the reference unless a study asks for another."""
    early_stop: bool = True
    """Stop a run at 100% validation accuracy once training accuracy has reached 99%."""
    max_stack: int = 128
    """Most runs trained as one computation."""
    runs_per_pass: int | None = None
    """Runs per forward/backward pass; None: ``default_runs_per_pass`` of the device."""

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise error.Error(f"Unknown precision {self.precision!r}; choose one of: {', '.join(PRECISIONS)}.")


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

    Runs of tasks sharing an operation, version and budget are stacked (at most
    ``options.max_stack`` per stack) when the method's update is elementwise and its forward
    pass deterministic.
    """
    options = options or TrainingOptions()
    device = resolve_device(options.device)
    results = [new_result(task, seed, method, str(device), options.precision, options.model) for task, seed in runs]
    stackable = method.is_elementwise() and not method.stochastic_forward
    groups: dict[tuple, list[int]] = {}
    for index, (task, _) in enumerate(runs):
        budget = task.budget
        key = (task.spec.operation, task.spec.version, budget.max_steps, budget.warmup_steps) if stackable else (index,)
        groups.setdefault(key, []).append(index)
    for members in groups.values():
        for lo in range(0, len(members), options.max_stack):
            chunk = members[lo : lo + options.max_stack]
            stack = _Stack(
                [runs[i] for i in chunk],
                method,
                device,
                options.precision,
                stackable,
                options.model,
                options.runs_per_pass,
            )
            budget = runs[chunk[0]][0].budget
            _train_stack(stack, [results[i] for i in chunk], budget, options.early_stop, progress, on_result)
    return results


def _train_stack(
    stack: _Stack,
    results: list[RunResult],
    budget: Budget,
    early_stop: bool,
    progress: ProgressCallback | None,
    on_result: ResultCallback | None,
) -> None:
    started = time.perf_counter()
    eval_steps = set(budget.eval_steps().tolist())
    for result in results:
        result.stacked_runs = len(results)
    for step in range(budget.max_steps + 1):
        if step in eval_steps:
            metrics = stack.evaluate()
            keep = []
            for position, run_id in enumerate(stack.ids):
                result = results[run_id]
                result.steps.append(step)
                for name in CURVES:
                    getattr(result, name).append(float(metrics[name][position]))
                status = ending_status(result, budget.max_steps, early_stop)
                if status is None:
                    keep.append(position)
                    continue
                result.status = status
                result.wall_time_s = time.perf_counter() - started
                if on_result is not None:
                    on_result(result)
            if not keep:
                return
            if len(keep) < len(stack.ids):
                stack.keep_only(keep)
        stack.step(step, budget.warmup_steps)
        if progress is not None:
            progress(step + 1, [results[i] for i in stack.ids])
