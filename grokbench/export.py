"""Export task tables as a Hugging Face dataset repository, readable offline by ``load_dataset``.

Layout: ``<config>/train.parquet`` and ``<config>/validation.parquet`` per task, and a
``README.md`` dataset card whose YAML lists the configs, their features, the license and the
split hashes. A config is named by the unversioned task id (``S5-square-0.3``), as users call
``grokbench.make``; its version and split hash are in the card. The repository is written to a
temporary folder beside the target and renamed into place only when complete, so a failure
leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate
from tqdm import tqdm

import grokbench
from grokbench import error
from grokbench.operations import OPERATIONS
from grokbench.task import CITATION, Task

SPLITS = ("train", "validation")


class ExportError(error.Error):
    """The export cannot be written or uploaded; nothing half-written is left behind."""


def export(task_ids: Sequence[str], out: str | os.PathLike[str], progress: bool = False) -> Path:
    """Write the tasks ``task_ids`` as a Hugging Face dataset repository into the new folder ``out``."""
    import datasets

    tasks = [grokbench.make(task_id) for task_id in task_ids]
    if not tasks:
        raise ExportError("Nothing to export: name task ids, or use --suite NAME or --all.")
    by_config: dict[str, Task] = {}
    for task in tasks:
        other = by_config.setdefault(task.spec.name, task)
        if other.id != task.id:
            raise ExportError(
                f"Cannot export {other.id} and {task.id} into one repository: export each version separately."
            )
    out = Path(out)
    _check_target(out)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise ExportError(f"Cannot write {out}: {exc.strerror or exc}.") from exc
    bars_were_enabled = not datasets.utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        for config, task in tqdm(by_config.items(), desc="export", unit="task", disable=not progress):
            (staging / config).mkdir()
            for split, dataset in task.to_hf().items():
                dataset.to_parquet(staging / config / f"{split}.parquet")
        (staging / "README.md").write_text(dataset_card(list(by_config.values())), encoding="utf-8")
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if bars_were_enabled:
            datasets.enable_progress_bars()
    return out


def _check_target(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"Output folder {out} already exists and is not empty: choose a new or empty folder.")
    parent = out.parent
    if not parent.is_dir():
        raise ExportError(f"Cannot write {out}: its parent folder {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f"Cannot write {out}: no permission to create files in {parent}.")


def dataset_card(tasks: Sequence[Task]) -> str:
    """The dataset card: YAML ``configs`` and features, then the operations, hashes and citation."""
    from huggingface_hub import DatasetCard, DatasetCardData

    configs, infos = [], []
    for task in tasks:
        name = task.spec.name
        configs.append(
            {"config_name": name, "data_files": [{"split": s, "path": f"{name}/{s}.parquet"} for s in SPLITS]}
        )
        infos.append({"config_name": name, "features": task.hf_features()._to_yaml_list()})
    data = DatasetCardData(
        license="mit",
        pretty_name="grokbench binary operation tables",
        task_categories=["text-classification"],
        tags=["grokking", "algorithmic", "grokbench"],
        configs=configs,
        dataset_info=infos,
    )
    stems = dict.fromkeys(task.spec.operation for task in tasks)
    operations = "\n".join(f"- `{stem}`: {OPERATIONS[stem].description}" for stem in stems)
    hashes = tabulate(
        [[t.spec.name, t.id, len(t.train), len(t.validation), f"`{t.split_hash}`"] for t in tasks],
        headers=["config", "task id", "train", "validation", "split hash"],
        tablefmt="github",
    )
    body = f"""# grokbench binary operation tables

Binary operation tables `a ∘ b = c` from the grokking paper, as fixed train/validation splits
exported by grokbench {grokbench.__version__}. Each config is one grokbench task: load it with
`datasets.load_dataset(<this repository>, "<config>")`. Columns `a`, `b` and `c` are class
labels whose names are the symbols; `text` is `"a ∘ b = c"`. Rows are in the task's fixed
order, and `grokbench.make("<config>")` gives the same splits.

## Operations

{operations}

Permutations of S5 are in one-line notation (the images of 0, 1, 2, 3, 4) and
`(x · y)[i] = x[y[i]]`: apply y, then x.

## Tasks and split hashes

{hashes}

## Citation

```bibtex
{CITATION}
```
"""
    return str(DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{body}"))


def push_to_hub(folder: str | os.PathLike[str], repo_id: str) -> str:
    """Upload an exported folder to the Hub as the dataset ``repo_id``; return its URL."""
    import huggingface_hub
    from huggingface_hub import HfApi

    if huggingface_hub.get_token() is None:
        raise ExportError(
            f"Cannot push to {repo_id}: no Hugging Face token. Run `hf auth login` or set HF_TOKEN. "
            f"The export is complete in {folder}."
        )
    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        api.upload_folder(repo_id=repo_id, folder_path=str(folder), repo_type="dataset")
    except Exception as exc:  # network, offline mode, permissions: all end the same way for the user
        raise ExportError(
            f"Cannot push to {repo_id}: {type(exc).__name__}: {exc}. The export is complete in {folder}."
        ) from exc
    return f"https://huggingface.co/datasets/{repo_id}"
