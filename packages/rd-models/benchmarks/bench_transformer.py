"""Forward+backward time of rd_models.Transformer vs torch.nn.Transformer, same shapes and work.

Both contenders are full translation models: the same embedding (scaled by sqrt(d_model)),
sinusoidal positions, 6+6 layers, tied output projection and cross-entropy loss; only the
encoder-decoder stack differs (ours vs ``torch.nn.Transformer``, post-LN, batch_first). To do the
same work, ours gets torch's dropout pattern (attention and ReLU dropout, 0.1 each);
``--paper-dropout`` times ours as the paper trains it instead (residual dropout only, which lets
attention use the fused kernel), against torch.nn with its pattern. Both get
the source padding mask and a causal target mask; neither needs a target padding mask (targets
are right-padded, so real tokens never see padding, and padded outputs are ignored by the loss).
Both start from the same weights (ours, copied). The contenders alternate, each repetition
timing both; medians and the ratio are printed.

Run: uv run python packages/rd-models/benchmarks/bench_transformer.py [--help]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rd_models import Transformer, TransformerConfig, sinusoids


class TorchTransformerMT(nn.Module):
    """``torch.nn.Transformer`` with the same embedding, positions and output layer as ours."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.src_vocab_size, config.d_model)
        self.register_buffer("pe", sinusoids(config.max_len, config.d_model), persistent=False)
        self.transformer = nn.Transformer(
            d_model=config.d_model,
            nhead=config.n_heads,
            num_encoder_layers=config.num_encoder_layers,
            num_decoder_layers=config.num_decoder_layers,
            dim_feedforward=config.d_ff,
            dropout=config.dropout,
            batch_first=True,
        )
        # Post-LN layers already end in a LayerNorm; the paper has no extra final norm.
        self.transformer.encoder.norm = None
        self.transformer.decoder.norm = None

    def _embed(self, ids: Tensor) -> Tensor:
        x = self.embed(ids) * math.sqrt(self.config.d_model) + self.pe[: ids.shape[1]]
        return F.dropout(x, self.config.dropout, self.training)

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        src_pad = src.eq(self.config.pad_id)
        t = tgt_in.shape[1]
        causal = torch.ones(t, t, dtype=torch.bool, device=src.device).triu(1)
        hidden = self.transformer(
            self._embed(src),
            self._embed(tgt_in),
            tgt_mask=causal,
            tgt_is_causal=True,
            src_key_padding_mask=src_pad,
            memory_key_padding_mask=src_pad,
        )
        return F.linear(hidden, self.embed.weight)


@torch.no_grad()
def copy_weights(ours: Transformer, theirs: TorchTransformerMT) -> None:
    """Give the torch model our weights, so both compute the same numbers (initialisation
    matters for speed: saturated softmaxes make denormal gradients, which are slow on CPUs)."""
    theirs.embed.weight.copy_(ours.src_embed.weight)

    def attention(dst: nn.MultiheadAttention, src: nn.Module) -> None:
        dst.in_proj_weight.copy_(src.in_proj_weight)
        dst.in_proj_bias.copy_(src.in_proj_bias)
        dst.out_proj.load_state_dict(src.out_proj.state_dict())

    pairs = [
        *zip(ours.encoder_layers, theirs.transformer.encoder.layers, strict=True),
        *zip(ours.decoder_layers, theirs.transformer.decoder.layers, strict=True),
    ]
    for mine, torchs in pairs:
        attention(torchs.self_attn, mine.self_attn)
        if hasattr(mine, "cross_attn"):
            attention(torchs.multihead_attn, mine.cross_attn)
            torchs.norm3.load_state_dict(mine.norm3.state_dict())
        torchs.linear1.load_state_dict(mine.ff.linear1.state_dict())
        torchs.linear2.load_state_dict(mine.ff.linear2.state_dict())
        torchs.norm1.load_state_dict(mine.norm1.state_dict())
        torchs.norm2.load_state_dict(mine.norm2.state_dict())


