"""The building blocks behave as the paper describes."""

from __future__ import annotations

import math

import torch

from rd_models import MultiHeadAttention, PositionalEncoding, Transformer, sinusoids


def test_sinusoids_follow_the_paper_formula() -> None:
    table = sinusoids(50, 8)
    pos, i = 17, 2
    assert math.isclose(table[pos, 2 * i], math.sin(pos / 10000 ** (2 * i / 8)), abs_tol=1e-6)
    assert math.isclose(table[pos, 2 * i + 1], math.cos(pos / 10000 ** (2 * i / 8)), abs_tol=1e-6)


def test_positional_encoding_offset_and_growth() -> None:
    encoding = PositionalEncoding(8, max_len=4)
    x = torch.zeros(1, 3, 8)
    torch.testing.assert_close(encoding(x, offset=10), sinusoids(13, 8)[10:13][None])
    assert "pe" not in encoding.state_dict()  # derived, not saved


def test_attention_weights_are_causal_masked_and_normalised() -> None:
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2).eval()
    x = torch.randn(2, 5, 8)
    padding = torch.tensor([[False] * 5, [False, False, False, True, True]])
    out, weights = attention(x, key_padding_mask=padding, is_causal=True, need_weights=True)
    fused, _ = attention(x, key_padding_mask=padding, is_causal=True)
    torch.testing.assert_close(out, fused)  # the explicit path equals the SDPA kernel
    assert weights is not None and weights.shape == (2, 2, 5, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 2, 5))
    assert weights.triu(1).abs().max() == 0  # nothing attends to the future
    assert weights[1, :, :, 3:].abs().max() == 0  # nor to padding


def test_cross_attention_ignores_padded_memory() -> None:
    torch.manual_seed(0)
    attention = MultiHeadAttention(8, 2).eval()
    query, memory = torch.randn(1, 3, 8), torch.randn(1, 4, 8)
    padding = torch.tensor([[False, False, True, True]])
    out, _ = attention(query, memory, key_padding_mask=padding)
    short, _ = attention(query, memory[:, :2])
    torch.testing.assert_close(out, short)


def test_attention_runs_in_fp32_under_cpu_autocast(monkeypatch) -> None:
    """Under CPU bf16 autocast the projections run in bf16 but attention runs in fp32, with
    autocast off (the CPU flash kernel is about 2x slower in bf16): the kernel gets fp32 q/k/v
    and computes in fp32; the explicit path (need_weights) does the same; results stay at bf16
    accuracy and incremental decoding with a cache matches the full pass."""
    import rd_models.attention

    calls: list[tuple[set[torch.dtype], bool, torch.dtype]] = []
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def recording_sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, **kwargs):
        out = sdpa(q, k, v, **kwargs)
        calls.append(({q.dtype, k.dtype, v.dtype}, torch.is_autocast_enabled("cpu"), out.dtype))
        return out

    monkeypatch.setattr(rd_models.attention.F, "scaled_dot_product_attention", recording_sdpa)
    torch.manual_seed(0)
    attention = MultiHeadAttention(16, 2)
    x, memory = torch.randn(3, 5, 16), torch.randn(3, 7, 16)
    reference = [attention(x, is_causal=True)[0], attention(x, memory)[0]]
    calls.clear()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = [attention(x, is_causal=True)[0], attention(x, memory)[0]]
        explicit, weights = attention(x, memory, need_weights=True)
    assert calls == [({torch.float32}, False, torch.float32)] * 2
    assert weights is not None and weights.dtype == torch.float32
    torch.testing.assert_close(explicit, mixed[1], atol=1e-2, rtol=1e-2)
    for out, ref in zip(mixed, reference, strict=True):
        assert out.dtype == torch.bfloat16  # the output projection is autocast's as usual
        torch.testing.assert_close(out.float(), ref, atol=3e-2, rtol=3e-2)
    sum(out.float().sum() for out in mixed).backward()
    assert attention.in_proj_weight.grad is not None
    assert attention.in_proj_weight.grad.dtype == torch.float32

    attention.eval()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        full, _ = attention(x, is_causal=True)
        cache: dict[str, torch.Tensor] = {}
        steps = [attention(x[:, i : i + 1], is_causal=True, cache=cache)[0] for i in range(5)]
    assert cache["k"].dtype == torch.float32
    torch.testing.assert_close(torch.cat(steps, dim=1), full)


