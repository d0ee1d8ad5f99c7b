"""Our post-LN Transformer computes exactly what torch.nn.Transformer computes with the same weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rd_models import Transformer

PAD = 0


def reference_with_our_weights(model: Transformer) -> nn.Transformer:
    c = model.config
    ref = nn.Transformer(
        d_model=c.d_model,
        nhead=c.n_heads,
        num_encoder_layers=c.num_encoder_layers,
        num_decoder_layers=c.num_decoder_layers,
        dim_feedforward=c.d_ff,
        dropout=0.0,
        batch_first=True,
        norm_first=False,
    )
    # nn.Transformer always ends its stacks with a LayerNorm; a post-LN layer already ends in one.
    ref.encoder.norm = None
    ref.decoder.norm = None

    def copy_attention(dst: nn.MultiheadAttention, src: nn.Module) -> None:
        dst.in_proj_weight.copy_(src.in_proj_weight)
        dst.in_proj_bias.copy_(src.in_proj_bias)
        dst.out_proj.load_state_dict(src.out_proj.state_dict())

    with torch.no_grad():
        for ours, theirs in zip(model.encoder_layers, ref.encoder.layers, strict=True):
            copy_attention(theirs.self_attn, ours.self_attn)
            theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
            theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
            theirs.norm1.load_state_dict(ours.norm1.state_dict())
            theirs.norm2.load_state_dict(ours.norm2.state_dict())
        for ours, theirs in zip(model.decoder_layers, ref.decoder.layers, strict=True):
            copy_attention(theirs.self_attn, ours.self_attn)
            copy_attention(theirs.multihead_attn, ours.cross_attn)
            theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
            theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
            for i in (1, 2, 3):
                getattr(theirs, f"norm{i}").load_state_dict(getattr(ours, f"norm{i}").state_dict())
    return ref.eval()


@pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors")
@pytest.mark.parametrize("grad", [False, True], ids=["no_grad", "with_grad"])
def test_encoder_and_decoder_match_torch_transformer(make_config, make_batch, grad: bool) -> None:
    # no_grad lets torch take its fused "fast path"; with grad it runs the regular modules.
    torch.manual_seed(0)
    model = Transformer(make_config()).eval()
    ref = reference_with_our_weights(model)
    src = make_batch(5, 9)
    tgt = make_batch(5, 7)
    src_pad, tgt_pad = src.eq(PAD), tgt.eq(PAD)

    with torch.set_grad_enabled(grad):
        memory, mask = model.encode(src)
        logits = model(src, tgt)
        ref_memory = ref.encoder(model._embed(model.src_embed, src), src_key_padding_mask=src_pad)
        causal = torch.ones(tgt.shape[1], tgt.shape[1], dtype=torch.bool).triu(1)
        ref_hidden = ref.decoder(
            model._embed(model.tgt_embed, tgt),
            ref_memory,
            tgt_mask=causal,
            tgt_is_causal=True,
            tgt_key_padding_mask=tgt_pad,
            memory_key_padding_mask=src_pad,
        )
        ref_logits = ref_hidden @ model.tgt_embed.weight.T

    assert torch.equal(mask, src_pad)
    # Outputs at padded positions are never used (torch's fast path even zeroes them).
    real_src, real_tgt = ~src_pad, ~tgt_pad
    torch.testing.assert_close(memory[real_src], ref_memory[real_src], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(logits[real_tgt], ref_logits[real_tgt], atol=1e-5, rtol=1e-5)


def test_padding_does_not_change_real_positions(make_config, make_batch) -> None:
    torch.manual_seed(0)
    model = Transformer(make_config()).eval()
    src = make_batch(1, 6)
    tgt = make_batch(1, 5)
    padded_src = torch.cat([src, torch.full((1, 4), PAD)], 1)
    padded_tgt = torch.cat([tgt, torch.full((1, 3), PAD)], 1)
    with torch.no_grad():
        torch.testing.assert_close(model(padded_src, padded_tgt)[:, :5], model(src, tgt))


@pytest.mark.parametrize(
    "tying",
    [
        {"share_embeddings": True},
        {"share_embeddings": False, "tie_output_projection": True, "tgt_vocab_size": 19},
        {"share_embeddings": False, "tie_output_projection": False, "tgt_vocab_size": 19},
    ],
)
def test_features_only_projected_by_output_weight_are_the_logits(
    make_config, make_batch, tying: dict
) -> None:
    torch.manual_seed(0)
    model = Transformer(make_config(**tying)).eval()
    src, tgt = make_batch(3, 6), make_batch(3, 5, vocab=19)
    logits = model(src, tgt)
    features = model(src, tgt, features_only=True)
    assert features.shape == (3, 5, model.config.d_model)
    assert model.output_weight.shape == (logits.shape[-1], model.config.d_model)
    if tying.get("tie_output_projection") is False:
        assert model.output_weight is model.output_proj.weight
    else:
        assert model.output_weight is model.tgt_embed.weight
    torch.testing.assert_close(F.linear(features, model.output_weight), logits)
