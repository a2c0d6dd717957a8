"""The reference model and the harness: exact stacking, determinism, divergence, methods."""

import json
import math
import re
from typing import ClassVar

import numpy as np
import pytest
import torch

import grokbench
from grokbench import error, harness, resume
from grokbench.devices import hardware
from grokbench.error import Error
from grokbench.harness import TrainingOptions, _Stack, train, train_runs
from grokbench.methods import BASELINES, DEFAULT_METHOD, MethodError, load_method

CURVES = ("train_acc", "val_acc", "train_loss", "val_loss")


@pytest.fixture(scope="module")
def adamw():
    return load_method(DEFAULT_METHOD)


def assert_same_trajectory(a, b, rounding=False):
    """The same curves; ``rounding`` allows what a different rounding of the same sums changes (see below)."""
    assert a.steps == b.steps
    for curve in CURVES:
        tolerance = dict(rtol=1e-4, atol=1e-4)
        if rounding:  # a loss to 1e-3; an accuracy to 5e-3, two of the 470 training equations of Z97-add-0.05
            tolerance = dict(rtol=1e-3, atol=1e-4) if "loss" in curve else dict(rtol=0, atol=5e-3)
        np.testing.assert_allclose(getattr(a, curve), getattr(b, curve), err_msg=curve, **tolerance)


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
        # On CUDA, cuBLAS picks its kernels by shape, so a stack of 4 sums in another order than one run
        # alone: on an H200 two validation predictions of 8,939 differed at update 90 (2.2e-4).
        assert_same_trajectory(s, a, rounding=device == "cuda")
        assert s.train_loss[-1] < s.train_loss[0]


@pytest.mark.parametrize("device", DEVICES)
def test_stacks_trained_at_once_compute_what_they_compute_one_after_another(adamw, device):
    # Three operations (three stacks of 2 seeds), two at a time; on CUDA for 600 updates, in which
    # runs of Z97-add-0.9 may leave their stack at 100% validation (the paper suite's seed 1 did at 420
    # on a CPU), so that it is captured again while the other stack's stream is busy.
    steps = 600 if device == "cuda" else 10
    tasks = [grokbench.make(t, max_steps=steps) for t in ("Z97-add-0.9", "Z97-div-0.3", "Z97-sub-0.3")]
    runs = [(task, seed) for task in tasks for seed in (0, 1)]
    turns = []
    one_by_one = train_runs(runs, adamw, TrainingOptions(device=device))
    at_once = train_runs(
        runs,
        adamw,
        TrainingOptions(device=device, concurrent_stacks=2),
        progress=lambda step, active: turns.append((active[0].task_id, step)),
    )
    assert turns[:4] == [("Z97-add-0.9-v1", 1), ("Z97-div-0.3-v1", 1), ("Z97-add-0.9-v1", 2), ("Z97-div-0.3-v1", 2)]
    first_sub = turns.index(("Z97-sub-0.3-v1", 1))  # the third stack waits until one of the two ends
    assert {task for task, _ in turns[:first_sub]} == {"Z97-add-0.9-v1", "Z97-div-0.3-v1"}
    for a, b in zip(one_by_one, at_once, strict=True):  # the same kernels per stack: the same numbers, bit for bit
        assert a.to_dict() | {"wall_time_s": 0} == b.to_dict() | {"wall_time_s": 0}


def test_concurrent_stacks_counts_stacks():
    with pytest.raises(Error, match=re.escape("concurrent_stacks is 0; it counts stacks, at least 1.")):
        TrainingOptions(concurrent_stacks=0)


BASELINE_FILES = sorted(p.name for p in BASELINES.glob("*.py") if p.name != "__init__.py")

