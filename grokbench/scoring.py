"""The scorer: per-run measurements, per-task summaries, data-efficiency curves and a headline.

Censoring. A run that never reached 99% validation accuracy within its budget (or diverged)
has no steps-to-99%; it counts as *infinitely* slow, never as the budget. The median over seeds
is then infinite (reported as ``>budget``) when half or more of the seeds missed, and finite,
and still correct, when fewer did. Means of best validation accuracy need no censoring.

Headline. For each seed s, the speed-up of a method over the reference AdamW recipe on a task
is ``steps_ref(s) / steps_method(s)``, where a miss counts as twice the task's budget (a
penalty: a method that misses where the reference succeeds scores at most 1/2 on that task);
the seed's score is the geometric mean of the speed-ups over the tasks both methods ran. The
headline is the median of the per-seed scores, with their minimum and maximum as the spread.
Above 1 is faster than the reference.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from grokbench.registration import FRACTIONS, parse_id
from grokbench.results import THRESHOLD, RunResult

MISS_PENALTY = 2.0
"""In the headline, a run that misses 99% counts as this many times its budget."""


def operation_and_fraction(task_id: str) -> tuple[str, float]:
    """The operation stem and training fraction a task id names."""
    stem, fraction, _ = parse_id(task_id)
    return stem, float(fraction)


def table_order(results: Sequence[RunResult]) -> list[RunResult]:
    """``results`` in the order tables list them: by method (as first seen), operation (as
    registered), training fraction and seed, whatever order a store holds them in."""
    from grokbench.operations import OPERATIONS

    methods, stems = list(dict.fromkeys(r.method for r in results)), list(OPERATIONS)

    def key(result: RunResult) -> tuple:
        stem, fraction = operation_and_fraction(result.task_id)
        return (
            methods.index(result.method),
            stems.index(stem) if stem in stems else len(stems),
            stem,
            fraction,
            result.seed,
        )

    return sorted(results, key=key)


def steps_to_99(result: RunResult) -> float:
    """Updates to 99% validation accuracy; infinity when censored (missed or diverged)."""
    steps = result.steps_to_99_val
    return math.inf if steps is None or result.status == "diverged" else float(steps)


@dataclass(frozen=True)
class TaskScore:
    """One method on one task, over its seeds."""

    method: str
    task_id: str
    operation: str
    fraction: float
    seeds: int
    reached: int
    """Seeds that reached 99% validation accuracy."""
    diverged: int
    max_steps: int
    median_steps: float
    """Median updates to 99% validation accuracy; infinite when half or more of the seeds missed."""
    q25_steps: float
    q75_steps: float
    median_train_steps: float
    """Median updates to 99% training accuracy (infinite when half or more missed)."""
    mean_best_val_acc: float
    std_best_val_acc: float


def score_tasks(results: Sequence[RunResult]) -> list[TaskScore]:
    """One ``TaskScore`` per (method, task), in the order first seen."""
    groups: dict[tuple[str, str], list[RunResult]] = defaultdict(list)
    for result in results:
        groups[result.method, result.task_id].append(result)
    scores = []
    for (method, task_id), runs in groups.items():
        steps = np.array([steps_to_99(r) for r in runs])
        train_steps = np.array(
            [math.inf if r.steps_to_99_train is None else r.steps_to_99_train for r in runs], dtype=float
        )
        best = np.array([r.best_val_acc for r in runs])
        operation, fraction = operation_and_fraction(task_id)
        q25, median, q75 = _percentiles(steps)
        scores.append(
            TaskScore(
                method=method,
                task_id=task_id,
                operation=operation,
                fraction=fraction,
                seeds=len(runs),
                reached=int(np.isfinite(steps).sum()),
                diverged=sum(r.status == "diverged" for r in runs),
                max_steps=max(r.max_steps for r in runs),
                median_steps=median,
                q25_steps=q25,
                q75_steps=q75,
                median_train_steps=_percentiles(train_steps)[1],
                mean_best_val_acc=float(best.mean()),
                std_best_val_acc=float(best.std()),
            )
        )
    return scores


def _percentiles(values: np.ndarray) -> tuple[float, float, float]:
    """Lower quartile, median and upper quartile, without arithmetic on infinities."""
    ordered = np.sort(values)
    q25 = float(np.quantile(ordered, 0.25, method="lower"))
    q75 = float(np.quantile(ordered, 0.75, method="higher"))
    return q25, _median(ordered), q75


def _median(ordered: np.ndarray) -> float:
    n = len(ordered)
    if n % 2:
        return float(ordered[n // 2])
    low, high = ordered[n // 2 - 1], ordered[n // 2]
    return float(high) if math.isinf(high) else float((low + high) / 2)


@dataclass(frozen=True)
class EfficiencyCurve:
    """One method on one operation: mean best validation accuracy against training fraction."""

    method: str
    operation: str
    fractions: list[float]
    mean_best_val_acc: list[float]
    median_steps: list[float]
    critical_fraction: float | None
    """Smallest fraction whose mean best validation accuracy reaches 99%; None if none measured does."""

    @property
    def critical_is_bound(self) -> bool:
        """Whether the critical fraction is only an upper bound: the grid's fraction just below it
        was not measured (a piece of a suite, or a suite with a coarser grid), so it may reach 99% too."""
        if self.critical_fraction is None:
            return False
        smaller = [f for f in FRACTIONS if f < self.critical_fraction]
        return bool(smaller) and smaller[-1] not in self.fractions

    @property
    def critical_nowhere(self) -> bool:
        """Whether no fraction reaches 99% up to the grid's largest: the operation does not generalize
        within the budget, where a miss up to a smaller fraction says only "more than it"."""
        return self.critical_fraction is None and self.fractions[-1] >= FRACTIONS[-1]

    def critical_text(self, percent: bool = False) -> str:
        """The critical fraction as tables and legends show it: ``0.3`` (or ``30%``), ``≤ 0.3`` for a
        bound, ``> 0.3`` when no fraction measured reaches 99% but larger ones of the grid were not
        measured (a piece of a suite), and ``none`` when no fraction of the grid does."""
        if self.critical_nowhere:
            return "none"
        if self.critical_fraction is None:
            return f"> {self._fraction_text(self.fractions[-1], percent)}"
        return ("≤ " if self.critical_is_bound else "") + self._fraction_text(self.critical_fraction, percent)

    @staticmethod
    def _fraction_text(fraction: float, percent: bool) -> str:
        return f"{100 * fraction:g}%" if percent else f"{fraction:g}"


def efficiency_curves(scores: Sequence[TaskScore]) -> list[EfficiencyCurve]:
    """The data-efficiency curve and critical fraction of every (method, operation)."""
    groups: dict[tuple[str, str], list[TaskScore]] = defaultdict(list)
    for score in scores:
        groups[score.method, score.operation].append(score)
    curves = []
    for (method, operation), group in groups.items():
        group = sorted(group, key=lambda s: s.fraction)
        reaching = [s.fraction for s in group if s.mean_best_val_acc >= THRESHOLD]
        curves.append(
            EfficiencyCurve(
                method=method,
                operation=operation,
                fractions=[s.fraction for s in group],
                mean_best_val_acc=[s.mean_best_val_acc for s in group],
                median_steps=[s.median_steps for s in group],
                critical_fraction=min(reaching, default=None),
            )
        )
    return curves


@dataclass(frozen=True)
class Headline:
    """A method against the reference recipe, over paired seeds."""

    method: str
    reference: str
    tasks: int
    """Tasks both methods ran."""
    per_seed: dict[int, float]
    """Geometric-mean speed-up over tasks, per seed."""
    median: float
    low: float
    high: float


def headline(results: Sequence[RunResult], method: str, reference: str) -> Headline | None:
    """Geometric-mean speed-up in steps-to-99% of ``method`` over ``reference``; None if no pairs."""
    by_key = {(r.method, r.task_id, r.seed): r for r in results}
    ratios: dict[int, list[float]] = defaultdict(list)
    tasks = set()
    for (name, task_id, seed), run in by_key.items():
        ref = by_key.get((reference, task_id, seed))
        if name != method or ref is None:
            continue

        def penalised(r: RunResult) -> float:
            return min(steps_to_99(r), MISS_PENALTY * r.max_steps)

        ratios[seed].append(math.log(penalised(ref) / max(penalised(run), 1.0)))
        tasks.add(task_id)
    if not ratios:
        return None
    per_seed = {seed: math.exp(sum(logs) / len(logs)) for seed, logs in sorted(ratios.items())}
    values = sorted(per_seed.values())
    return Headline(method, reference, len(tasks), per_seed, _median(np.array(values)), values[0], values[-1])


@dataclass(frozen=True)
class Report:
    """Everything the scorer computes from a set of runs."""

    runs: list[RunResult]
    tasks: list[TaskScore]
    curves: list[EfficiencyCurve]
    headlines: list[Headline]

    def to_dict(self) -> dict:
        """JSON-serializable; infinities (censored medians) become None."""
        return _finite(
            {
                "tasks": [asdict(s) for s in self.tasks],
                "curves": [asdict(c) for c in self.curves],
                "headlines": [asdict(h) for h in self.headlines],
                "runs": [
                    {
                        k: v
                        for k, v in r.to_dict().items()
                        if k not in ("steps", "train_acc", "val_acc", "train_loss", "val_loss")
                    }
                    for r in self.runs
                ],
            }
        )


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def score(results: Sequence[RunResult], reference: str | None = None) -> Report:
    """Score runs; with a ``reference`` method name, add each other method's headline against it."""
    results = list(results)
    tasks = score_tasks(results)
    methods = list(dict.fromkeys(r.method for r in results))
    headlines = []
    if reference is not None:
        headlines = [h for m in methods if (h := headline(results, m, reference)) is not None]
    return Report(results, tasks, efficiency_curves(tasks), headlines)
