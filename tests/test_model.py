"""The reference model against the published code's architecture, its variants, and their ids."""

import math
import re

import pytest
import torch
from torch import nn

import grokbench.model
from grokbench import error
from grokbench.architectures import GPT2_PRELN, MODELS, REFERENCE, get_model
from grokbench.model import (
    SEQUENCE_LENGTH,
    ModelConfig,
    forward,
    init_parameters,
    non_embedding_parameter_count,
    parameter_shapes,
    sinusoidal_positions,
)

CONFIG = ModelConfig(vocab_size=99, num_symbols=97)


class PublishedBlock(nn.Module):
    """openai/grok's DecoderBlock, written out: per-head Q, K, V without biases, post-LN, ReLU MLP."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.wq = nn.ModuleList(nn.Linear(d, d // heads, bias=False) for _ in range(heads))
        self.wk = nn.ModuleList(nn.Linear(d, d // heads, bias=False) for _ in range(heads))
        self.wv = nn.ModuleList(nn.Linear(d, d // heads, bias=False) for _ in range(heads))
        self.wo = nn.Linear(d, d, bias=False)
        self.attn_norm = nn.LayerNorm(d)
        self.ffn = nn.Sequential(nn.Linear(d, 4 * d, bias=False), nn.ReLU(), nn.Linear(4 * d, d, bias=False))
        self.ffn_norm = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mask = torch.ones(x.shape[1], x.shape[1]).tril()
        outputs = []
        for q, k, v in zip(self.wq, self.wk, self.wv, strict=True):
            scores = q(x) @ k(x).transpose(-2, -1) / math.sqrt(q.out_features)
            outputs.append(scores.masked_fill(mask == 0, float("-inf")).softmax(-1) @ v(x))
        a1 = self.attn_norm(x + self.wo(torch.cat(outputs, dim=-1)))
        return self.ffn_norm(a1 + self.ffn(a1))


def published_position_encoding(context: int, d: int) -> torch.Tensor:
    """openai/grok's ``Transformer._position_encoding``, element by element."""
    return torch.tensor(
        [
            [
                math.sin(pos / 10000 ** (i / d)) if i % 2 == 0 else math.cos(pos / 10000 ** ((i - 1) / d))
                for i in range(d)
            ]
            for pos in range(context)
        ]
    )


def load_published(params: dict[str, torch.Tensor], config: ModelConfig) -> tuple[nn.Embedding, list, nn.Linear]:
    """The published modules holding run 0 of grokbench's stacked parameters."""
    d, heads = config.width, config.heads
    key = d // heads
    embedding = nn.Embedding(config.vocab_size, d)
    embedding.weight.data = params["token_embedding"][0]
    blocks = []
    for i in range(config.layers):
        block = PublishedBlock(d, heads)
        qkv = params[f"h{i}.attn.qkv.weight"][0]  # (d, 3d): q, k, v, each heads x key columns
        for h in range(heads):
            for which, modules in enumerate((block.wq, block.wk, block.wv)):
                modules[h].weight.data = qkv[:, which * d + h * key : which * d + (h + 1) * key].T
        block.wo.weight.data = params[f"h{i}.attn.proj.weight"][0].T
        block.ffn[0].weight.data = params[f"h{i}.mlp.fc.weight"][0].T
        block.ffn[2].weight.data = params[f"h{i}.mlp.proj.weight"][0].T
        for ours, theirs in (("ln1", block.attn_norm), ("ln2", block.ffn_norm)):
            theirs.weight.data, theirs.bias.data = params[f"h{i}.{ours}.weight"][0], params[f"h{i}.{ours}.bias"][0]
        blocks.append(block)
    head = nn.Linear(d, config.num_symbols, bias=False)
    head.weight.data = params["head"][0].T
    return embedding, blocks, head


def test_reference_logits_equal_the_published_architecture():
    params = {k: v.unsqueeze(0) for k, v in init_parameters(CONFIG, seed=3).items()}
    # Move off the initialization so that every parameter (layer-norm gains included) matters.
    generator = torch.Generator().manual_seed(0)
    params = {k: v + 0.1 * torch.randn(v.shape, generator=generator) for k, v in params.items()}
    tokens = torch.randint(0, 97, (32, SEQUENCE_LENGTH), generator=generator)
    tokens[:, 1], tokens[:, 3] = 97, 98
    embedding, blocks, head = load_published(params, CONFIG)
    x = embedding(tokens) + published_position_encoding(SEQUENCE_LENGTH, CONFIG.width).float()
    for block in blocks:
        x = block(x)
    expected = head(x[:, -1])
    torch.testing.assert_close(forward(params, tokens, CONFIG)[0], expected, rtol=1e-4, atol=1e-4)


def test_sinusoidal_positions_are_the_published_ones():
    torch.testing.assert_close(sinusoidal_positions(128), published_position_encoding(SEQUENCE_LENGTH, 128).float())


def test_reference_initialization_is_torch_default():
    params = init_parameters(CONFIG, seed=0)
    assert "position_embedding" not in params and not any(
        name.endswith(".bias") and ".ln" not in name for name in params
    )
    assert abs(params["token_embedding"].std().item() - 1) < 0.02  # nn.Embedding: N(0, 1)
    for name, (fan_in, _) in [
        (n, s) for n, s in parameter_shapes(CONFIG).items() if len(s) == 2 and "embedding" not in n
    ]:
        bound = 1 / math.sqrt(fan_in)  # nn.Linear: U(±1/√fan_in)
        assert params[name].abs().max() <= bound and params[name].abs().max() > 0.95 * bound, name
    total = math.sqrt(sum(p.pow(2).sum().item() for p in params.values()))
    old = math.sqrt(sum(p.pow(2).sum().item() for p in init_parameters(ModelConfig(99, 97, GPT2_PRELN), 0).values()))
    assert 110 < total < 130 and 25 < old < 32


