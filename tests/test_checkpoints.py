"""Milestone checkpoints and ``grokbench.load_model``: a kept run is the harness's network."""

import math

import numpy as np
import torch
import torch.nn.functional as F

import grokbench
from grokbench import checkpoints, interpret
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


def test_the_structure_symbols_are_coloured_by():
    z97 = interpret.symbol_colourings("Z97-div", grokbench.make("Z97-div-0.5").symbols)
    log = z97["discrete log base 5"]
    assert np.isnan(log[0]) and sorted(log[1:]) == list(range(96))  # 5 generates every nonzero residue
    assert log[5] == 1 and log[25] == 2
    s5 = interpret.symbol_colourings("S5-square", grokbench.make("S5-square-0.5").symbols)
    assert (s5["sign"] == 1).sum() == 60 and len(set(s5["cycle type"])) == 7


def test_the_fourier_view_finds_a_single_frequency(tmp_path):
    x = np.arange(97)[:, None]
    table = np.zeros((99, 128), dtype=np.float32)
    table[:97, :2] = np.concatenate([np.cos(2 * np.pi * 7 * x / 97), np.sin(2 * np.pi * 7 * x / 97)], axis=1)
    model = checkpoints.RunModel({"token_embedding": torch.from_numpy(table)}, None, {})
    norms = interpret.fourier_norms(model)
    assert norms.shape == (49,) and int(np.argmax(norms)) == 7


def test_embed_draws_fig_3_and_the_fourier_view_of_a_kept_run(cli, tmp_path):
    cli("train", "Z97-div-0.5", "--max-steps", "20", "--out", str(tmp_path / "run"), check=True)
    (run,) = (tmp_path / "run" / "checkpoints").iterdir()
    result = cli("embed", str(run), "--out", str(tmp_path / "figures"), check=True)
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    assert names == ["embedding-discrete-log-base-5.png", "embedding-residue.png", "fourier.png"]
    assert "Figure:" in result.stdout
    empty = cli("embed", str(tmp_path))
    assert empty.returncode == 1 and "holds no checkpoints" in empty.stderr + empty.stdout
