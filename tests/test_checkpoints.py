"""Milestone checkpoints and ``grokbench.load_model``: a kept run is the harness's network."""

import math

import numpy as np
import torch
import torch.nn.functional as F

import grokbench
from grokbench import checkpoints
from grokbench.harness import TrainingOptions, _Stack, train_runs
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.model import forward
from grokbench.results import new_result


def test_a_kept_run_of_a_stack_loads_as_a_module_with_the_harness_logits(tmp_path):
    task = grokbench.make("Z97-add-0.3")
    method = load_method(DEFAULT_METHOD)
    stack = _Stack([(task, 0), (task, 1)], method, torch.device("cpu"), "float32")
    for step in range(15):
        stack.step(step, 10)
    result = new_result(task, 1, method)
    result.steps, result.train_acc, result.val_acc, result.status = [0, 15], [0.01, 0.5], [0.01, 0.1], "completed"
    params = {name: param[1] for name, param in stack.runs.params.items()}
    (path,) = checkpoints.keep(tmp_path, result, params, stack.config)
    assert path.name == "end.safetensors" and path.parent.name.startswith("Z97-add-0.3-v1-seed1-")
    model = grokbench.load_model(path)
    assert isinstance(model, torch.nn.Module) and model.parameter("head").shape == (128, 97)
    assert model.metadata["step"] == "15" and model.metadata["milestone"] == "end"
    with torch.no_grad():
        harness = forward(stack.runs.params, stack.inputs, stack.config)[1]
        np.testing.assert_array_equal(model(stack.inputs).numpy(), harness.numpy())


def test_training_keeps_each_run_at_its_milestones(tmp_path):
    task = grokbench.make("Z97-add-0.3", max_steps=20)
    options = TrainingOptions(device="cpu", milestones_dir=str(tmp_path))
    results = train_runs([(task, 0), (task, 1)], load_method(DEFAULT_METHOD), options)
    for result in results:
        folder = checkpoints.run_folder(tmp_path, result)
        assert sorted(p.name for p in folder.iterdir()) == ["end.safetensors", "init.safetensors"]  # nothing partial
        model = grokbench.load_model(folder / "end.safetensors")
        inputs, targets = task.validation.inputs, task.validation.targets
        with torch.no_grad():
            loss = F.cross_entropy(model(inputs), targets).item()
        assert math.isclose(loss, result.val_loss[-1], rel_tol=1e-5)


def test_milestones_are_read_from_the_latest_evaluation():
    result = new_result(grokbench.make("Z97-add-0.3"), 0, load_method(DEFAULT_METHOD))
    result.steps, result.train_acc, result.val_acc = [0, 10], [0.01, 0.995], [0.01, 0.2]
    assert [m for m in checkpoints.MILESTONES if checkpoints.reached(result, m)] == ["memorized"]
    result.val_acc[-1], result.status = 0.99, "early_stopped"
    assert [m for m in checkpoints.MILESTONES if checkpoints.reached(result, m)] == ["memorized", "generalized", "end"]
