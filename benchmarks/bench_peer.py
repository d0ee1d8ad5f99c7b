"""The peer: Hugging Face transformers' MarianMTModel shaped like rd_models.Transformer.

Marian is the same architecture (post-LN, sinusoidal positions, embeddings scaled by
sqrt(d_model), one shared embedding tied to the output projection, ReLU here), so it can start
from our weights and train on the same batches with the same loss inside the same Trainer: the
only difference left is the model code.
"""

from __future__ import annotations

import importlib.util

import torch
from torch import Tensor, nn

from rd_models import Transformer


def transformers_available() -> bool:
    """True when the `bench` dependency group (transformers) is installed."""
    return importlib.util.find_spec("transformers") is not None


class MarianTranslator(nn.Module):
    """`MarianMTModel` behind rd_models' `forward(src, tgt_in) -> logits` interface."""

    def __init__(self, ours: Transformer, bos_id: int, eos_id: int) -> None:
        super().__init__()
        from transformers import MarianConfig, MarianMTModel

        c = ours.config
        self.pad_id = c.pad_id
        config = MarianConfig(
            vocab_size=c.src_vocab_size,
            decoder_vocab_size=c.src_vocab_size,
            d_model=c.d_model,
            encoder_layers=c.num_encoder_layers,
            decoder_layers=c.num_decoder_layers,
            encoder_attention_heads=c.n_heads,
            decoder_attention_heads=c.n_heads,
            encoder_ffn_dim=c.d_ff,
            decoder_ffn_dim=c.d_ff,
            activation_function="relu",
            dropout=c.dropout,
            attention_dropout=c.attention_dropout,
            activation_dropout=c.activation_dropout,
            max_position_embeddings=c.max_len,
            scale_embedding=True,
            share_encoder_decoder_embeddings=True,
            tie_word_embeddings=True,
            pad_token_id=c.pad_id,
            bos_token_id=bos_id,
            eos_token_id=eos_id,
            decoder_start_token_id=bos_id,
            forced_eos_token_id=None,
            use_cache=False,
        )
        self.marian = MarianMTModel(config)
        copy_weights(ours, self.marian)

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        return self.marian(
            input_ids=src,
            attention_mask=src.ne(self.pad_id),
            decoder_input_ids=tgt_in,
            use_cache=False,
        ).logits


@torch.no_grad()
def copy_weights(ours: Transformer, marian: nn.Module) -> None:
    """Give Marian our weights (same numbers, and no init-dependent speed differences)."""
    core = marian.model
    core.shared.weight.copy_(ours.src_embed.weight)

    def attention(dst: nn.Module, src: nn.Module) -> None:
        for proj, w, b in zip(
            (dst.q_proj, dst.k_proj, dst.v_proj),
            src.in_proj_weight.chunk(3),
            src.in_proj_bias.chunk(3),
            strict=True,
        ):
            proj.weight.copy_(w)
            proj.bias.copy_(b)
        dst.out_proj.load_state_dict(src.out_proj.state_dict())

    for mine, theirs in zip(ours.encoder_layers, core.encoder.layers, strict=True):
        attention(theirs.self_attn, mine.self_attn)
        theirs.self_attn_layer_norm.load_state_dict(mine.norm1.state_dict())
        theirs.fc1.load_state_dict(mine.ff.linear1.state_dict())
        theirs.fc2.load_state_dict(mine.ff.linear2.state_dict())
        theirs.final_layer_norm.load_state_dict(mine.norm2.state_dict())
    for mine, theirs in zip(ours.decoder_layers, core.decoder.layers, strict=True):
        attention(theirs.self_attn, mine.self_attn)
        theirs.self_attn_layer_norm.load_state_dict(mine.norm1.state_dict())
        attention(theirs.encoder_attn, mine.cross_attn)
        theirs.encoder_attn_layer_norm.load_state_dict(mine.norm2.state_dict())
        theirs.fc1.load_state_dict(mine.ff.linear1.state_dict())
        theirs.fc2.load_state_dict(mine.ff.linear2.state_dict())
        theirs.final_layer_norm.load_state_dict(mine.norm3.state_dict())
