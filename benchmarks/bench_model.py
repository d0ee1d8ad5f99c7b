"""Model only: rd_models.Transformer vs torch.nn.Transformer, forward + backward + Adam step.

Both are whole translation models from `packages/rd-models/benchmarks/bench_transformer.py`
(same embedding scaled by sqrt(d_model), sinusoids, tied output projection, cross-entropy), start
from the same weights (ours, copied) and train on the same fixed batch with Adam. Ours gets
torch.nn's dropout pattern (residual, attention and ReLU dropout, all `dropout`), so both do the
same work.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from bench_common import alternate, load_rd_models_benchmark, ratio
from torch import Tensor, nn

from rd_models import Transformer, TransformerConfig


@dataclass(frozen=True)
class ModelShape:
    name: str
    vocab: int
    d_model: int
    heads: int
    layers: int
    d_ff: int
    dropout: float
    batch: int
    length: int
    steps_per_round: int


SHAPES = {
    # The embedded default of paper-transformer (config.yaml) on a 1024-token batch.
    "small": ModelShape("small", 400, 128, 4, 2, 512, 0.0, 64, 16, 8),
    # The paper's base model with a 37k shared vocabulary on a 2048-token batch.
    "base": ModelShape("base", 37000, 512, 8, 6, 2048, 0.1, 64, 32, 1),
}
QUICK_SHAPES = {"tiny": ModelShape("tiny", 64, 32, 2, 1, 64, 0.1, 8, 8, 2)}


PRECISIONS = ("fp32", "bf16")


def _autocast(precision: str) -> contextlib.AbstractContextManager[Any]:
    """bf16: CPU autocast, as the Trainer's `precision: bf16` on a CPU."""
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _round(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    src: Tensor,
    tgt: Tensor,
    steps: int,
    precision: str = "fp32",
):
    tokens = int(tgt[:, 1:].ne(0).sum()) * steps
    start = time.perf_counter()
    for _ in range(steps):
        with _autocast(precision):
            logits = model(src, tgt[:, :-1])
            loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=0)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return {"seconds": time.perf_counter() - start, "tokens": float(tokens)}


def bench_model(shape: ModelShape, reps: int, precision: str = "fp32") -> dict[str, Any]:
    """Target tokens/s of both models on one shape; the ratio is rd_models / torch.nn.

    `precision` "bf16" runs both models' forward and loss under CPU bf16 autocast."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    bt = load_rd_models_benchmark()
    config = TransformerConfig(
        src_vocab_size=shape.vocab,
        d_model=shape.d_model,
        n_heads=shape.heads,
        num_encoder_layers=shape.layers,
        num_decoder_layers=shape.layers,
        d_ff=shape.d_ff,
        dropout=shape.dropout,
        attention_dropout=shape.dropout,
        activation_dropout=shape.dropout,
    )
    torch.manual_seed(0)
    ours, theirs = Transformer(config).train(), bt.TorchTransformerMT(config).train()
    bt.copy_weights(ours, theirs)
    gen = torch.Generator().manual_seed(0)
    src = bt.make_batch(shape.batch, shape.length, shape.vocab, gen)
    tgt = bt.make_batch(shape.batch, shape.length + 1, shape.vocab, gen)
    contenders = {}
    for name, model in (("rd_models", ours), ("torch.nn", theirs)):
        opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
        contenders[name] = lambda m=model, o=opt: _round(
            m, o, src, tgt, shape.steps_per_round, precision
        )
    results = alternate(contenders, reps)
    return {
        "shape": {k: v for k, v in vars(shape).items() if k != "name"},
        "precision": precision,
        "parameters": sum(p.numel() for p in ours.parameters()),
        "contenders": results,
        "ratio": ratio(results, "rd_models", "torch.nn"),
        "ratio_best": ratio(results, "rd_models", "torch.nn", "best_tokens_per_s"),
    }
