"""The GPU job's dry run on the CPU: a part stopped at its deadline comes back packed, and resumes."""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def gpu_job(checkout: Path, out: Path, part: str, deadline_s: int, **settings: str) -> str:
    """Run ``benchmarks/gpu_job.sh part`` in ``checkout`` on the CPU, with more ``settings`` in its environment; its job.txt."""
    env = (
        os.environ
        | settings
        | {
            "DEVICE": "cpu",
            "OUT": str(out),
            "DEADLINE_S": str(deadline_s),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        }
    )
    subprocess.run(["bash", "benchmarks/gpu_job.sh", *part.split()], cwd=checkout, env=env, check=True)
    return (out / "job.txt").read_text()


def unpack(out: Path, name: str, checkout: Path) -> None:
    """The archive ``name`` (or its parts) from ``out`` into ``checkout``, as docs/benchmarks.md says."""
    subprocess.run(f"cat {out}/{name}* | tar xz", shell=True, cwd=checkout, check=True)


def checkout(machine: Path) -> None:
    """What the job needs of the repository, copied to ``machine``."""
    for folder in ("grokbench", "baselines", "benchmarks"):
        shutil.copytree(ROOT / folder, machine / folder, ignore=shutil.ignore_patterns("__pycache__"))


@pytest.mark.slow
def test_a_part_stopped_at_its_deadline_comes_back_packed_and_resumes_on_a_fresh_machine(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for machine in (first, second):
        checkout(machine)
    stopped = gpu_job(first, tmp_path / "out1", "run smoke", deadline_s=12, CONCURRENT_STACKS="2")  # both saved
    assert "run smoke, at" in stopped and "stopped at the deadline" in stopped
    assert re.search(r"^[0-3] of 4 runs held in results/smoke/results.sqlite; [1-4] to train", stopped, re.MULTILINE)
    unpack(tmp_path / "out1", "results.tar.gz", second)
    saved = subprocess.run(
        f"cat {tmp_path}/out1/results-stacks.tar.gz* | tar tz", shell=True, capture_output=True, text=True, check=True
    )
    assert saved.stdout.count(".stack.pt") == 2  # both stacks in training were saved
    unpack(tmp_path / "out1", "results-stacks.tar.gz", second)
    finished = gpu_job(second, tmp_path / "out2", "run smoke", deadline_s=600)  # one after the other
    assert "finished" in finished
    assert "4 of 4 runs held in results/smoke/results.sqlite; 0 to train, at most 0 updates." in finished
    with sqlite3.connect(second / "results" / "smoke" / "results.sqlite") as store:
        assert store.execute("SELECT COUNT(*), MIN(updates) FROM runs").fetchone() == (4, 200)
    assert len(list((tmp_path / "out2").iterdir())) <= 8


@pytest.mark.slow
def test_a_stopped_stack_whose_state_the_next_call_cannot_carry_is_not_brought_back(tmp_path):
    checkout(tmp_path / "machine")
    stopped = gpu_job(tmp_path / "machine", tmp_path / "out", "run smoke", deadline_s=12, CARRY_MIB="1")
    assert "more than the next call can carry beside the checkout" in stopped
    assert (tmp_path / "out" / "results.tar.gz").is_file()
    assert not list((tmp_path / "out").glob("results-stacks.tar.gz*"))