def make_batch(batch: int, length: int, vocab: int, gen: torch.Generator) -> Tensor:
    """Right-padded random ids; lengths uniform in [length/2, length], the first row full."""
    lengths = torch.randint(length // 2, length + 1, (batch,), generator=gen)
    lengths[0] = length
    ids = torch.randint(3, vocab, (batch, length), generator=gen)
    return ids.masked_fill(torch.arange(length)[None] >= lengths[:, None], 0)


def step(model: nn.Module, src: Tensor, tgt: Tensor) -> float:
    start = time.perf_counter()
    logits = model(src, tgt[:, :-1])
    loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=0)
    loss.backward()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--src-len", type=int, default=32, help="source length (x batch = tokens)")
    parser.add_argument("--tgt-len", type=int, default=32, help="target length")
    parser.add_argument("--vocab", type=int, default=37000, help="shared vocabulary size")
    parser.add_argument("--layers", type=int, default=6, help="encoder and decoder layers each")
    parser.add_argument("--d-model", type=int, default=512)
    parser.add_argument("--d-ff", type=int, default=2048)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--reps", type=int, default=7, help="timed repetitions per contender")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per contender")
    parser.add_argument(
        "--own-init", action="store_true", help="keep torch's own initialisation (not our weights)"
    )
    parser.add_argument(
        "--paper-dropout",
        action="store_true",
        help="ours without attention/ReLU dropout (the paper; torch.nn cannot turn them off)",
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    return parser.parse_args()


def build_contenders(args: argparse.Namespace) -> dict[str, nn.Module]:
    """Ours and torch.nn's, same shape, same dropout pattern and (unless --own-init) weights."""
    config = TransformerConfig.base(
        args.vocab,
        d_model=args.d_model,
        d_ff=args.d_ff,
        n_heads=args.heads,
        num_encoder_layers=args.layers,
        num_decoder_layers=args.layers,
        # torch.nn.Transformer's dropout pattern (same work), unless --paper-dropout.
        attention_dropout=0.0 if args.paper_dropout else 0.1,
        activation_dropout=0.0 if args.paper_dropout else 0.1,
    )
    torch.manual_seed(0)
    ours, theirs = Transformer(config), TorchTransformerMT(config)
    if not args.own_init:
        copy_weights(ours, theirs)
    return {"rd_models": ours.train(), "torch.nn": theirs.train()}


def time_alternating(
    contenders: dict[str, nn.Module], src: Tensor, tgt: Tensor, reps: int
) -> dict[str, list[float]]:
    """Seconds per step of each contender, the order flipping every repetition."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for rep in range(reps):
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        for name in order:
            times[name].append(step(contenders[name], src, tgt))
        print(f"  rep {rep + 1}: " + ", ".join(f"{n} {times[n][-1]:.3f}s" for n in contenders))
    return times


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    contenders = build_contenders(args)
    gen = torch.Generator().manual_seed(0)
    src = make_batch(args.batch_size, args.src_len, args.vocab, gen)
    tgt = make_batch(args.batch_size, args.tgt_len + 1, args.vocab, gen)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, fp32 CPU; "
        f"batch {args.batch_size} x (src {args.src_len}, tgt {args.tgt_len}) = "
        f"{src.numel()} + {args.batch_size * args.tgt_len} tokens "
        f"({int(src.ne(0).sum())} + {int(tgt[:, 1:].ne(0).sum())} real); "
        f"d_model {args.d_model}, d_ff {args.d_ff}, {args.heads} heads, {args.layers}+{args.layers} "
        f"layers, vocab {args.vocab}; ours with "
        + ("residual dropout only (paper)" if args.paper_dropout else "torch's dropout pattern")
    )
    for name, model in contenders.items():
        params = sum(p.numel() for p in model.parameters())
        print(f"  {name:10s} {params:,} parameters")
        for _ in range(args.warmup):
            step(model, src, tgt)

    times = time_alternating(contenders, src, tgt, args.reps)
    t_ours, t_theirs = (statistics.median(times[n]) for n in ("rd_models", "torch.nn"))
    print(f"median forward+backward: rd_models {t_ours:.3f}s, torch.nn {t_theirs:.3f}s")
    print(f"ratio torch.nn / rd_models = {t_theirs / t_ours:.3f} (> 1: ours is faster)")


if __name__ == "__main__":
    main()
