"""The reference model and the harness: exact stacking, determinism, divergence, methods."""

import json
import math
import re
import textwrap

import numpy as np
import pytest
import torch

import grokbench
from grokbench.error import Error
from grokbench.harness import TrainingOptions, _Stack, train
from grokbench.methods import DEFAULT_METHOD, MethodError, load_method, read_method, third_party_imports

CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")


@pytest.fixture(scope="module")
def adamw():
    return load_method(DEFAULT_METHOD)


def write_method(tmp_path, body, name="method.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def assert_same_trajectory(a, b):
    assert a.steps == b.steps
    for curve in CURVES:
        np.testing.assert_allclose(getattr(a, curve), getattr(b, curve), rtol=1e-4, atol=1e-4, err_msg=curve)


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU"))]


@pytest.mark.parametrize("device", DEVICES)
def test_stacked_runs_follow_the_trajectories_they_follow_alone(adamw, device):
    # Two fractions (different training sets and batch sizes: 235 and 470) and two seeds, 100 updates.
    runs = [(grokbench.make("Z97-add-0.05", max_steps=100), 0), (grokbench.make("Z97-add-0.1", max_steps=100), 1)]
    stacked = train([task for task, _ in runs], adamw, seeds=[0, 1], device=device)
    stacked = [r for r in stacked if (r.task_id, r.seed) in {(t.id, s) for t, s in runs}]
    assert [r.stacked_runs for r in stacked] == [4, 4]
    alone = [train(task, adamw, seeds=[seed], device=device)[0] for task, seed in runs]
    for s, a in zip(stacked, alone, strict=True):
        assert (s.task_id, s.seed, a.stacked_runs) == (a.task_id, a.seed, 1)
        assert_same_trajectory(s, a)
        assert s.train_loss[-1] < s.train_loss[0]


def test_a_run_leaving_the_stack_does_not_change_the_others(adamw):
    task = grokbench.make("Z97-add-0.05")
    three = _Stack([(task, 0), (task, 1), (task, 2)], adamw, torch.device("cpu"), "float32", elementwise=True)
    two = _Stack([(task, 0), (task, 2)], adamw, torch.device("cpu"), "float32", elementwise=True)
    for step in range(40):
        if step == 20:
            three.keep_only([0, 2])
        three.step(step, 10)
        two.step(step, 10)
    left, alone = three.evaluate(), two.evaluate()
    for name, values in left.items():
        np.testing.assert_allclose(values, alone[name], rtol=1e-5, atol=1e-6)


def test_training_is_deterministic_on_cpu(adamw):
    task = grokbench.make("Z97-sub-0.3", max_steps=20)
    first, second = train(task, adamw, [7], device="cpu")[0], train(task, adamw, [7], device="cpu")[0]
    assert first.to_dict() | {"wall_time_s": 0} == second.to_dict() | {"wall_time_s": 0}


def test_result_record(adamw):
    task = grokbench.make("Z97-add-0.3", max_steps=30)
    result = train(task, adamw, [0], device="cpu")[0]
    assert result.steps == [0, 10, 20, 30] and result.status == "completed" and result.updates == 30
    assert (result.task_id, result.split_hash, result.seed) == ("Z97-add-0.3-v1", task.split_hash, 0)
    assert (result.device, result.precision, result.method) == ("cpu", "float32", "AdamW (reference)")
    assert math.isclose(result.train_acc[0], 1 / 97, abs_tol=0.02)  # chance before training
    assert result.steps_to_99_val is None  # censored
    json.dumps(result.to_dict())


def test_divergence_is_reported_not_raised(tmp_path):
    method = load_method(
        write_method(
            tmp_path,
            """
            import torch
            HYPERPARAMETERS = {"lr": 1e30}
            def make_optimizer(params, lr):
                return torch.optim.SGD(params, lr=lr)
            """,
        )
    )
    results = train(grokbench.make("Z97-add-0.3", max_steps=200), method, [0, 1], device="cpu")
    assert [r.status for r in results] == ["diverged", "diverged"]
    assert all(r.updates < 200 for r in results)


def test_non_elementwise_update_is_detected_and_sees_natural_shapes(tmp_path):
    method = load_method(
        write_method(
            tmp_path,
            """
            import torch
            SHAPES = []
            HYPERPARAMETERS = {"lr": 0.01}

            class NormalizedSGD(torch.optim.Optimizer):
                '''Each tensor's update is its gradient divided by the gradient's norm: not elementwise.'''
                def __init__(self, params, lr):
                    super().__init__(params, {"lr": lr})
                @torch.no_grad()
                def step(self):
                    for group in self.param_groups:
                        for p in group["params"]:
                            SHAPES.append(tuple(p.shape))
                            p.add_(p.grad / (p.grad.norm() + 1e-12), alpha=-group["lr"])

            def make_optimizer(params, lr):
                return NormalizedSGD(params, lr)
            """,
        )
    )
    assert not method.is_elementwise()
    task = grokbench.make("Z97-add-0.3", max_steps=20)
    together = train(task, method, [0, 1], device="cpu")
    alone = train(task, method, [1], device="cpu")[0]
    assert [r.stacked_runs for r in together] == [1, 1]
    assert_same_trajectory(together[1], alone)
    shapes = set(method.make_optimizer.__globals__["SHAPES"])
    assert (99, 128) in shapes and (128, 97) in shapes and not any(s[0] == 1 for s in shapes)


def test_optimizer_from_a_pip_package_is_used_unchanged(tmp_path):
    lion = pytest.importorskip("lion_pytorch")
    method = load_method(
        write_method(
            tmp_path,
            """
            from lion_pytorch import Lion
            HYPERPARAMETERS = {"lr": 1e-4, "weight_decay": 1.0}
            def make_optimizer(params, lr, weight_decay):
                return Lion(params, lr=lr, weight_decay=weight_decay)
            """,
        )
    )
    assert issubclass(lion.Lion, torch.optim.Optimizer)
    result = train(grokbench.make("Z97-add-0.3", max_steps=30), method, [0], device="cpu")[0]
    assert result.status == "completed" and result.train_loss[-1] < result.train_loss[0]


def test_dropout_and_weight_noise_are_expressible_and_reproducible(tmp_path):
    method = load_method(
        write_method(
            tmp_path,
            """
            import torch
            DROPOUT = 0.1
            WEIGHT_NOISE = 0.01
            HYPERPARAMETERS = {"lr": 1e-3}
            def make_optimizer(params, lr):
                return torch.optim.Adam(params, lr=lr)
            """,
        )
    )
    task = grokbench.make("Z97-add-0.3", max_steps=20)
    first, second = train(task, method, [0, 1], device="cpu"), train(task, method, [0, 1], device="cpu")
    assert [r.stacked_runs for r in first] == [1, 1]
    for a, b in zip(first, second, strict=True):
        assert_same_trajectory(a, b)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "HYPERPARAMETERS = {}\n",
            "defines no make_optimizer(params, **hyperparameters) returning a torch.optim.Optimizer.",
        ),
        ("def make_optimizer(params):\n    pass\n", "HYPERPARAMETERS in {path} must be a dict, not NoneType."),
        (
            "HYPERPARAMETERS = {}\nELEMENTWISE = 1\ndef make_optimizer(params):\n    pass\n",
            "ELEMENTWISE in {path} must be a bool, not int.",
        ),
        (
            "HYPERPARAMETERS = {'f': print}\ndef make_optimizer(params, f):\n    pass\n",
            "HYPERPARAMETERS in {path} must be JSON-serializable",
        ),
    ],
)
def test_method_file_errors_name_the_field(tmp_path, body, message):
    path = write_method(tmp_path, body)
    with pytest.raises(MethodError, match=re.escape(message.format(path=path))):
        load_method(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("HYPERPARAMETERS = {}\ndef make_optimizer(params:\n", "{path}, line 2: syntax error: '(' was never closed."),
        (
            "import lion_pytorch_not_installed\n",
            "{path}, line 1 imports lion_pytorch_not_installed, which is not installed: "
            "`pip install lion_pytorch_not_installed` (the package's name on PyPI may differ), or remove the import.",
        ),
        (
            "HYPERPARAMETERS = {}\nSCALE = 1 / 0\n",
            "{path}, line 2: loading the method file raised ZeroDivisionError: division by zero "
            "(`grokbench --debug ...` shows the whole traceback).",
        ),
        (
            "HYPERPARAMETERS = {'lr': 1, 'momentum': 0.9}\ndef make_optimizer(params, lr):\n    pass\n",
            "HYPERPARAMETERS in {path} do not fit make_optimizer(params, ...): got an unexpected keyword argument "
            "'momentum'. Its keys must be make_optimizer's keyword arguments.",
        ),
        (
            "HYPERPARAMETERS = {}\ndef make_optimizer(params, lr):\n    pass\n",
            "HYPERPARAMETERS in {path} do not fit make_optimizer(params, ...): missing a required argument: 'lr'. "
            "Its keys must be make_optimizer's keyword arguments.",
        ),
    ],
)
def test_broken_method_files_give_one_clear_error_with_the_line(tmp_path, body, message):
    path = write_method(tmp_path, body)
    with pytest.raises(MethodError, match=f"^{re.escape(message.format(path=path))}$"):
        load_method(path)


