"""The results store: one SQLite row per finished run, written the moment the run finishes.

A run is keyed by (task id with version, split hash, method, hyperparameter hash, seed, budget,
model, package version): runs of different model variants are never taken for one another.
Each row is written in its own transaction, so a sweep killed at any moment (SIGKILL
included) loses only runs that had not finished, and a restarted sweep trains exactly
the runs whose key is missing. Several processes may share one store: SQLite's write-ahead log
serializes them, a key already present is never written twice, and a run is trained only by
the process that claimed it (``Store.claim``), so two sweeps never train the same run.

A run's full record (its curves included) is kept as zlib-compressed JSON, about a third of
its text (36.6 KB to 12.3 KB for a Fig. 1-left run of docs/reproduction, 448 evaluations): a
store of the paper suite (684 runs, up to 569 evaluations each) lives in the repository and
travels to a GPU machine. Records of stores written before that are text, read as they are.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
import zlib
from collections.abc import Iterable
from pathlib import Path

from grokbench import error
from grokbench.results import KEY, RunResult

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    task_id TEXT NOT NULL,
    split_hash TEXT NOT NULL,
    method TEXT NOT NULL,
    hyperparameter_hash TEXT NOT NULL,
    seed INTEGER NOT NULL,
    max_steps INTEGER NOT NULL,
    model TEXT NOT NULL,
    package_version TEXT NOT NULL,
    status TEXT NOT NULL,
    updates INTEGER NOT NULL,
    steps_to_99_val INTEGER,
    steps_to_99_train INTEGER,
    best_val_acc REAL NOT NULL,
    device TEXT NOT NULL,
    wall_time_s REAL NOT NULL,
    record BLOB NOT NULL,
    stored_at TEXT NOT NULL DEFAULT (datetime('now')),
    UNIQUE ({", ".join(KEY)})
)
"""


