"""The paper's reference transformer, written for R independent runs trained as one computation.

Decoder-only, causal attention, 2 layers, width 128, 4 heads (paper appendix A.1.2). It reads
the four tokens ``a ∘ b =`` and outputs logits over the operation's symbols for ``c``.

Choices the paper leaves open, fixed here:
- pre-layer-norm blocks (GPT-2 style) with a final layer norm;
- learned absolute position embeddings, one per position of the 4-token sequence;
- GELU (tanh approximation not used) in a 4x-wide MLP;
- an untied output layer over the symbols only (not ``∘`` or ``=``), so chance is 1/|symbols|;
- GPT-2 initialization: weights N(0, 0.02), biases 0, layer-norm gains 1;
- the last block computes its query and MLP only at the ``=`` position, the only output used:
  the answer's logits are exactly those of the full causal model.

Every parameter has a leading *run* dimension R. Run r's logits depend only on run r's
parameters (batched matmuls, never a reduction across runs), so R runs trained together follow
the trajectories they would follow alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

SEQUENCE_LENGTH = 4
"""Tokens per equation: ``a``, ``∘``, ``b``, ``=``."""


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the reference transformer."""

    vocab_size: int
    """Input tokens: the symbols plus ``∘`` and ``=``."""
    num_symbols: int
    """Output classes: the symbols."""
    width: int = 128
    """Residual stream width d."""
    layers: int = 2
    """Transformer blocks."""
    heads: int = 4
    """Attention heads per block."""
    mlp_ratio: int = 4
    """MLP hidden width as a multiple of d."""
    dropout: float = 0.0
    """Residual dropout probability (a method's choice; 0 in the reference recipe)."""


EMBEDDING_PARAMETERS = ("token_embedding", "position_embedding", "head")
"""Parameters excluded from the paper's non-embedding count."""


def parameter_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape for one run, by name."""
    d, hidden = config.width, config.width * config.mlp_ratio
    shapes: dict[str, tuple[int, ...]] = {
        "token_embedding": (config.vocab_size, d),
        "position_embedding": (SEQUENCE_LENGTH, d),
    }
    for i in range(config.layers):
        shapes |= {
            f"h{i}.ln1.weight": (d,),
            f"h{i}.ln1.bias": (d,),
            f"h{i}.attn.qkv.weight": (d, 3 * d),
            f"h{i}.attn.qkv.bias": (3 * d,),
            f"h{i}.attn.proj.weight": (d, d),
            f"h{i}.attn.proj.bias": (d,),
            f"h{i}.ln2.weight": (d,),
            f"h{i}.ln2.bias": (d,),
            f"h{i}.mlp.fc.weight": (d, hidden),
            f"h{i}.mlp.fc.bias": (hidden,),
            f"h{i}.mlp.proj.weight": (hidden, d),
            f"h{i}.mlp.proj.bias": (d,),
        }
    return shapes | {"ln_f.weight": (d,), "ln_f.bias": (d,), "head": (d, config.num_symbols)}


def non_embedding_parameter_count(config: ModelConfig) -> int:
    """Parameters outside the token and position embeddings and the output layer."""
    return sum(
        torch.Size(shape).numel()
        for name, shape in parameter_shapes(config).items()
        if name not in EMBEDDING_PARAMETERS
    )


def init_parameters(config: ModelConfig, seed: int) -> dict[str, torch.Tensor]:
    """One run's initial parameters, drawn on the CPU from ``seed`` so every device starts alike."""
    generator = torch.Generator().manual_seed(seed)
    params = {}
    for name, shape in parameter_shapes(config).items():
        if name.endswith(".bias"):
            params[name] = torch.zeros(shape)
        elif ".ln" in name or name.startswith("ln_f"):
            params[name] = torch.ones(shape)
        else:
            params[name] = torch.randn(shape, generator=generator) * 0.02
    return params


def _linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """x: (R, N, in), weight: (R, in, out), bias: (R, out) -> (R, N, out)."""
    return torch.baddbmm(bias.unsqueeze(1), x, weight)


def _layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Per-run affine layer norm over the last dimension; x: (R, ..., d), weight: (R, d)."""
    shape = (weight.shape[0],) + (1,) * (x.dim() - 2) + (weight.shape[1],)
    return F.layer_norm(x, x.shape[-1:]) * weight.view(shape) + bias.view(shape)


def _dropout(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    if p == 0.0 or generator is None:
        return x
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return x * keep / (1 - p)


def forward(
    params: dict[str, torch.Tensor],
    tokens: torch.Tensor,
    config: ModelConfig,
    dropout_generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Logits ``(R, B, num_symbols)`` for the answer of each equation.

    ``tokens`` is ``(R, B, 4)`` (each run its own batch) or ``(B, 4)`` (one batch for all runs).
    Dropout is applied only when a ``dropout_generator`` is given (training).
    """
    runs = params["token_embedding"].shape[0]
    if tokens.dim() == 2:
        tokens = tokens.expand(runs, *tokens.shape)
    batch, d, heads = tokens.shape[1], config.width, config.heads
    # A one-hot product rather than indexing: its backward is a matmul, deterministic on every device.
    one_hot = F.one_hot(tokens.reshape(runs, -1), config.vocab_size).to(params["token_embedding"].dtype)
    embedded = torch.bmm(one_hot, params["token_embedding"]).view(runs, batch, SEQUENCE_LENGTH, d)
    x = embedded + params["position_embedding"].unsqueeze(1)  # (R, B, T, d)
    for i in range(config.layers):
        last = i == config.layers - 1
        p = {key[len(f"h{i}.") :]: value for key, value in params.items() if key.startswith(f"h{i}.")}
        h = _layer_norm(x, p["ln1.weight"], p["ln1.bias"]).reshape(runs, batch * SEQUENCE_LENGTH, d)
        qkv = _linear(h, p["attn.qkv.weight"], p["attn.qkv.bias"]).view(
            runs * batch, SEQUENCE_LENGTH, 3, heads, d // heads
        )
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (R*B, heads, T, d/heads)
        if last:  # only the "=" position feeds the answer; it attends to every position
            attended = F.scaled_dot_product_attention(q[:, :, -1:], k, v)
            x = x[:, :, -1:]
        else:
            attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        steps = x.shape[2]
        attended = attended.transpose(1, 2).reshape(runs, batch * steps, d)
        attended = _linear(attended, p["attn.proj.weight"], p["attn.proj.bias"]).view(runs, batch, steps, d)
        x = x + _dropout(attended, config.dropout, dropout_generator)
        h = _layer_norm(x, p["ln2.weight"], p["ln2.bias"]).reshape(runs, batch * steps, d)
        h = _linear(F.gelu(_linear(h, p["mlp.fc.weight"], p["mlp.fc.bias"])), p["mlp.proj.weight"], p["mlp.proj.bias"])
        x = x + _dropout(h.view(runs, batch, steps, d), config.dropout, dropout_generator)
    answer = _layer_norm(x[:, :, -1], params["ln_f.weight"], params["ln_f.bias"])  # (R, B, d)
    return torch.bmm(answer, params["head"])
