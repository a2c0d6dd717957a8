"""Sweeps on a local Ray instance: the same store as the local executor, and no run lost or stored twice."""

import re
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import torch

from grokbench.error import Error
from grokbench.harness import train_runs
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.results import run_key
from grokbench.store import Store
from grokbench.sweep import plan, run_sweep

ray = pytest.importorskip("ray")
psutil = pytest.importorskip("psutil")  # installed with ray

TASKS = ["Z97-add-0.05", "Z97-sub-0.05"]

DRIVER = textwrap.dedent(
    """
    import sys
    from grokbench.distributed import RayExecutor
    from grokbench.methods import DEFAULT_METHOD, load_method
    from grokbench.store import Store
    from grokbench.sweep import plan, run_sweep

    with Store(sys.argv[1]) as store:
        method = load_method(DEFAULT_METHOD)
        sweep = plan(method, ["Z97-add-0.05"], [0, 1], store, max_steps=20)
        long = plan(method, ["Z97-sub-0.05"], [0, 1], store, max_steps=200)
        print("missing", len(sweep.missing) + len(long.missing), flush=True)
        for each in (sweep, long):
            run_sweep(each, store, device="cpu", executor=RayExecutor(num_cpus=2),
                      on_result=lambda r: print("stored", r.task_id, r.seed, flush=True))
    """
)


def stored(path):
    with Store(path, read_only=True) as store:
        return {run_key(r): r.to_dict() | {"wall_time_s": 0} for r in store.results()}


def test_a_driver_killed_and_started_again_trains_only_what_the_store_lacks(tmp_path):
    # First in this file: its drivers start their own local Ray instances.
    store = tmp_path / "results.sqlite"
    first = subprocess.Popen([sys.executable, "-c", DRIVER, str(store)], stdout=subprocess.PIPE, text=True)
    lines = iter(first.stdout.readline, "")  # Ray may print its own lines too
    assert next(line for line in lines if line.startswith("missing")) == "missing 4\n"
    assert next(line for line in lines if line.startswith("stored")).startswith("stored Z97-add-0.05")
    first.send_signal(signal.SIGKILL)  # the short stack is stored, the long one is training
    first.wait()
    survivors = set(stored(store))
    second = subprocess.run([sys.executable, "-c", DRIVER, str(store)], capture_output=True, text=True, timeout=600)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"missing {4 - len(survivors)}" in second.stdout.splitlines()
    keys = list(stored(store))
    assert len(keys) == len(set(keys)) == 4 and survivors <= set(keys)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


def sweep_into(path, executor, max_steps=30, method=None, tasks=TASKS, seeds=(0, 1)):
    with Store(path) as store:
        sweep = plan(method or load_method(DEFAULT_METHOD), tasks, seeds, store, max_steps=max_steps)
        run_sweep(sweep, store, device="cpu", executor=executor)
    return stored(path)


def test_a_sweep_on_ray_stores_exactly_what_the_local_executor_stores(tmp_path, local_ray):
    from grokbench.distributed import RayExecutor

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a Ray task of one CPU computes with one thread
    try:
        local = sweep_into(tmp_path / "local.sqlite", train_runs)
    finally:
        torch.set_num_threads(threads)
    assert sweep_into(tmp_path / "ray.sqlite", RayExecutor()) == local


def test_a_worker_killed_mid_task_is_retried_and_every_run_stored_once(tmp_path, local_ray):
    from grokbench.distributed import RayExecutor

    killed = []

    def kill_a_training_worker():
        deadline = time.monotonic() + 300
        while not killed and time.monotonic() < deadline:
            for process in psutil.process_iter(["pid", "cmdline"]):
                if any("_train_stack" in part for part in process.info["cmdline"] or []):
                    time.sleep(2)  # mid-task
                    process.kill()
                    killed.append(process.info["pid"])
                    return
            time.sleep(0.2)

    killer = threading.Thread(target=kill_a_training_worker)
    killer.start()
    runs = sweep_into(tmp_path / "results.sqlite", RayExecutor(), max_steps=120)
    killer.join()
    assert killed
    assert len(runs) == 4 and {r["status"] for r in runs.values()} == {"completed"}


def test_a_stack_that_fails_is_reported_after_the_others_are_stored(tmp_path, local_ray, method_file):
    from grokbench.distributed import RayExecutor

    path = method_file(
        """
        import torch
        HYPERPARAMETERS = {}
        def make_optimizer(params):
            if any(p.role == "embedding" and p.shape[-2] == 122 for p in params):  # S5's 120 symbols and 2 tokens
                raise RuntimeError("out of memory")
            return torch.optim.SGD(params, lr=0.1)
        """
    )
    message = "1 run(s) failed on Ray after 0 retries; they are not stored, and running the sweep again retries them:"
    with pytest.raises(Error, match=re.escape(message)) as failure:
        tasks = ["Z97-add-0.05", "S5-square-0.05"]
        sweep_into(tmp_path / "results.sqlite", RayExecutor(max_retries=0), 10, load_method(path), tasks, (0,))
    assert "S5-square-0.05-v1 seed 0: RayTaskError" in str(failure.value)
    assert [key[0] for key in stored(tmp_path / "results.sqlite")] == ["Z97-add-0.05-v1"]


def test_run_with_ray_trains_scores_and_reports(tmp_path, local_ray, monkeypatch):
    from click.testing import CliRunner

    from grokbench.cli import main
    from grokbench.suites import SUITES, Suite

    monkeypatch.setitem(SUITES, "tiny", Suite("tiny", 1, "test suite", ("Z97-add-0.05-v1",), seeds=2, max_steps=20))
    result = CliRunner().invoke(main, ["run", "--suite", "tiny", "--ray", "--device", "cpu", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "0 of 2 runs already in" in result.output and (tmp_path / "report.md").is_file()
    assert len(stored(tmp_path / "results.sqlite")) == 2