CLAIMS = """
CREATE TABLE IF NOT EXISTS claims (
    key TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    claimed_at TEXT NOT NULL DEFAULT (datetime('now'))
)
"""
"""Runs being trained right now, by which process: a sweep trains only the runs it claimed."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(host: str, pid: int) -> bool:
    """Whether a claim was left by a process of this host that no longer runs (a killed sweep)."""
    return host == socket.gethostname() and not _alive(pid)


class Store:
    """An SQLite file of run results; ``read_only`` opens an existing store without ever writing to it."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise error.Error(f"No results store at {self.path}.")
        self._connection: sqlite3.Connection | None = None
        try:
            if read_only:
                self._connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=60)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self._check_schema(read_only)
        except OSError as exc:
            raise error.Error(f"Cannot create the results store {self.path}: {exc.strerror}.") from exc
        except sqlite3.DatabaseError as exc:
            if self._connection is not None:
                self._connection.close()
            if "locked" in str(exc):
                raise error.Error(f"The results store {self.path} stayed locked by another process: {exc}.") from exc
            raise error.Error(f"{self.path} is not a grokbench results store: {exc}.") from exc

    def _check_schema(self, read_only: bool) -> None:
        tables = {row[0] for row in self._connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        columns = {row[1] for row in self._connection.execute("PRAGMA table_info(runs)")}
        if columns and "model" not in columns and set(KEY) - {"model"} <= columns:
            self._connection.close()
            raise error.Error(
                f"The store {self.path} was written by grokbench 0.1, before runs recorded their model "
                "(its runs trained the model now called gpt2-preln-v1); use a new store."
            )
        if (tables and not set(KEY) <= columns) or (read_only and not tables):
            self._connection.close()
            found = f"its tables: {', '.join(sorted(tables))}" if tables else "it is empty"
            raise error.Error(f"{self.path} is not a grokbench results store ({found}).")
        if not read_only:
            self._use_write_ahead_log()
            self._connection.execute("PRAGMA synchronous=FULL")
            self._connection.execute(SCHEMA)
            self._connection.execute(CLAIMS)
            self._forget_dead_claims()

    def _forget_dead_claims(self) -> None:
        """Drop the claims of this host's processes that no longer run (killed sweeps), so that a store
        copied to another machine, where no process can tell whether they live, carries only live ones."""
        claims = self._connection.execute("SELECT key, host, pid FROM claims").fetchall()
        dead = [claim for claim in claims if _stale(claim[1], claim[2])]
        self._connection.executemany("DELETE FROM claims WHERE key = ? AND host = ? AND pid = ?", dead)

    def add(self, result: RunResult) -> bool:
        """Store a finished run; False (and nothing written) if its key is already stored."""
        record = result.to_dict()
        columns = (
            *KEY,
            "status",
            "updates",
            "steps_to_99_val",
            "steps_to_99_train",
            "best_val_acc",
            "device",
            "wall_time_s",
        )
        values = [record[c] for c in columns] + [zlib.compress(json.dumps(record, allow_nan=False).encode())]
        cursor = self._connection.execute(
            f"INSERT OR IGNORE INTO runs ({', '.join(columns)}, record) VALUES ({', '.join('?' * (len(columns) + 1))})",
            values,
        )
        return cursor.rowcount == 1

    def _use_write_ahead_log(self, wait_s: float = 60.0) -> None:
        """Switch the file to WAL once; a sweep opening it at the same moment may hold it briefly."""
        deadline = time.monotonic() + wait_s
        while self._connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                self._connection.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def claim(self, key: tuple) -> bool:
        """Take the right to train the run ``key``: False if it is stored, or claimed by a live process.

        A claim left by a process of this host that no longer runs (a killed sweep) is taken over.
        """
        text, host = json.dumps(key), socket.gethostname()
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            where = " AND ".join(f"{name} = ?" for name in KEY)
            if self._connection.execute(f"SELECT 1 FROM runs WHERE {where}", key).fetchone():
                return False
            holder = self._connection.execute("SELECT host, pid FROM claims WHERE key = ?", (text,)).fetchone()
            if holder is not None and not _stale(*holder):
                return False
            self._connection.execute(
                "INSERT OR REPLACE INTO claims (key, host, pid) VALUES (?, ?, ?)", (text, host, os.getpid())
            )
            return True
        finally:
            self._connection.execute("COMMIT")

    def release(self, keys: Iterable[tuple]) -> None:
        """Give up this process's claims on ``keys`` (after storing the runs, or on failure)."""
        self._connection.executemany(
            "DELETE FROM claims WHERE key = ? AND host = ? AND pid = ?",
            [(json.dumps(key), socket.gethostname(), os.getpid()) for key in keys],
        )

    def keys(self) -> set[tuple]:
        """The keys of every stored run."""
        return set(self._connection.execute(f"SELECT {', '.join(KEY)} FROM runs"))

    def methods(self) -> list[str]:
        """The methods of the stored runs, in the order first stored."""
        rows = self._connection.execute("SELECT method FROM runs GROUP BY method ORDER BY MIN(rowid)")
        return [method for (method,) in rows]

    def results(self, methods: Iterable[str] | None = None) -> list[RunResult]:
        """Stored runs (of the given methods), in the order they were stored."""
        rows = self._connection.execute("SELECT method, record FROM runs ORDER BY rowid")
        wanted = None if methods is None else set(methods)
        return [
            RunResult.from_dict(json.loads(zlib.decompress(record) if isinstance(record, bytes) else record))
            for method, record in rows
            if wanted is None or method in wanted
        ]

    def add_missing(self, other: Store) -> tuple[int, int]:
        """Store the runs of ``other`` that this store lacks: the pieces of one sweep, trained on several
        machines, gathered into one store. A run both hold stays as this store has it. Returns how many
        runs were added and how many were already here."""
        added = sum(self.add(result) for result in other.results())
        return added, len(other.keys()) - added

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