MUON = """
import torch
HYPERPARAMETERS = {"lr": 0.02, "adamw_lr": 1e-3}

class MuonAdamW(torch.optim.Optimizer):
    # torch's Muon on the hidden matrices, AdamW on the rest, behind one optimizer

    def __init__(self, params, lr, adamw_lr):
        params = list(params)
        self.muon = torch.optim.Muon([p for p in params if p.role == "hidden"], lr=lr)
        self.adamw = torch.optim.AdamW([p for p in params if p.role != "hidden"], lr=adamw_lr, weight_decay=1.0)
        super().__init__(params, {})
        self.param_groups = self.muon.param_groups + self.adamw.param_groups

    def step(self, closure=None):
        self.muon.step()
        self.adamw.step()

def make_optimizer(params, lr, adamw_lr):
    return MuonAdamW(params, lr, adamw_lr)
"""
SCHEDULE_FREE = """
import schedulefree
HARNESS_WARMUP = False  # schedule-free warms up itself
HYPERPARAMETERS = {"lr": 1e-3, "warmup_steps": 10, "weight_decay": 1.0}
def make_optimizer(params, lr, warmup_steps, weight_decay):
    return schedulefree.AdamWScheduleFree(params, lr=lr, warmup_steps=warmup_steps, weight_decay=weight_decay)
"""
PRODIGY = """
import prodigyopt
HYPERPARAMETERS = {"lr": 1.0}
def make_optimizer(params, lr):
    return prodigyopt.Prodigy(params, lr=lr)
"""
LION = """
from lion_pytorch import Lion
HYPERPARAMETERS = {"lr": 1e-4, "weight_decay": 1.0}
def make_optimizer(params, lr, weight_decay):
    return Lion(params, lr=lr, weight_decay=weight_decay)
"""


def method_under_test(name, method_file):
    """A baseline by file name, or a method file of an optimizer from torch or a pip package."""
    sources = {"muon": MUON, "lion": LION, "schedulefree": SCHEDULE_FREE, "prodigy": PRODIGY}
    if name in sources:
        if name in PIP_PACKAGES:
            pytest.importorskip(PIP_PACKAGES[name])
        return load_method(method_file(sources[name]))
    return load_method(BASELINES / name)


PIP_PACKAGES = {"lion": "lion_pytorch", "schedulefree": "schedulefree", "prodigy": "prodigyopt"}


@pytest.mark.parametrize("name", [*BASELINE_FILES, "muon", "lion", "schedulefree", "prodigy"])
def test_every_method_stacks_exactly(name, method_file):
    # Two seeds stacked in one forward/backward pass (as on a GPU) against the second alone.
    method = method_under_test(name, method_file)
    task = grokbench.make("Z97-add-0.05", max_steps=10)
    stacked = train(task, method, [0, 1], device="cpu", runs_per_pass=2)
    alone = train(task, method, [1], device="cpu")[0]
    assert [r.stacked_runs for r in stacked] == [2, 2]
    assert_same_trajectory(stacked[1], alone)
    assert stacked[0].train_loss[1:] != stacked[1].train_loss[1:]  # the runs are not copies of each other


LEAVING = ["adamw.py", "grokfast_ema.py", "adamw_decay_to_init.py", "orthogonal_adamw.py"]
LEAVING += ["adam_dropout.py", "adam_update_noise.py", "adam_weight_noise.py", "muon", "schedulefree"]


@pytest.mark.parametrize("name", LEAVING)
def test_a_run_leaving_the_stack_does_not_change_the_others(name, method_file):
    method = method_under_test(name, method_file)
    task = grokbench.make("Z97-add-0.05")
    three = _Stack([(task, 0), (task, 1), (task, 2)], method, torch.device("cpu"), "float32", runs_per_pass=3)
    two = _Stack([(task, 0), (task, 2)], method, torch.device("cpu"), "float32", runs_per_pass=2)
    for step in range(12):
        if step == 6:
            three.keep_only([0, 2])
        three.step(step, 10)
        two.step(step, 10)
    left, alone = three.evaluate(), two.evaluate()
    for curve, values in left.items():
        np.testing.assert_allclose(values, alone[curve], rtol=1e-5, atol=1e-6, err_msg=curve)


def test_make_optimizer_sees_each_parameter_by_name_and_role(method_file):
    path = method_file(
        """
        import torch
        SEEN = []
        HYPERPARAMETERS = {}
        def make_optimizer(params):
            SEEN[:] = [(p.param_name, p.role, tuple(p.shape)) for p in params]
            return torch.optim.SGD(params, lr=0.1)
        """
    )
    method = load_method(path)
    _Stack([(grokbench.make("Z97-add-0.3"), 0)], method, torch.device("cpu"), "float32")
    seen = {name: (role, shape) for name, role, shape in method.make_optimizer.__globals__["SEEN"]}
    assert seen["token_embedding"] == ("embedding", (1, 99, 128)) and seen["head"] == ("output", (1, 128, 97))
    assert seen["h1.mlp.fc.weight"] == ("hidden", (1, 128, 512)) and seen["h0.ln1.bias"] == ("vector", (1, 128))
    assert sum(role == "hidden" for role, _ in seen.values()) == 8


