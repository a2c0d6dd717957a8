"""The Gymnasium view of every task: ``gymnasium.make("grokbench/S5-square-0.3")``.

An episode is one pass over a split in an order drawn from the reset seed. Each step poses
one equation; the observation is the pair of operand symbol indices ``[a, b]``, the action
is the index of the answer symbol, and the reward is 1 for the right answer, else 0.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium
import numpy as np
from gymnasium import spaces

from grokbench import error
from grokbench.registration import make

SPLITS = ("train", "validation")


class TaskEnv(gymnasium.Env):
    """Answer the equations of one split of a grokbench task, one per step."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, task_id: str, split: str = "train", render_mode: str | None = None, **overrides: Any) -> None:
        if split not in SPLITS:
            raise error.Error(f"Unknown split {split!r} for {task_id}; choose one of: {', '.join(SPLITS)}.")
        self.task = make(task_id, **overrides)
        self.split = split
        self.render_mode = render_mode
        self._equations = getattr(self.task, split).equations
        n = len(self.task.symbols)
        self.observation_space = spaces.MultiDiscrete([n, n])
        self.action_space = spaces.Discrete(n)
        self._order = np.arange(len(self._equations))
        self._position = 0

    def _observation(self) -> np.ndarray:
        a, b, _ = self._equations[self._order[min(self._position, len(self._order) - 1)]]
        return np.array([a, b], dtype=np.int64)

    def _info(self) -> dict[str, Any]:
        return {"position": self._position, "remaining": len(self._order) - self._position}

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a pass over the split in a fresh order drawn from ``seed``."""
        super().reset(seed=seed)
        self._order = self.np_random.permutation(len(self._equations))
        self._position = 0
        return self._observation(), self._info()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Score the answer to the current equation and pose the next one."""
        answer = self._equations[self._order[self._position], 2]
        reward = float(int(action) == answer)
        self._position += 1
        terminated = self._position == len(self._order)
        return self._observation(), reward, terminated, False, self._info()

    def render(self) -> str | None:
        """The current equation as text, e.g. ``"12340 ∘ 10234 = ?"``."""
        if self.render_mode != "ansi":
            return None
        a, b = self._observation()
        return f"{self.task.symbols[a]} ∘ {self.task.symbols[b]} = ?"