@pytest.mark.parametrize(("model", "count"), [(REFERENCE, 394_240), (GPT2_PRELN, 396_800)])
def test_about_4e5_non_embedding_parameters(model, count):
    assert non_embedding_parameter_count(ModelConfig(vocab_size=99, num_symbols=97, architecture=model)) == count


@pytest.mark.parametrize("model", list(MODELS))
def test_every_variant_runs_stacked_with_run_independent_logits(model):
    config = ModelConfig(vocab_size=99, num_symbols=97, architecture=MODELS[model])
    runs = [init_parameters(config, seed) for seed in (0, 1)]
    stacked = {k: torch.stack([r[k] for r in runs]) for k in runs[0]}
    tokens = torch.randint(0, 97, (2, 8, SEQUENCE_LENGTH))
    logits = forward(stacked, tokens, config)
    assert logits.shape == (2, 8, 97)
    alone = forward({k: v[1:] for k, v in stacked.items()}, tokens[1:], config)
    torch.testing.assert_close(logits[1:], alone)


@pytest.mark.parametrize("model", list(MODELS))
def test_attention_in_pieces_computes_what_one_call_computes(monkeypatch, model):
    # A batch above ATTENTION_BATCH sequences (CUDA's grid limit) goes through attention in pieces.
    config = ModelConfig(vocab_size=99, num_symbols=97, architecture=MODELS[model])
    params = {k: v.unsqueeze(0) for k, v in init_parameters(config, 0).items()}
    tokens = torch.randint(0, 97, (1, 10, SEQUENCE_LENGTH), generator=torch.Generator().manual_seed(0))
    whole = forward(params, tokens, config)
    monkeypatch.setattr(grokbench.model, "ATTENTION_BATCH", 3)
    assert torch.equal(forward(params, tokens, config), whole)


@pytest.mark.parametrize(
    "device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU"))]
)
@pytest.mark.parametrize("causal", [True, False])
def test_broadcast_attention_computes_the_fused_one(device, causal):
    generator = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(64, 4, SEQUENCE_LENGTH, 32, generator=generator).to(device) for _ in range(3))
    if not causal:  # as in the last block: the "=" position's query only
        q = q[:, :, -1:]
    fused = grokbench.model._attend_fused(q, k, v, causal)
    torch.testing.assert_close(grokbench.model._attend_broadcast(q, k, v, causal), fused, rtol=1e-5, atol=1e-6)
    halves = [t.bfloat16() for t in (q, k, v)]
    assert grokbench.model._attend_broadcast(*halves, causal).dtype == torch.bfloat16


@pytest.mark.parametrize("model", list(MODELS))
def test_the_model_with_broadcast_attention_is_the_same_model(monkeypatch, model):
    # The attention a GPU computes (BROADCAST_ATTENTION_DEVICES), here on the CPU: the same logits to rounding,
    # and each run's logits its own.
    config = ModelConfig(vocab_size=99, num_symbols=97, architecture=MODELS[model])
    runs = [init_parameters(config, seed) for seed in (0, 1)]
    stacked = {k: torch.stack([r[k] for r in runs]) for k in runs[0]}
    tokens = torch.randint(0, 97, (2, 16, SEQUENCE_LENGTH), generator=torch.Generator().manual_seed(0))
    fused = forward(stacked, tokens, config)
    monkeypatch.setattr(grokbench.model, "BROADCAST_ATTENTION_DEVICES", {"cpu"})
    broadcast = forward(stacked, tokens, config)
    torch.testing.assert_close(broadcast, fused, rtol=1e-4, atol=1e-5)
    assert torch.equal(forward({k: v[1:] for k, v in stacked.items()}, tokens[1:], config), broadcast[1:])


def test_each_ablation_variant_is_one_change_from_the_reference():
    fields = ("norm", "positions", "activation", "bias", "init")
    for model in MODELS.values():
        if model.name.startswith("grok-"):
            assert sum(getattr(model, f) != getattr(REFERENCE, f) for f in fields) == 1, model.id
    assert all(getattr(GPT2_PRELN, f) != getattr(REFERENCE, f) for f in fields)


@pytest.mark.parametrize(("model", "masks_per_block"), [(REFERENCE, 1), (GPT2_PRELN, 2)])
def test_dropout_sites(monkeypatch, model, masks_per_block):
    # The published code drops out the MLP branch only; grokbench 0.1's model both residual branches.
    config = ModelConfig(vocab_size=99, num_symbols=97, architecture=model, dropout=0.5)
    params = {k: v.unsqueeze(0) for k, v in init_parameters(config, 0).items()}
    rates = []
    dropout = grokbench.model._dropout
    monkeypatch.setattr(grokbench.model, "_dropout", lambda x, p, g: rates.append(p) or dropout(x, p, g))
    forward(params, torch.zeros((1, 4, SEQUENCE_LENGTH), dtype=torch.int64), config, [torch.Generator().manual_seed(0)])
    assert sum(rate > 0 for rate in rates) == masks_per_block * config.layers


def test_model_ids_resolve_and_unknown_ids_suggest_the_closest():
    assert get_model("grok-v1") is REFERENCE and get_model("gpt2-preln") is GPT2_PRELN
    message = (
        "Unknown model 'gpt2-pre'. Did you mean gpt2-preln-v1 or grok-preln-v1 or grok-gpt2init-v1? Models: "
        + ", ".join(MODELS)
        + "."
    )
    with pytest.raises(error.Error, match=re.escape(message)):
        get_model("gpt2-pre")
