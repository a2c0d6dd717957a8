"""Model variants by id: the reference, the model grokbench 0.1 used, and each single change between them.

Torch-free, so that the store, the scorer and the leaderboard can name a run's model without
loading torch. What each choice means, beside the published code's, is in ``grokbench.model``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Literal

from grokbench import error


@dataclass(frozen=True)
class Architecture:
    """The choices that distinguish one transformer variant from another; its id names results."""

    name: str
    """Variant name, e.g. ``"grok"``."""
    version: int
    """Bumped whenever the variant changes in a way that changes training."""
    description: str
    """One line on what the variant is."""
    norm: Literal["post", "pre"] = "post"
    """``post``: ``LN(x + f(x))`` as in the published code; ``pre``: ``x + f(LN(x))`` and a final LN."""
    positions: Literal["sinusoidal", "learned"] = "sinusoidal"
    """Fixed sinusoidal position encodings, or trained position embeddings."""
    activation: Literal["relu", "gelu"] = "relu"
    """The MLP's nonlinearity."""
    bias: bool = False
    """Whether linear layers (attention, MLP) have biases; layer norms always do."""
    init: Literal["torch", "gpt2"] = "torch"
    """``torch``: PyTorch's defaults (embeddings N(0, 1), linear U(±1/√fan_in)); ``gpt2``: N(0, 0.02), biases 0."""
    attention_dropout: bool = False
    """Whether dropout also applies to the attention branch (always to the MLP branch)."""

    @property
    def id(self) -> str:
        """``<name>-v<version>``, recorded in every run's result and key."""
        return f"{self.name}-v{self.version}"


REFERENCE = Architecture(
    name="grok",
    version=1,
    description="The paper's published code (openai/grok): post-LN, ReLU, sinusoidal positions, no biases, torch init.",
)
"""The reference model: every suite and the leaderboard use it."""
GPT2_PRELN = Architecture(
    name="gpt2-preln",
    version=1,
    description="GPT-2 style: pre-LN, GELU, learned positions, biases, N(0, 0.02) init (grokbench 0.1's model).",
    norm="pre",
    positions="learned",
    activation="gelu",
    bias=True,
    init="gpt2",
    attention_dropout=True,
)
"""The model grokbench 0.1 used, kept for studies of architecture effects."""
MODELS: dict[str, Architecture] = {
    model.id: model
    for model in (
        REFERENCE,
        GPT2_PRELN,
        replace(
            REFERENCE, name="grok-gpt2init", description="grok with GPT-2's N(0, 0.02) initialization.", init="gpt2"
        ),
        replace(
            REFERENCE, name="grok-preln", description="grok with pre-LN blocks and a final layer norm.", norm="pre"
        ),
        replace(
            REFERENCE,
            name="grok-learnedpos",
            description="grok with learned position embeddings.",
            positions="learned",
        ),
        replace(REFERENCE, name="grok-gelu", description="grok with GELU in the MLP.", activation="gelu"),
        replace(REFERENCE, name="grok-bias", description="grok with biases in every linear layer.", bias=True),
    )
}
"""Every model variant, by id: the reference, the old GPT-2-style model, and each single change between them."""


def get_model(model_id: str) -> Architecture:
    """The variant ``model_id`` (``name`` alone means its latest version), or an error naming the closest ids."""
    if model_id in MODELS:
        return MODELS[model_id]
    versions = [m for m in MODELS.values() if m.name == model_id]
    if versions:
        return max(versions, key=lambda m: m.version)
    close = difflib.get_close_matches(model_id, list(MODELS), n=3, cutoff=0.4)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise error.Error(f"Unknown model {model_id!r}.{hint} Models: {', '.join(MODELS)}.")
