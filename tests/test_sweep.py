"""Sweeps into the results store: resume after SIGKILL, concurrent writers, diverged runs."""

import json
import math
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from grokbench import harness
from grokbench.cli import SweepProgress, _executor
from grokbench.error import Error, TimeLimit
from grokbench.methods import DEFAULT_METHOD, load_method
from grokbench.results import RunResult
from grokbench.store import KEY, Store
from grokbench.sweep import plan, run_sweep

SWEEP_SCRIPT = textwrap.dedent(
    """
    import sys
    from grokbench.methods import load_method
    from grokbench.store import Store
    from grokbench.sweep import plan, run_sweep

    method_file, store_path = sys.argv[1], sys.argv[2]
    method = load_method(method_file)
    with Store(store_path) as store:
        sweep = plan(method, ["Z97-add-0.5", "Z97-sub-0.5", "Z97-mix-0.5"], [0, 1], store, max_steps=30)
        print("missing", len(sweep.missing), flush=True)
        run_sweep(sweep, store, device="cpu", on_result=lambda r: print("stored", r.task_id, r.seed, flush=True))
    """
)


def start_sweep(store_path, threads=None):
    env = os.environ | ({"OMP_NUM_THREADS": str(threads)} if threads else {})
    return subprocess.Popen(
        [sys.executable, "-c", SWEEP_SCRIPT, str(DEFAULT_METHOD), str(store_path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def stored_keys(store_path):
    with sqlite3.connect(store_path) as connection:
        return connection.execute(f"SELECT {', '.join(KEY)} FROM runs").fetchall()


def test_killed_sweep_resumes_without_losing_or_repeating_runs(tmp_path):
    store_path = tmp_path / "results.sqlite"
    first = start_sweep(store_path)
    assert first.stdout.readline() == "missing 6\n"
    assert first.stdout.readline().startswith("stored ")  # the first stack has finished...
    first.send_signal(signal.SIGKILL)  # ...and the sweep dies in the middle
    first.wait()
    survivors = stored_keys(store_path)
    assert 1 <= len(survivors) < 6
    second = start_sweep(store_path)
    output, _ = second.communicate(timeout=600)
    assert second.returncode == 0
    assert output.splitlines()[0] == f"missing {6 - len(survivors)}"
    keys = stored_keys(store_path)
    assert len(keys) == len(set(keys)) == 6
    assert set(survivors) <= set(keys)
    assert {(k[0], k[4]) for k in keys} == {(f"Z97-{op}-0.5-v1", s) for op in ("add", "sub", "mix") for s in (0, 1)}


def test_concurrent_sweeps_store_each_run_once(tmp_path):
    store_path = tmp_path / "results.sqlite"
    sweeps = [start_sweep(store_path, threads=1), start_sweep(store_path, threads=1)]  # one core each
    trained = []
    for sweep in sweeps:
        output, _ = sweep.communicate(timeout=600)
        assert sweep.returncode == 0
        trained += [line for line in output.splitlines() if line.startswith("stored")]
    keys = stored_keys(store_path)
    assert len(keys) == len(set(keys)) == 6
    assert sorted(trained) == sorted(set(trained)) and len(trained) == 6  # each run trained by one sweep only
    with sqlite3.connect(store_path) as connection:
        assert connection.execute("SELECT COUNT(*) FROM claims").fetchone() == (0,)
    connection.close()


def test_a_claim_left_by_a_killed_sweep_is_taken_over(tmp_path):
    method = load_method(DEFAULT_METHOD)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    with Store(tmp_path / "results.sqlite") as store:
        sweep = plan(method, ["Z97-add-0.5"], [0], store, max_steps=10)
        store._connection.execute(
            "INSERT INTO claims (key, host, pid) VALUES (?, ?, ?)",
            (json.dumps(sweep.keys[0]), socket.gethostname(), int(dead.stdout)),
        )
        (result,) = run_sweep(sweep, store, device="cpu")
        assert result.seed == 0 and len(store.results()) == 1


def test_opening_a_store_forgets_the_claims_of_dead_processes_of_this_host_only(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    claims = [("killed", socket.gethostname(), int(dead.stdout)), ("live", socket.gethostname(), os.getpid())]
    claims.append(("elsewhere", "another-host", int(dead.stdout)))
    with Store(tmp_path / "results.sqlite") as store:
        store._connection.executemany("INSERT INTO claims (key, host, pid) VALUES (?, ?, ?)", claims)
    with Store(tmp_path / "results.sqlite") as store:
        assert sorted(store._connection.execute("SELECT key FROM claims")) == [("elsewhere",), ("live",)]


def test_a_run_claimed_on_another_machine_is_waited_for_only_until_the_deadline(tmp_path):
    method = load_method(DEFAULT_METHOD)
    with Store(tmp_path / "results.sqlite") as store:
        sweep = plan(method, ["Z97-add-0.5"], [0], store, max_steps=10)
        store._connection.execute(
            "INSERT INTO claims (key, host, pid) VALUES (?, ?, ?)", (json.dumps(sweep.keys[0]), "elsewhere", 1)
        )
        message = (
            "Stopped at the time limit waiting for 1 run(s) that another process claimed "
            "(a store copied from another machine carries its claims): the runs finished here are kept."
        )
        with pytest.raises(TimeLimit, match=re.escape(message)):
            run_sweep(sweep, store, device="cpu", poll_s=0.1, deadline=time.time() + 1)
        assert store.results() == []


def test_diverged_runs_are_stored_and_the_sweep_goes_on(tmp_path):
    method_file = tmp_path / "explode.py"
    method_file.write_text(
        "import torch\nHYPERPARAMETERS = {'lr': 1e30}\n"
        "def make_optimizer(params, lr):\n    return torch.optim.SGD(params, lr=lr)\n"
    )
    method = load_method(method_file)
    with Store(tmp_path / "results.sqlite") as store:
        sweep = plan(method, ["Z97-add-0.5", "Z97-sub-0.5"], [0], store, max_steps=100)
        run_sweep(sweep, store, device="cpu")
        assert [r.status for r in store.results()] == ["diverged", "diverged"]
        record = store.results()[0].to_dict()
        assert None in record["train_loss"]  # NaN is written as null: strict JSON, read back as NaN
        assert json.loads(json.dumps(record, allow_nan=False)) == record
        assert math.isnan(RunResult.from_dict(record).train_loss[record["train_loss"].index(None)])
        assert plan(method, ["Z97-add-0.5", "Z97-sub-0.5"], [0], store, max_steps=100).missing == []


def test_store_round_trip_and_duplicate_refused(tmp_path):
    method = load_method(DEFAULT_METHOD)
    with Store(tmp_path / "results.sqlite") as store:
        sweep = plan(method, ["Z97-add-0.5"], [3], store, max_steps=10)
        (result,) = run_sweep(sweep, store, device="cpu")
        (stored,) = store.results()
        assert stored.to_dict() == result.to_dict()
        assert not store.add(result)


def test_records_are_stored_compressed_and_text_records_of_older_stores_still_read(tmp_path):
    method = load_method(DEFAULT_METHOD)
    path = tmp_path / "results.sqlite"
    with Store(path) as store:
        (result,) = run_sweep(plan(method, ["Z97-add-0.5"], [0], store, max_steps=100), store, device="cpu")
    text = json.dumps(result.to_dict(), allow_nan=False)
    with sqlite3.connect(path) as connection:
        (record,) = connection.execute("SELECT record FROM runs").fetchone()
        assert isinstance(record, bytes) and len(record) < len(text)
        connection.execute("UPDATE runs SET record = ?", (text,))  # as stores were written before compression
    with Store(path, read_only=True) as store:
        assert [r.to_dict() for r in store.results()] == [result.to_dict()]


@pytest.mark.parametrize("command", ["score", "runs"])
def test_score_and_runs_commands_read_a_store(cli, tmp_path, command):
    method = load_method(DEFAULT_METHOD)
    store_path = tmp_path / "results.sqlite"
    with Store(store_path) as store:
        run_sweep(plan(method, ["Z97-add-0.5"], [0, 1], store, max_steps=20), store, device="cpu")
    result = (
        cli(command, "--store", str(store_path), "--out", str(tmp_path / "report"))
        if command == "score"
        else cli(command, "--store", str(store_path))
    )
    assert result.returncode == 0, result.stderr
    assert "Z97-add-0.5-v1" in result.stdout
    if command == "score":
        assert (tmp_path / "report" / "report.md").exists() and (tmp_path / "report" / "fig1-center.svg").exists()


def foreign_file(tmp_path, kind):
    """A file that is not a grokbench store: random bytes, another program's SQLite database, or empty."""
    path = tmp_path / f"{kind}.sqlite"
    if kind == "bytes":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "other-schema":
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE songs (title TEXT)")
        connection.close()
    else:
        path.write_bytes(b"")
    return path


FOREIGN = [("bytes", ": file is not a database"), ("other-schema", " (its tables: songs)"), ("empty", " (it is empty)")]


@pytest.mark.parametrize(("kind", "reason"), FOREIGN)
@pytest.mark.parametrize("command", ["score", "runs"])
def test_read_only_commands_refuse_a_foreign_file_and_never_write_to_it(cli, tmp_path, kind, reason, command):
    path = foreign_file(tmp_path, kind)
    before = sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()
    result = cli(command, "--store", str(path))
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == f"Error: {path} is not a grokbench results store{reason}."
    assert (sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()) == before


@pytest.mark.parametrize(("kind", "reason"), FOREIGN[:2])
def test_a_sweep_refuses_to_write_into_a_foreign_file(tmp_path, kind, reason):
    path = foreign_file(tmp_path, kind)
    with pytest.raises(Error, match=f"^{re.escape(f'{path} is not a grokbench results store{reason}.')}$"):
        Store(path)


def test_a_retuned_methods_old_runs_never_mix_into_its_results(tmp_path):
    old, new = tmp_path / "old" / "mine.py", tmp_path / "new" / "mine.py"
    for path, lr in ((old, 1e-3), (new, 3e-3)):
        path.parent.mkdir()
        path.write_text(
            f"import torch\nNAME = 'Mine'\nHYPERPARAMETERS = {{'lr': {lr}}}\n"
            "def make_optimizer(params, lr):\n    return torch.optim.Adam(params, lr=lr)\n"
        )
    with Store(tmp_path / "results.sqlite") as store:
        run_sweep(plan(load_method(old), ["Z97-add-0.5"], [0, 1], store, max_steps=10), store, device="cpu")
        retuned = plan(load_method(new), ["Z97-add-0.5"], [0, 1], store, max_steps=10)
        assert len(retuned.missing) == 2 and retuned.results(store) == []  # same name, other hyperparameters
        run_sweep(retuned, store, device="cpu")
        assert {r.hyperparameters["lr"] for r in retuned.results(store)} == {3e-3}
        assert len(store.results(["Mine"])) == 4


def test_a_killed_sweep_resumes_its_stack_from_the_last_checkpoint(tmp_path):
    method = load_method(DEFAULT_METHOD)

    def interrupt(step, _):
        if step == 27:
            raise KeyboardInterrupt

    with Store(tmp_path / "results.sqlite") as store:

        def sweep(progress):
            every = plan(method, ["Z97-add-0.05"], [0, 1], store, max_steps=40)
            run_sweep(every, store, device="cpu", progress=progress, checkpoint_every_s=0)

        with pytest.raises(KeyboardInterrupt):
            sweep(interrupt)
        steps = []
        sweep(lambda step, _: steps.append(step))
        assert steps[0] == 21  # the 20 updates before the checkpoint are not trained again
        assert len(store.keys()) == 2
    assert not list((tmp_path / "results.sqlite.stacks").iterdir())


class UpdateClock:
    """``time`` for the harness whose ``time()`` is the number of updates done: a deadline in updates."""

    perf_counter = staticmethod(time.perf_counter)

    def __init__(self):
        self.updates = 0

    def time(self):
        return self.updates


def stop_and_resume(monkeypatch, tmp_path, task_ids, max_steps, deadline, executor=harness.train_runs):
    """A sweep of two seeds stopped at ``deadline`` (in updates), then resumed, checked against the sweep
    uninterrupted: the time limit's message, the stacks saved, and the updates made once resumed."""
    method = load_method(DEFAULT_METHOD)
    clock = UpdateClock()
    monkeypatch.setattr(harness, "time", clock)

    def sweep(store, progress, deadline=None):
        every = plan(method, task_ids, [0, 1], store, max_steps=max_steps)
        run_sweep(every, store, device="cpu", progress=progress, deadline=deadline, executor=executor)

    def count(step, _):
        clock.updates = step

    with Store(tmp_path / "stopped.sqlite") as stopped, Store(tmp_path / "whole.sqlite") as whole:
        with pytest.raises(TimeLimit) as stop:
            sweep(stopped, count, deadline=deadline)
        assert not stopped.keys()
        saved = len(list((tmp_path / "stopped.sqlite.stacks").glob("*.stack.pt")))
        steps = []
        sweep(stopped, lambda step, _: steps.append(step))
        sweep(whole, None)
        assert len(whole.keys()) == 2 * len(task_ids)
        for a, b in zip(stopped.results([method.name]), whole.results([method.name]), strict=True):
            assert a.to_dict() | {"wall_time_s": 0} == b.to_dict() | {"wall_time_s": 0}
    return str(stop.value), saved, steps


SAVED = "finished runs are kept; the 2 unfinished run(s) of the stack in training are saved, and the same command resumes them."


def test_a_sweep_stopped_at_its_deadline_resumes_with_nothing_trained_twice(monkeypatch, tmp_path):
    message, saved, steps = stop_and_resume(monkeypatch, tmp_path, ["Z97-add-0.05"], max_steps=40, deadline=27)
    assert message == f"Stopped at the time limit at update 27: {SAVED}"
    assert saved == 1
    assert steps[0] == 28  # update 27 is the first one trained after the stop: none is trained twice


def test_stacks_trained_at_once_all_stop_at_the_deadline_and_resume_exactly(monkeypatch, tmp_path):
    at_once = _executor(None, concurrent_stacks=2)
    tasks = ["Z97-add-0.05", "Z97-sub-0.05"]
    message, saved, steps = stop_and_resume(monkeypatch, tmp_path, tasks, max_steps=20, deadline=13, executor=at_once)
    assert message == (  # the first stack's update 13 set the clock: the second stops before its own
        f"2 stacks trained at once stopped.\nStopped at the time limit at update 12: {SAVED}\n"
        f"Stopped at the time limit at update 13: {SAVED}"
    )
    assert saved == 2
    assert sorted(steps[:2]) == [13, 14]  # each stack goes on from the update it stopped at


def test_a_resumed_sweeps_progress_bar_counts_only_the_updates_left(monkeypatch, tmp_path):
    method = load_method(DEFAULT_METHOD)
    clock = UpdateClock()
    monkeypatch.setattr(harness, "time", clock)
    with Store(tmp_path / "results.sqlite") as store:
        every = plan(method, ["Z97-add-0.05"], [0, 1], store, max_steps=40)

        def count(step, _):
            clock.updates = step

        with pytest.raises(TimeLimit):
            run_sweep(every, store, device="cpu", progress=count, deadline=27)
        bar = SweepProgress()
        bar.expect(total_updates=2 * 40, total_runs=2, done_runs=0)
        run_sweep(every, store, device="cpu", progress=bar.progress, on_result=bar.on_result)
        bar.close()
    assert bar.bar.n == bar.bar.total == 2 * (40 - 27)  # updates 27 to 39 of two runs: the rate and ETA are this call's


def test_the_progress_bar_of_interleaved_stacks_takes_off_only_a_resumed_stacks_earlier_updates():
    fresh, resumed = [object(), object()], [object()]  # two stacks reporting in turn, as on Ray
    bar = SweepProgress()
    bar.expect(total_updates=3 * 40, total_runs=3, done_runs=0)
    for step in range(1, 41):
        bar.progress(step, fresh)
        if step <= 30:
            bar.progress(10 + step, resumed)  # saved before its update 11
    bar.progress(40, [])  # a stack's last report, after its runs have left
    bar.close()
    assert bar.bar.n == bar.bar.total == 2 * 40 + 30
