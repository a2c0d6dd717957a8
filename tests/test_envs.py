"""The Gymnasium view of the tasks."""

import re

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import grokbench
from grokbench import error


def test_every_task_has_a_gymnasium_view():
    ids = {env_id for env_id in gymnasium.registry if env_id.startswith("grokbench/")}
    assert ids == {f"grokbench/{task_id}" for task_id in grokbench.registry}


def test_env_passes_the_gymnasium_checker():
    env = gymnasium.make("grokbench/S5-square-0.3-v1", split="validation")
    check_env(env.unwrapped, skip_render_check=False)


def test_an_episode_is_one_pass_over_the_split_in_seeded_order():
    env = gymnasium.make("grokbench/Z97-add-0.1-v1", split="validation")
    task = env.unwrapped.task
    obs, _ = env.reset(seed=3)
    seen, rewards, terminated = [], [], False
    while not terminated:
        a, b = obs
        seen.append((int(a), int(b)))
        right = (a + b) % 97
        obs, reward, terminated, truncated, _ = env.step(right if len(seen) % 2 else (right + 1) % 97)
        rewards.append(reward)
        assert not truncated
    assert sorted(seen) == sorted((int(a), int(b)) for a, b, _ in task.validation.equations)
    assert rewards == [1.0, 0.0] * (len(seen) // 2) + [1.0] * (len(seen) % 2)
    first = env.reset(seed=3)[0]
    assert tuple(first) == seen[0]
    assert not np.array_equal([env.reset(seed=4)[0] for _ in range(1)], [first])


def test_env_rejects_unknown_split():
    with pytest.raises(
        error.Error, match=re.escape("Unknown split 'test' for S5-square-0.3-v1; choose one of: train, validation.")
    ):
        gymnasium.make("grokbench/S5-square-0.3-v1", split="test")


def test_render_shows_the_equation():
    env = gymnasium.make("grokbench/S5-square-0.3-v1", render_mode="ansi")
    obs, _ = env.reset(seed=0)
    symbols = env.unwrapped.task.symbols
    assert env.render() == f"{symbols[obs[0]]} ∘ {symbols[obs[1]]} = ?"