def test_schedule_free_is_evaluated_at_its_averaged_weights(method_file):
    method = method_under_test("schedulefree", method_file)
    stack = _Stack([(grokbench.make("Z97-add-0.3"), 0)], method, torch.device("cpu"), "float32")
    for step in range(20):
        stack.step(step, 10)
    reported = stack.evaluate()
    optimizer = stack.runs.optimizers[0]
    optimizer.eval()
    averaged = stack._metrics()
    optimizer.train()
    training = stack._metrics()
    for curve in CURVES:
        np.testing.assert_allclose(
            reported[curve], averaged[curve], rtol=1e-6, err_msg=curve
        )  # eval() and train() round a little
    assert reported["train_loss"] != pytest.approx(training["train_loss"])


def test_a_false_elementwise_declaration_is_refused(method_file):
    pytest.importorskip("prodigyopt")
    path = method_file("ELEMENTWISE = True\n" + PRODIGY)
    message = (
        re.escape(
            f"{path} declares ELEMENTWISE = True, but its optimizer updates two stacked runs unlike each run alone "
        )
        + r"\(parameter [\w.]+, by up to \S+ after 3 updates\): something in its update is shared across the whole "
        + re.escape(
            "tensor (a global step size, a norm over every run). Remove ELEMENTWISE = True, so that each run gets its "
            "own optimizer."
        )
    )
    with pytest.raises(MethodError, match=f"^{message}$"):
        _Stack([(grokbench.make("Z97-add-0.3"), 0)], load_method(path), torch.device("cpu"), "float32")


WHOLE_STACK_NORMS = """
import torch
STACKED = True  # a false claim: the norms below are taken over every run of the stack at once
HYPERPARAMETERS = {"lr": 1e-3}

class NormalizedAdam(torch.optim.Adam):
    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.grad.div_(p.grad.norm() + 1e-12)
        return super().step(closure)

def make_optimizer(params, lr):
    return NormalizedAdam(params, lr=lr)
"""


def test_a_false_stacked_declaration_is_refused(method_file):
    path = method_file(WHOLE_STACK_NORMS)
    message = re.escape(f"{path} declares STACKED = True, but its optimizer updates two stacked runs unlike each run")
    with pytest.raises(MethodError, match=f"^{message}"):
        _Stack([(grokbench.make("Z97-add-0.3"), 0)], load_method(path), torch.device("cpu"), "float32")


def test_orthogonal_adamw_updates_a_stack_in_one_step_as_each_run_alone():
    # Its projection is per run (STACKED = True): one optimizer for the stack, verified when the stack is built.
    method = load_method(BASELINES / "orthogonal_adamw.py")
    task = grokbench.make("Z97-add-0.05")
    stack = _Stack([(task, 0), (task, 1)], method, torch.device("cpu"), "float32", runs_per_pass=2)
    assert stack.stacked_update and len(stack._optimizers()) == 1


def test_an_elementwise_claim_refuted_by_the_optimizer_state_is_an_error(method_file):
    path = method_file(
        """
        import torch
        ELEMENTWISE = True
        HYPERPARAMETERS = {"lr": 1e-3}

        class RowNormAdam(torch.optim.Adam):
            # keeps one number per row: its update is not elementwise, whatever the file says
            def step(self, closure=None):
                loss = super().step(closure)
                for group in self.param_groups:
                    for p in group["params"]:
                        self.state[p]["row_norm"] = p.detach().norm(dim=-1)
                return loss

        def make_optimizer(params, lr):
            return RowNormAdam(params, lr=lr)
        """,
    )
    task = grokbench.make("Z97-add-0.05")
    stack = _Stack([(task, 0), (task, 1)], load_method(path), torch.device("cpu"), "float32")
    stack.step(0, 10)
    message = (
        f"The optimizer of {path} keeps state 'row_norm' of shape (2, 99) for a parameter of shape (2, 99, 128): "
        "neither per element nor per run, so its update does not keep the stacked runs apart. Remove ELEMENTWISE = "
        "True, so that each run gets its own optimizer."
    )
    with pytest.raises(MethodError, match=re.escape(message)):
        stack.keep_only([1])


