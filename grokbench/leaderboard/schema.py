"""The files of a leaderboard entry as pydantic models, and reading and writing them.

Errors name the file, the field and what it should be.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter, ValidationError

from grokbench import error

_CHECKOUT_BOARD = Path(__file__).resolve().parents[2] / "leaderboard"
LEADERBOARD = _CHECKOUT_BOARD if _CHECKOUT_BOARD.is_dir() else Path("leaderboard")
"""The board's folder: ``leaderboard/`` of a source checkout, else ``./leaderboard`` (a wheel install)."""
HARDWARE_SEPARATOR = "; "
"""Joins the hardware of an entry's runs, in ``environment.json``, when they name several."""

FILES = ("method.py", "metadata.json", "results.json", "summary.json", "environment.json")
"""The files every entry folder holds."""


class LeaderboardError(error.Error):
    """An entry is malformed, incomplete, out of date, or does not match its claims."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metadata(_Strict):
    """``metadata.json``: who made the method and how it was tuned."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="the entry's folder name")
    authors: list[str] = Field(min_length=1)
    description: str = Field(min_length=1)
    link: HttpUrl | None = None
    hyperparameters: dict[str, Any]
    tuning_notes: str = ""
    dependencies: dict[str, str] = Field(
        default_factory=dict,
        description="pip packages the method imports, with their versions, e.g. {'lion-pytorch': '0.2.3'}",
    )


class Environment(_Strict):
    """``environment.json``: what produced the results."""

    grokbench_version: str
    torch_version: str
    python_version: str
    device: str
    precision: Literal["float32", "tf32", "bfloat16"]
    model: str = Field(
        "gpt2-preln-v1",
        description="id of the model variant trained, e.g. grok-v1; absent in entries of grokbench 0.1, "
        "which all trained the model now named gpt2-preln-v1",
    )
    suite: str
    suite_version: int
    split_hashes: dict[str, str]
    method_sha256: str = Field(description="SHA-256 of method.py's bytes when the runs were made")
    hardware: str = Field(
        description="the GPU, or the CPU model with its instruction set and thread count, that made the runs "
        f"(several joined by {HARDWARE_SEPARATOR!r})"
    )
    packages: dict[str, str] = Field(
        default_factory=dict, description="installed versions of the pip packages method.py imports"
    )


def read_json(path: Path, model: Any) -> Any:
    """An entry file parsed and validated as ``model``."""
    if not path.is_file():
        raise LeaderboardError(f"{path}: missing; an entry needs {', '.join(FILES)}.")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise LeaderboardError(f"{path}: not valid JSON: {exc}.") from exc
    return validate(model, data, path)


def validate(model: Any, data: Any, where: Path | str) -> Any:
    """Validate ``data`` as ``model``, with an error that names the file, the field and the fix."""
    try:
        return TypeAdapter(model).validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        got = "" if first["type"] == "missing" else f" (got {first.get('input')!r})"
        raise LeaderboardError(f"{where}: field '{field}': {first['msg']}{got}.") from exc


class Verification(_Strict):
    """``verification.json``: a re-run that reproduced an entry, written by ``grokbench leaderboard verify``."""

    verified_at: str = Field(description="UTC date and time of the re-run")
    seeds: list[int] = Field(description="the seeds re-run, on every task of the suite")
    hardware: str = Field(description="what re-ran them")
    grokbench_version: str
    results_sha256: str = Field(description="SHA-256 of the results.json that was reproduced")
    method_sha256: str = Field(description="SHA-256 of the method.py that reproduced it")


def sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as entries record them."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_json(path: Path, data: Any) -> None:
    """Write an entry file: indented, UTF-8, no NaN."""
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