def test_forward_returns_one_attention_map_per_layer(make_config, make_batch) -> None:
    model = Transformer(make_config()).eval()
    src, tgt = make_batch(2, 6), make_batch(2, 4)
    logits, attention = model(src, tgt, return_attention=True)
    assert torch.allclose(logits, model(src, tgt), atol=1e-5)
    assert [w.shape for w in attention["encoder"]] == [(2, 2, 6, 6)] * 2
    assert [w.shape for w in attention["decoder"]] == [(2, 2, 4, 4)] * 2
    assert [w.shape for w in attention["cross"]] == [(2, 2, 4, 6)] * 2


def test_embeddings_are_scaled_and_three_way_tied(make_config) -> None:
    model = Transformer(make_config())
    assert model.src_embed.weight is model.tgt_embed.weight
    assert model.output_proj is None  # the output projection reuses the embedding matrix
    untied = Transformer(make_config(share_embeddings=False, tie_output_projection=False))
    assert untied.output_proj is not None
    assert untied.src_embed.weight is not untied.tgt_embed.weight
    ids = torch.tensor([[5]])
    expected = model.src_embed.weight[5] * math.sqrt(16) + sinusoids(1, 16)[0]
    torch.testing.assert_close(model._embed(model.src_embed, ids)[0, 0], expected)


def test_residual_stream_is_bf16_under_cpu_bf16_autocast(make_config, make_batch) -> None:
    """Under CPU bf16 autocast the residual stream (embedding output, every LayerNorm's input)
    is bf16, so no layer outside attention casts activations; without autocast or under fp16
    autocast it stays fp32. What `encode` and `features_only` return keeps the parameters' dtype
    (so memory encoded under autocast decodes outside it), logits keep bf16 accuracy, and cached
    incremental decoding matches the full pass."""
    torch.manual_seed(0)
    seen: list[torch.dtype] = []
    for norm_first in (False, True):
        model = Transformer(make_config(norm_first=norm_first))
        seen.clear()
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.register_forward_pre_hook(lambda _, args: seen.append(args[0].dtype))
        src, tgt = make_batch(3, 6), make_batch(3, 5)
        reference = model(src, tgt)
        assert set(seen) == {torch.float32}
        seen.clear()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(src, tgt)
            memory, src_pad = model.encode(src)
            features = model(src, tgt, features_only=True)
        assert seen and set(seen) == {torch.bfloat16}
        assert memory.dtype == features.dtype == torch.float32
        torch.testing.assert_close(logits.float(), reference, atol=6e-2, rtol=6e-2)
        logits.float().sum().backward()
        assert all(p.grad is not None and p.grad.isfinite().all() for p in model.parameters())
        # Memory encoded under autocast decodes without it.
        outside, _ = model.decode(tgt, memory, src_pad)
        torch.testing.assert_close(outside, reference, atol=6e-2, rtol=6e-2)
        seen.clear()
        with torch.autocast("cpu", dtype=torch.float16):
            model(src, tgt)
        assert set(seen) == {torch.float32}

        model.eval()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            full = model(src, tgt)
            cache = None
            steps = []
            for i in range(tgt.shape[1]):
                step, cache = model.decode(tgt[:, i : i + 1], memory, src_pad, cache)
                steps.append(step)
        torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=3e-2, rtol=3e-2)


def test_separate_embeddings_get_the_same_initial_weights_for_the_same_seed(make_config) -> None:
    # They used to be initialised in the order of a set of modules (by object id): which one drew
    # the first random numbers changed from run to run.
    weights = set()
    for _ in range(12):
        torch.manual_seed(0)
        model = Transformer(make_config(share_embeddings=False))
        weights.add((model.src_embed.weight.sum().item(), model.tgt_embed.weight.sum().item()))
    assert len(weights) == 1