@pytest.mark.parametrize("device", DEVICES)
def test_training_is_deterministic(adamw, device):
    task = grokbench.make("Z97-sub-0.3", max_steps=20)
    first, second = train(task, adamw, [7], device=device)[0], train(task, adamw, [7], device=device)[0]
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


def test_divergence_is_reported_not_raised(method_file):
    method = load_method(
        method_file(
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


def test_non_elementwise_update_is_detected_and_sees_natural_shapes(method_file):
    method = load_method(
        method_file(
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
    assert not method.updates_stacks(method.optimizer([torch.zeros(2, 2, requires_grad=True)]))
    task = grokbench.make("Z97-add-0.3", max_steps=20)
    together = train(task, method, [0, 1], device="cpu")
    alone = train(task, method, [1], device="cpu")[0]
    assert [r.stacked_runs for r in together] == [2, 2]
    assert_same_trajectory(together[1], alone)
    shapes = set(method.make_optimizer.__globals__["SHAPES"])
    assert (99, 128) in shapes and (128, 97) in shapes and not any(s[0] == 1 for s in shapes)


def test_optimizer_from_a_pip_package_is_used_unchanged(method_file):
    method = method_under_test("lion", method_file)
    assert issubclass(pytest.importorskip("lion_pytorch").Lion, torch.optim.Optimizer)
    result = train(grokbench.make("Z97-add-0.3", max_steps=30), method, [0], device="cpu")[0]
    assert result.status == "completed" and result.train_loss[-1] < result.train_loss[0]


def test_dropout_and_weight_noise_are_expressible_and_reproducible(method_file):
    method = load_method(
        method_file(
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
    assert [r.stacked_runs for r in first] == [2, 2]
    for a, b in zip(first, second, strict=True):
        assert_same_trajectory(a, b)


def test_weight_noise_drawn_once_per_run_is_on_a_cpu_the_noise_drawn_per_tensor():
    from grokbench.architectures import REFERENCE
    from grokbench.model import ModelConfig, parameter_shapes, per_run_random

    shapes = [torch.Size([2, *s]) for s in parameter_shapes(ModelConfig(99, 97, REFERENCE)).values()]
    per_tensor_generators, flat_generators = ([torch.Generator().manual_seed(s) for s in (3, 4)] for _ in range(2))
    per_tensor = [per_run_random(s, per_tensor_generators, torch.device("cpu"), normal=True) for s in shapes]
    sizes = [s[1:].numel() for s in shapes]
    flat = per_run_random(torch.Size([2, sum(sizes)]), flat_generators, torch.device("cpu"), normal=True)
    for tensor, piece in zip(per_tensor, flat.split(sizes, dim=1), strict=True):
        assert torch.equal(tensor, piece.reshape(tensor.shape))


def test_noise_drawn_per_run_in_a_method_that_does_not_update_whole_stacks_is_refused(method_file):
    method = load_method(
        method_file(
            """
            import torch
            from grokbench.streams import randn_like_per_run
            HYPERPARAMETERS = {"lr": 1e-3}
            class Noisy(torch.optim.SGD):
                def step(self, closure=None):
                    super().step(closure)
                    randn_like_per_run(self.param_groups[0]["params"])
            def make_optimizer(params, lr):
                return Noisy(params, lr=lr)
            """,
        )
    )
    message = (
        "randn_like_per_run draws in the update of a whole stack: call it from the optimizer step of a "
        "method that declares STACKED = True."
    )
    with pytest.raises(Error, match=re.escape(message)):
        train(grokbench.make("Z97-add-0.3", max_steps=2), method, [0], device="cpu")


def test_noise_drawn_per_run_must_be_for_stacked_tensors():
    from grokbench.streams import drawing_from, randn_like_per_run

    message = (
        "randn_like_per_run got tensors of shapes [(3, 4)] in a stack of 2 run(s): it draws for stacked tensors, "
        "whose leading dimension is the run."
    )
    with (
        drawing_from([torch.Generator().manual_seed(s) for s in (0, 1)]),
        pytest.raises(Error, match=re.escape(message)),
    ):
        randn_like_per_run([torch.zeros(2, 5), torch.zeros(3, 4)])


def test_training_options_refuse_an_unknown_precision():
    message = "Unknown precision 'float16'; choose one of: float32, tf32, bfloat16."
    with pytest.raises(Error, match=f"^{re.escape(message)}$"):
        TrainingOptions(precision="float16")


def test_tf32_is_refused_off_cuda(adamw):
    message = "Precision tf32 is a mode of CUDA matmuls; on cpu use float32 or bfloat16."
    with pytest.raises(Error, match=f"^{re.escape(message)}$"):
        train(grokbench.make("Z97-add-0.3", max_steps=2), adamw, [0], device="cpu", precision="tf32")


class FakeCapture:
    """Stands in for a CUDA graph on the CPU: records captures and replays, and replays by calling."""

    captures: ClassVar[list] = []

    def __init__(self, function, example, fail=False, idle=False):
        if fail:
            raise RuntimeError("operation not permitted when stream is capturing")
        self.function, self.idle = function, idle
        FakeCapture.captures.append(example.shape)

    def replay(self, x):
        if not self.idle:
            self.function(x)


@pytest.mark.parametrize("name", ["adamw.py", "orthogonal_adamw.py"])
def test_the_graph_path_captures_once_per_stack_shape_and_changes_nothing(monkeypatch, name):
    method = load_method(BASELINES / name)
    monkeypatch.setattr(harness, "CapturedCall", FakeCapture)
    monkeypatch.setattr(FakeCapture, "captures", [])
    task = grokbench.make("Z97-add-0.3", max_steps=40)
    stacks = [
        _Stack([(task, s) for s in range(3)], method, torch.device("cpu"), "float32", runs_per_pass=3) for _ in range(2)
    ]
    stacks[0].graphs = True
    for step in range(40):
        if step == 20:
            for stack in stacks:
                stack.keep_only([0, 2])
        for stack in stacks:
            stack.step(step, 10)
    assert FakeCapture.captures == [torch.Size([3, 512]), torch.Size([2, 512])]
    for name, param in stacks[0].runs.params.items():
        assert torch.equal(param, stacks[1].runs.params[name]), name


@pytest.mark.parametrize(
    ("fake", "problem"),
    [
        ({"fail": True}, "capture failed: operation not permitted when stream is capturing"),
        ({"idle": True}, "its gradients differ from the eager pass's"),
    ],
)
def test_a_graph_that_fails_or_differs_leaves_the_stack_on_the_eager_path(monkeypatch, adamw, fake, problem):
    monkeypatch.setattr(harness, "CapturedCall", lambda function, example: FakeCapture(function, example, **fake))
    task = grokbench.make("Z97-add-0.3", max_steps=5)
    stack, eager = (_Stack([(task, 0)], adamw, torch.device("cpu"), "float32") for _ in range(2))
    stack.graphs = True
    message = f"No CUDA graph for this stack ({problem}); it trains without graphs."
    with pytest.warns(UserWarning, match=re.escape(message)):
        stack.step(0, 10)
    eager.step(0, 10)
    assert not stack.graphs
    for step in range(1, 5):
        stack.step(step, 10)
        eager.step(step, 10)
    for name, param in stack.runs.params.items():
        assert torch.equal(param, eager.runs.params[name]), name


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")


@needs_cuda
@pytest.mark.parametrize("name", ["adamw.py", "orthogonal_adamw.py", "adam_update_noise.py", "grokfast_ema.py"])
def test_cuda_graphs_change_no_result(name):
    # The captured forward/backward against every kernel launched eagerly, through a run leaving
    # the stack (a new capture) at 100% validation accuracy: two fractions, 3 seeds, 300 updates.
    method = load_method(BASELINES / name)
    tasks = [grokbench.make("Z97-add-0.3", max_steps=300), grokbench.make("Z97-add-0.9", max_steps=300)]
    graphed = train(tasks, method, [0, 1, 2], device="cuda", cuda_graphs=True)
    eager = train(tasks, method, [0, 1, 2], device="cuda", cuda_graphs=False)
    for a, b in zip(graphed, eager, strict=True):  # the same kernels: the same numbers, bit for bit
        assert a.to_dict() | {"wall_time_s": 0} == b.to_dict() | {"wall_time_s": 0}


@needs_cuda
@pytest.mark.parametrize(
    ("name", "precision"),
    [
        ("adamw.py", "float32"),
        ("adamw.py", "tf32"),
        ("adamw.py", "bfloat16"),
        ("orthogonal_adamw.py", "float32"),
        ("adam_update_noise.py", "float32"),
    ],
)
def test_a_cuda_update_never_waits_for_the_gpu(name, precision):
    # torch raises on any host-device synchronization while sync debug mode is "error".
    method = load_method(BASELINES / name)
    stack = _Stack(
        [(grokbench.make("Z97-div-0.3"), seed) for seed in range(8)], method, torch.device("cuda"), precision
    )
    for step in range(3):  # the first update captures the graph, which may synchronize
        stack.step(step, 10)
    torch.cuda.set_sync_debug_mode("error")
    try:
        for step in range(3, 30):  # through five epoch boundaries (5 updates an epoch)
            stack.step(step, 10)
    finally:
        torch.cuda.set_sync_debug_mode("default")


@pytest.mark.parametrize("name", ["adamw.py", "orthogonal_adamw.py"])
def test_a_stack_saved_after_its_largest_run_left_resumes_exactly(name, tmp_path):
    # Saved padded for the 940 training pairs of fraction 0.1, resumed with fraction 0.05's 470 alone.
    method = load_method(BASELINES / name)
    small, large = grokbench.make("Z97-add-0.05"), grokbench.make("Z97-add-0.1")
    uninterrupted = _Stack([(small, 0), (large, 1)], method, torch.device("cpu"), "float32")
    for step in range(18):
        if step == 12:
            uninterrupted.keep_only([0])
            resume.save(tmp_path / "stack.pt", uninterrupted.state_dict())
            resumed = _Stack([(small, 0)], method, torch.device("cpu"), "float32")
            resumed.load_state_dict(torch.load(tmp_path / "stack.pt", weights_only=False))
        if step >= 12:
            resumed.step(step, 10)
        uninterrupted.step(step, 10)
    for tensor, param in uninterrupted.runs.params.items():
        assert torch.equal(param, resumed.runs.params[tensor]), tensor


def interrupt_at_27(step, _):
    """A progress callback that stops training between evaluations: the work since update 20's checkpoint is lost."""
    if step == 27:
        raise KeyboardInterrupt


@pytest.mark.parametrize("name", ["adamw.py", "orthogonal_adamw.py", "adam_dropout.py"])
def test_an_interrupted_stack_resumes_to_the_trajectory_it_would_have_followed(name, tmp_path):
    method = load_method(BASELINES / name)
    runs = [(grokbench.make("Z97-add-0.05", max_steps=40), seed) for seed in (0, 1)]
    uninterrupted = train_runs(runs, method, TrainingOptions(device="cpu"))
    options = TrainingOptions(device="cpu", checkpoint_dir=str(tmp_path), checkpoint_every_s=0)
    with pytest.raises(KeyboardInterrupt):
        train_runs(runs, method, options, progress=interrupt_at_27)
    assert len(list(tmp_path.glob("*.stack.pt"))) == 1
    steps = []
    resumed = train_runs(runs, method, options, progress=lambda step, _: steps.append(step))
    assert steps[0] == 21  # from the checkpoint, not from initialization
    for a, b in zip(uninterrupted, resumed, strict=True):
        assert a.to_dict() | {"wall_time_s": 0} == b.to_dict() | {"wall_time_s": 0}
    assert not list(tmp_path.glob("*.stack.pt"))  # a finished stack leaves no checkpoint
    assert {r.hardware for r in resumed} == {hardware("cpu")}


def test_a_stack_resumed_on_other_hardware_warns_and_its_runs_name_both(monkeypatch, tmp_path):
    method = load_method(BASELINES / "adamw.py")
    runs = [(grokbench.make("Z97-add-0.05", max_steps=40), 0)]
    options = TrainingOptions(device="cpu", checkpoint_dir=str(tmp_path), checkpoint_every_s=0)
    monkeypatch.setattr(harness, "hardware", lambda device: "CPU A (2 threads)")
    with pytest.raises(KeyboardInterrupt):
        train_runs(runs, method, options, progress=interrupt_at_27)
    monkeypatch.setattr(harness, "hardware", lambda device: "CPU A (1 threads)")
    message = (
        "Resuming 1 run(s) at update 20 on CPU A (1 threads), saved on CPU A (2 threads): they go on as valid runs, "
        "not bit for bit as uninterrupted, and their record names both. To go on exactly, resume on the hardware "
        "that saved them (on a CPU, OMP_NUM_THREADS set to its thread count)."
    )
    with pytest.warns(error.ResumedElsewhere, match=re.escape(message)):
        (resumed,) = train_runs(runs, method, options)
    assert resumed.hardware == "CPU A (2 threads), then CPU A (1 threads)"
