"""Pictures of what a run learned, from its milestone checkpoints (``grokbench.checkpoints``).

- **The paper's Fig. 3**: the output layer's rows (one vector per symbol) in two dimensions, by
  PCA and by t-SNE, coloured by the operation's structure — for Z97 operations the residue
  and, for division, the discrete logarithm (base 5, a primitive root mod 97), so that the
  multiplicative circle shows; for S5 the permutation's sign and cycle type — at the
  memorized and generalized milestones side by side.
- **A Fourier view for Z97 operations**: the norm of the token embedding along each frequency
  of Z/97 at each milestone; an additive operation that generalizes concentrates it on a few
  key frequencies (Nanda et al. 2023, "Progress measures for grokking via mechanistic
  interpretability").

PCA is computed with numpy; t-SNE needs scikit-learn (``pip install "grokbench[analysis]"``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grokbench import error
from grokbench.checkpoints import MILESTONES, RunModel, load_model
from grokbench.registration import make

MODULUS = 97
GENERATOR = 5
"""A primitive root mod 97: its powers are every nonzero residue, so its logarithm orders them on a circle."""


def symbol_colourings(operation: str, symbols: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Named per-symbol values to colour by: the structure the operation has (NaN where undefined)."""
    if operation.startswith("Z97"):
        residue = np.array([int(s) for s in symbols], dtype=float)
        colourings = {"residue": residue}
        if operation in ("Z97-div", "Z97-mix"):
            log = {pow(GENERATOR, k, MODULUS): k for k in range(MODULUS - 1)}
            colourings["discrete log base 5"] = np.array([log.get(int(s), np.nan) for s in symbols], dtype=float)
        return colourings
    permutations = [tuple(int(c) for c in s) for s in symbols]
    cycle_types = [_cycle_type(p) for p in permutations]
    kinds = sorted(set(cycle_types))
    return {
        "sign": np.array([1.0 if _is_even(p) else -1.0 for p in permutations]),
        "cycle type": np.array([float(kinds.index(c)) for c in cycle_types]),
    }


def _cycle_type(permutation: tuple[int, ...]) -> tuple[int, ...]:
    seen, lengths = set(), []
    for start in range(len(permutation)):
        length, i = 0, start
        while i not in seen:
            seen.add(i)
            i, length = permutation[i], length + 1
        if length:
            lengths.append(length)
    return tuple(sorted(lengths, reverse=True))


def _is_even(permutation: tuple[int, ...]) -> bool:
    return sum(length - 1 for length in _cycle_type(permutation)) % 2 == 0


def output_rows(model: RunModel) -> np.ndarray:
    """The output layer's rows, one vector per symbol: ``(num_symbols, width)``."""
    return model.parameter("head").detach().numpy().T


def project(vectors: np.ndarray, how: str, seed: int = 0) -> np.ndarray:
    """``vectors`` in two dimensions, by ``"PCA"`` or ``"t-SNE"``."""
    centred = vectors - vectors.mean(axis=0)
    if how == "PCA":
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        return centred @ components[:2].T
    try:
        from sklearn.manifold import TSNE
    except ModuleNotFoundError as exc:
        raise error.Error('t-SNE needs scikit-learn: pip install "grokbench[analysis]".') from exc
    return TSNE(n_components=2, perplexity=min(30.0, len(vectors) / 4), random_state=seed).fit_transform(centred)


def fourier_norms(model: RunModel) -> np.ndarray:
    """The token embedding's norm along each frequency 0..48 of Z/97 (its rows for the 97 residues)."""
    table = model.parameter("token_embedding").detach().numpy()[:MODULUS]
    return np.linalg.norm(np.fft.rfft(table, axis=0), axis=1)


def milestones_in(run: Path) -> dict[str, RunModel]:
    """The milestones a run's checkpoint folder holds, loaded, in milestone order."""
    found = {m: load_model(run / f"{m}.safetensors") for m in MILESTONES if (run / f"{m}.safetensors").is_file()}
    if not found:
        raise error.Error(
            f"{run} holds no checkpoints: pass a run's folder under <out>/checkpoints/ "
            "(kept by `grokbench train`, or `grokbench run --checkpoints`)."
        )
    return found


def draw(run: str | Path, out: str | Path) -> list[Path]:
    """Fig. 3 (one figure per colouring) and, for a Z97 operation, the Fourier view of one run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run, out = Path(run), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    models = milestones_in(run)
    first = next(iter(models.values()))
    task = make(first.metadata["task_id"])
    shown = {m: models[m] for m in ("memorized", "generalized") if m in models} or models
    title = f"{task.id} seed {first.metadata['seed']}, {first.metadata['method']}"
    written = []
    projections = {(how, m): project(output_rows(model), how) for how in ("PCA", "t-SNE") for m, model in shown.items()}
    for name, values in symbol_colourings(task.spec.operation, task.symbols).items():
        figure, axes = plt.subplots(
            2, len(shown), figsize=(max(7.0, 4.2 * len(shown)), 8), squeeze=False, layout="constrained"
        )
        for row, how in enumerate(("PCA", "t-SNE")):
            for column, (milestone, model) in enumerate(shown.items()):
                points, axis = projections[how, milestone], axes[row][column]
                scatter = axis.scatter(points[:, 0], points[:, 1], c=values, cmap="twilight", s=14, plotnonfinite=True)
                axis.set_title(f"{how}, {milestone} (update {model.metadata['step']})", fontsize=9)
                axis.set_xticks([])
                axis.set_yticks([])
        figure.colorbar(scatter, ax=axes, label=name, shrink=0.6)
        figure.suptitle(f"Output layer rows by {name}: {title}", fontsize=10)
        path = out / f"embedding-{name.replace(' ', '-')}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    if task.spec.operation.startswith("Z97"):
        figure, axis = plt.subplots(figsize=(8, 3.5))
        for milestone, model in models.items():
            axis.plot(fourier_norms(model), marker=".", label=f"{milestone} (update {model.metadata['step']})")
        axis.set_xlabel("frequency k of Z/97 (cos and sin of 2πkx/97)")
        axis.set_ylabel("token embedding norm")
        axis.set_title(f"Fourier view of the token embedding: {title}", fontsize=10)
        axis.legend(fontsize=8)
        figure.tight_layout()
        path = out / "fourier.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
    return written
