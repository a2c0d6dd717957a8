"""The paper's reference transformer, written for R independent runs trained as one computation.

Decoder-only, causal attention, 2 layers, width 128, 4 heads (paper appendix A.1.2). It reads
the four tokens ``a ∘ b =`` and outputs logits over the operation's symbols for ``c``.

The paper's text leaves the details open; its published code (openai/grok,
``grok/transformer.py`` and ``grok/training.py``) fixes them, and they decide how late the
network generalizes. The reference model, ``grok-v1``, follows that code:

==========================  =============================================  =====================
choice                      openai/grok                                    ``grok-v1``
==========================  =============================================  =====================
block                       post-LN: ``LN(x + attn(x))``, ``LN(a + mlp(a))``  same
final layer norm            none                                           none
MLP                         ReLU, width 4d                                 same
positions                   sinusoidal, not trained                        same
biases in linear layers     none (layer norms keep theirs)                 same
output layer                linear, no bias                                same
initialization              PyTorch defaults: embedding N(0, 1), linear    same
                            U(±1/√fan_in), layer norm 1 and 0
attention                   per-head Q, K, V (d/heads each), scale 1/√d_k  fused QKV, same maths
dropout                     on the MLP branch only                         same
weight noise                every weight and layer-norm parameter          same (the harness)
==========================  =============================================  =====================

Where ``grok-v1`` still differs, and why:

- the sequence is the task's four tokens ``a ∘ b =``; the published code prepends an
  end-of-sequence token (so its tokens sit at positions 1–4 and attention can also rest on it)
  and appends ``c``. A task's input is defined once for every model, so it has no such token.
- the input vocabulary is the task's symbols plus ``∘`` and ``=``, and the output layer covers
  the symbols only, so chance is 1/|symbols|; the published code shares one vocabulary of every
  dataset's tokens between input and output.
- the last block computes its query and MLP only at the ``=`` position, the only output used:
  the answer's logits are exactly those of the full causal model.

The model grokbench used before, a GPT-2-style network, stays available as ``gpt2-preln-v1``
(pre-LN with a final layer norm, GELU, learned positions, biases, N(0, 0.02) initialization,
dropout on both residual branches), and each single step from ``grok-v1`` toward it is a named
variant (``MODELS``) for studies of what sets the delay. Results of different models are never
compared: every run records its model's id.

Every parameter has a leading *run* dimension R. Run r's logits depend only on run r's
parameters (batched matmuls, never a reduction across runs), so R runs trained together follow
the trajectories they would follow alone.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from grokbench.architectures import REFERENCE, Architecture

SEQUENCE_LENGTH = 4
"""Tokens per equation: ``a``, ``∘``, ``b``, ``=``."""


@dataclass(frozen=True)
class ModelConfig:
    """Shape and variant of the transformer."""

    vocab_size: int
    """Input tokens: the symbols plus ``∘`` and ``=``."""
    num_symbols: int
    """Output classes: the symbols."""
    architecture: Architecture = REFERENCE
    """Which variant (the reference unless a study asks for another)."""
    width: int = 128
    """Residual stream width d."""
    layers: int = 2
    """Transformer blocks."""
    heads: int = 4
    """Attention heads per block."""
    mlp_ratio: int = 4
    """MLP hidden width as a multiple of d."""
    dropout: float = 0.0
    """Dropout probability on the residual branches (a method's choice; 0 in the reference recipe)."""


EMBEDDING_PARAMETERS = ("token_embedding", "position_embedding", "head")
"""Parameters excluded from the paper's non-embedding count."""
LINEAR_LAYERS = ("attn.qkv", "attn.proj", "mlp.fc", "mlp.proj")
"""The linear layers of a block (weights stored ``(in, out)``)."""


def parameter_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape for one run, by name."""
    arch, d, hidden = config.architecture, config.width, config.width * config.mlp_ratio
    shapes: dict[str, tuple[int, ...]] = {"token_embedding": (config.vocab_size, d)}
    if arch.positions == "learned":
        shapes["position_embedding"] = (SEQUENCE_LENGTH, d)
    linear = {"attn.qkv": (d, 3 * d), "attn.proj": (d, d), "mlp.fc": (d, hidden), "mlp.proj": (hidden, d)}
    for i in range(config.layers):
        for norm in ("ln1", "ln2"):
            shapes |= {f"h{i}.{norm}.weight": (d,), f"h{i}.{norm}.bias": (d,)}
        for name, shape in linear.items():
            shapes[f"h{i}.{name}.weight"] = shape
            if arch.bias:
                shapes[f"h{i}.{name}.bias"] = shape[1:]
    if arch.norm == "pre":
        shapes |= {"ln_f.weight": (d,), "ln_f.bias": (d,)}
    return shapes | {"head": (d, config.num_symbols)}


def non_embedding_parameter_count(config: ModelConfig) -> int:
    """Parameters outside the token and position embeddings and the output layer."""
    return sum(
        torch.Size(shape).numel()
        for name, shape in parameter_shapes(config).items()
        if name not in EMBEDDING_PARAMETERS
    )


ROLES = ("embedding", "hidden", "vector", "output")
"""What a parameter is, for methods that treat kinds differently (``methods`` documents them)."""


def parameter_role(name: str) -> str:
    """The role of the parameter ``name``: embedding, hidden (a block's weight matrix), vector, or output."""
    if name.endswith("_embedding"):
        return "embedding"
    if name == "head":
        return "output"
    if name.endswith(".bias") or ".ln" in name or name.startswith("ln_"):
        return "vector"
    return "hidden"


def init_parameters(config: ModelConfig, seed: int) -> dict[str, torch.Tensor]:
    """One run's initial parameters, drawn on the CPU from ``seed`` so every device starts alike.

    ``torch`` init is what ``nn.Embedding``, ``nn.Linear`` and ``nn.LayerNorm`` do by default
    (weights and biases of a linear layer U(±1/√fan_in), fan_in being its input width).
    """
    generator = torch.Generator().manual_seed(seed)
    shapes = parameter_shapes(config)
    params = {}
    for name, shape in shapes.items():
        if ".ln" in name or name.startswith("ln_f"):
            params[name] = torch.ones(shape) if name.endswith(".weight") else torch.zeros(shape)
        elif config.architecture.init == "gpt2":
            params[name] = (
                torch.zeros(shape) if name.endswith(".bias") else torch.randn(shape, generator=generator) * 0.02
            )
        elif name in ("token_embedding", "position_embedding"):
            params[name] = torch.randn(shape, generator=generator)
        else:
            bound = 1 / math.sqrt(shapes[name.replace(".bias", ".weight")][0])  # the layer's fan_in
            params[name] = (torch.rand(shape, generator=generator) * 2 - 1) * bound
    return params


@functools.lru_cache
def sinusoidal_positions(
    width: int, device: torch.device | None = None, dtype: torch.dtype | None = None
) -> torch.Tensor:
    """``(SEQUENCE_LENGTH, width)`` encodings: sin(pos/10000^(i/d)) at even i, cos(pos/10000^((i-1)/d)) at odd i.

    Kept per device and dtype, so a forward pass copies nothing from the host.
    """
    position = torch.arange(SEQUENCE_LENGTH, dtype=torch.float64)[:, None]
    even = torch.arange(0, width, 2, dtype=torch.float64)
    angle = position / 10000 ** (even / width)
    return torch.stack([angle.sin(), angle.cos()], dim=-1).flatten(1).float().to(device=device, dtype=dtype)


def _linear(x: torch.Tensor, params: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    """x: (R, N, in), weight: (R, in, out), optional bias: (R, out) -> (R, N, out)."""
    bias = params.get(f"{name}.bias")
    if bias is None:
        return torch.bmm(x, params[f"{name}.weight"])
    return torch.baddbmm(bias.unsqueeze(1), x, params[f"{name}.weight"])


def _layer_norm(x: torch.Tensor, params: dict[str, torch.Tensor], name: str) -> torch.Tensor:
    """Per-run affine layer norm over the last dimension; x: (R, ..., d), weight: (R, d)."""
    weight, bias = params[f"{name}.weight"], params[f"{name}.bias"]
    shape = (weight.shape[0],) + (1,) * (x.dim() - 2) + (weight.shape[1],)
    return F.layer_norm(x, x.shape[-1:]) * weight.view(shape) + bias.view(shape)


Generators = Sequence[torch.Generator]
"""One random generator per run of the stack: each run's dropout draws from its own stream."""


def per_run_random(shape: torch.Size, generators: Generators, device: torch.device, normal: bool) -> torch.Tensor:
    """A ``(R, *shape[1:])`` tensor of uniform (or standard normal) numbers, run ``r``'s drawn from ``generators[r]``,
    so a run draws the same numbers whichever runs share its stack."""
    draw = torch.randn if normal else torch.rand
    return torch.stack([draw(shape[1:], generator=generator, device=device) for generator in generators])


def per_run_normal_like(tensors: Sequence[torch.Tensor], generators: Generators) -> list[torch.Tensor]:
    """Standard normal tensors shaped like the stacked ``tensors`` (leading dimension: the run), run ``r``'s
    numbers drawn from ``generators[r]`` for all of them in one draw (on a GPU, one launch a run); on a CPU
    they are the numbers that drawing each tensor in turn gives where every size is a multiple of 16."""
    sizes = [t[0].numel() for t in tensors]
    noise = per_run_random(torch.Size([len(generators), sum(sizes)]), generators, tensors[0].device, normal=True)
    return [piece.reshape(t.shape).to(t.dtype) for t, piece in zip(tensors, noise.split(sizes, dim=1), strict=True)]


def _dropout(x: torch.Tensor, p: float, generators: Generators | None) -> torch.Tensor:
    if p == 0.0 or generators is None:
        return x
    keep = per_run_random(x.shape, generators, x.device, normal=False) >= p
    return x * keep / (1 - p)


ATTENTION_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH]
"""The attention kernels allowed: all but cuDNN's, which on an NVIDIA H200 (torch 2.11, CUDA 13) failed on this
model's bfloat16 attention of a large stack ("mha_graph.execute(...).is_good()"), in training and in evaluation.
The CPU's kernels are among these, so a CPU computes what it did before."""

ATTENTION_BATCH = 2**16 - 1
"""The most sequences one attention call takes: CUDA's flash and memory-efficient kernels put the batch in a grid
dimension of at most 2^16 − 1 blocks (pytorch/pytorch#146704; on the H200, bfloat16 stacks of 256 runs at batch 512
failed with "invalid argument"), so a larger batch goes through in pieces. Each sequence is attended on its own,
so the pieces compute exactly what one call would."""


BROADCAST_ATTENTION_DEVICES = {"cuda"}
"""Device types whose attention is computed as broadcast products and sums (``_attend_broadcast``)
instead of by ``scaled_dot_product_attention``. At 4 positions and 32 dimensions a head is a 4×4
score matrix, so the fused kernels, tiled for sequences of 64 and more, spend their blocks mostly
empty, one (sequence, head) per block; broadcast products make a few large elementwise kernels
instead. On the H200, with the fused kernels, the stacked update stopped scaling at about 0.44 ms
per run-update (docs/benchmarks.md); ``benchmarks/profile_update.py`` times both, and
``benchmarks/bench_training.py`` the harness with each. The CPU keeps the fused kernel, so that its
numbers stay those of the runs it has stored, and a saved stack resumes on it exactly."""


@functools.lru_cache
def _future(device: torch.device) -> torch.Tensor:
    """``(4, 4)``: True where a key comes after the query (masked in causal attention); kept per device."""
    return torch.ones(SEQUENCE_LENGTH, SEQUENCE_LENGTH, dtype=torch.bool, device=device).triu(1)


def _attend_broadcast(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """softmax(q kᵀ / √d_k) v of ``(B, heads, T, d_k)`` sequences as broadcast products and sums, computed in
    float32 (as the fused kernels accumulate) and returned in the inputs' precision."""
    dtype = q.dtype
    q, k, v = q.float(), k.float(), v.float()
    scores = ((q * q.shape[-1] ** -0.5).unsqueeze(-2) * k.unsqueeze(-3)).sum(-1)  # (B, heads, T_q, T_k)
    if causal:
        scores = scores.masked_fill(_future(q.device), float("-inf"))
    return (scores.softmax(-1).unsqueeze(-1) * v.unsqueeze(-3)).sum(-2).to(dtype)


def _attend_fused(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """``scaled_dot_product_attention`` of ``(B, heads, T, d_k)`` sequences, ATTENTION_BATCH at a time."""
    with sdpa_kernel(ATTENTION_BACKENDS):
        if q.shape[0] <= ATTENTION_BATCH:
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        pieces = zip(q.split(ATTENTION_BATCH), k.split(ATTENTION_BATCH), v.split(ATTENTION_BATCH), strict=True)
        return torch.cat([F.scaled_dot_product_attention(*piece, is_causal=causal) for piece in pieces])


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """Scaled dot-product attention of ``(B, heads, T, d_k)`` sequences: broadcast on the device types of
    ``BROADCAST_ATTENTION_DEVICES``, fused elsewhere."""
    attend = _attend_broadcast if q.device.type in BROADCAST_ATTENTION_DEVICES else _attend_fused
    return attend(q, k, v, causal)


def _attention(h: torch.Tensor, p: dict[str, torch.Tensor], config: ModelConfig, last: bool) -> torch.Tensor:
    """Causal self-attention of ``h`` ``(R, B, T, d)``; in the last block, only the ``=`` position's output."""
    runs, batch, d, heads = h.shape[0], h.shape[1], config.width, config.heads
    qkv = _linear(h.reshape(runs, batch * SEQUENCE_LENGTH, d), p, "attn.qkv")
    q, k, v = qkv.view(runs * batch, SEQUENCE_LENGTH, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    # in the last block only the "=" position feeds the answer; it attends to every position
    attended = _attend(q[:, :, -1:], k, v, causal=False) if last else _attend(q, k, v, causal=True)
    steps = attended.shape[2]
    attended = attended.transpose(1, 2).reshape(runs, batch * steps, d)
    return _linear(attended, p, "attn.proj").view(runs, batch, steps, d)


def _mlp(h: torch.Tensor, p: dict[str, torch.Tensor], config: ModelConfig) -> torch.Tensor:
    """The position-wise MLP of ``h`` ``(R, B, T, d)``."""
    activation = F.relu if config.architecture.activation == "relu" else F.gelu
    flat = h.reshape(h.shape[0], -1, h.shape[-1])
    return _linear(activation(_linear(flat, p, "mlp.fc")), p, "mlp.proj").view(h.shape)


def _block(
    x: torch.Tensor, p: dict[str, torch.Tensor], config: ModelConfig, last: bool, generators: Generators | None
) -> torch.Tensor:
    """One transformer block, post-LN or pre-LN as the architecture says."""
    arch = config.architecture
    attention_dropout = config.dropout if arch.attention_dropout else 0.0
    if arch.norm == "pre":
        attended = _attention(_layer_norm(x, p, "ln1"), p, config, last)
        x = (x[:, :, -1:] if last else x) + _dropout(attended, attention_dropout, generators)
        return x + _dropout(_mlp(_layer_norm(x, p, "ln2"), p, config), config.dropout, generators)
    attended = _attention(x, p, config, last)
    x = _layer_norm((x[:, :, -1:] if last else x) + _dropout(attended, attention_dropout, generators), p, "ln1")
    return _layer_norm(x + _dropout(_mlp(x, p, config), config.dropout, generators), p, "ln2")


def forward(
    params: dict[str, torch.Tensor],
    tokens: torch.Tensor,
    config: ModelConfig,
    dropout_generators: Generators | None = None,
) -> torch.Tensor:
    """Logits ``(R, B, num_symbols)`` for the answer of each equation.

    ``tokens`` is ``(R, B, 4)`` (each run its own batch) or ``(B, 4)`` (one batch for all runs).
    Dropout is applied only when ``dropout_generators`` (one per run) are given (training).
    """
    table = params["token_embedding"]
    runs = table.shape[0]
    if tokens.dim() == 2:
        tokens = tokens.expand(runs, *tokens.shape)
    batch, d = tokens.shape[1], config.width
    # A one-hot product rather than indexing: its backward is a matmul, deterministic on every device.
    one_hot = F.one_hot(tokens.reshape(runs, -1), config.vocab_size).to(table.dtype)
    x = torch.bmm(one_hot, table).view(runs, batch, SEQUENCE_LENGTH, d)
    if config.architecture.positions == "learned":
        x = x + params["position_embedding"].unsqueeze(1)
    else:
        x = x + sinusoidal_positions(d, x.device, x.dtype)
    for i in range(config.layers):
        block = {key[len(f"h{i}.") :]: value for key, value in params.items() if key.startswith(f"h{i}.")}
        x = _block(x, block, config, i == config.layers - 1, dropout_generators)
    answer = x[:, :, -1]  # (R, B, d)
    if config.architecture.norm == "pre":
        answer = _layer_norm(answer, params, "ln_f")
    return torch.bmm(answer, params["head"])
