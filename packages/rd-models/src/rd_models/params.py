"""Parameter counting, measured and in closed form."""

from __future__ import annotations

from torch import nn

from rd_models.config import TransformerConfig


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of distinct parameters (tied weights counted once)."""
    params = (p for p in model.parameters() if p.requires_grad or not trainable_only)
    return sum(p.numel() for p in params)  # .parameters() already yields a tied tensor once


def transformer_parameter_count(config: TransformerConfig) -> int:
    """Closed-form parameter count of ``Transformer(config)``, from the paper's shapes.

    Per attention layer ``4 (d^2 + d)`` (Q, K, V, output projections with biases), per
    feed-forward ``2 d d_ff + d_ff + d``, per LayerNorm ``2 d``; embeddings ``V d`` each unless
    tied, no output bias. Base with a shared 37,000 vocabulary: 63,082,496 (the paper says 65M).
    """
    d, f = config.d_model, config.d_ff
    src_v, tgt_v = config.vocab_sizes()
    attention = 4 * (d * d + d)
    feed_forward = 2 * d * f + f + d
    norm = 2 * d
    encoder = config.num_encoder_layers * (attention + feed_forward + 2 * norm)
    decoder = config.num_decoder_layers * (2 * attention + feed_forward + 3 * norm)
    final_norms = 2 * norm if config.norm_first else 0
    if config.share_embeddings:
        embeddings = src_v * d
    elif config.tie_output_projection:
        embeddings = (src_v + tgt_v) * d
    else:
        embeddings = (src_v + 2 * tgt_v) * d
    positions = config.max_len * d if config.learned_positions else 0
    return embeddings + positions + encoder + decoder + final_norms