def test_an_exception_inside_make_optimizer_names_the_file_and_line(tmp_path):
    path = write_method(tmp_path, "HYPERPARAMETERS = {}\ndef make_optimizer(params):\n    return {}['lr']\n")
    message = (
        f"make_optimizer in {path}, line 3 raised KeyError: 'lr'. Fix the method file "
        "(`grokbench --debug ...` shows the whole traceback)."
    )
    with pytest.raises(MethodError, match=f"^{re.escape(message)}$"):
        load_method(path).is_elementwise()


def test_make_optimizer_must_return_an_optimizer(tmp_path):
    path = write_method(tmp_path, "HYPERPARAMETERS = {}\ndef make_optimizer(params):\n    return params\n")
    with pytest.raises(
        MethodError, match=re.escape(f"make_optimizer in {path} returned list; it must return a torch.optim.Optimizer.")
    ):
        load_method(path).is_elementwise()


def test_train_command_writes_curves_plot_and_table(cli, tmp_path):
    result = cli(
        "train", "Z97-add-0.5", "--seeds", "2", "--max-steps", "20", "--out", str(tmp_path / "run"), check=True
    )
    assert "steps→99% val" in result.stdout and "Z97-add-0.5-v1" in result.stdout
    records = json.loads((tmp_path / "run" / "results.json").read_text())
    assert [r["seed"] for r in records] == [0, 1] and records[0]["steps"] == [0, 10, 20]
    assert (tmp_path / "run" / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_a_method_file_is_read_without_running_it(tmp_path):
    path = write_method(
        tmp_path,
        "import not_installed_anywhere\nfrom not_installed_anywhere import make_optimizer\n"
        "NAME = 'Remote'\nHYPERPARAMETERS = {'lr': 1e-3}\nDROPOUT = 0.1\n",
    )
    method = read_method(path)
    assert (method.name, method.hyperparameters, method.dropout) == ("Remote", {"lr": 1e-3}, 0.1)
    assert third_party_imports(path) == ["not_installed_anywhere"]
    computed = write_method(tmp_path, "HYPERPARAMETERS = dict(lr=1e-3)\ndef make_optimizer(params, lr):\n    pass\n")
    message = (
        f"{computed}, line 1: HYPERPARAMETERS must be a literal (numbers, strings, lists, dicts), "
        "so that the method can be read without running it."
    )
    with pytest.raises(MethodError, match=f"^{re.escape(message)}$"):
        read_method(computed)


def test_training_options_refuse_an_unknown_precision():
    message = "Unknown precision 'float16'; choose one of: float32, bfloat16."
    with pytest.raises(Error, match=f"^{re.escape(message)}$"):
        TrainingOptions(precision="float16")
