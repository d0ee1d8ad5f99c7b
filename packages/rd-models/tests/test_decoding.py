"""Incremental decoding, greedy search and beam search."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from rd_models import EncoderDecoder, Transformer, beam_search, greedy_search

BOS, EOS = 1, 2


@pytest.mark.parametrize("norm_first", [False, True], ids=["post_ln", "pre_ln"])
def test_cached_incremental_decoding_equals_full_decoding(
    make_config, make_batch, norm_first: bool
) -> None:
    torch.manual_seed(0)
    model = Transformer(make_config(norm_first=norm_first)).eval()
    src = make_batch(3, 8)
    tgt = make_batch(3, 6, min_len=6)
    with torch.no_grad():
        full = model(src, tgt)
        memory, mask = model.encode(src)
        logits, cache = model.decode(tgt[:, :2], memory, mask)  # a prefix of two, then one by one
        steps = [logits]
        for t in range(2, tgt.shape[1]):
            logits, cache = model.decode(tgt[:, t : t + 1], memory, mask, cache)
            steps.append(logits)
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=1e-5)
    assert cache["length"] == tgt.shape[1]
    layer = cache["layers"][0]
    assert layer["self"]["k"].shape[2] == tgt.shape[1]  # self-attention cache grew
    assert layer["cross"]["k"].shape[2] == src.shape[1]  # cross-attention: computed once


def test_cross_attention_keys_are_computed_once(make_config, make_batch) -> None:
    torch.manual_seed(0)
    model = Transformer(make_config()).eval()
    src = make_batch(2, 5)
    with torch.no_grad():
        memory, mask = model.encode(src)
        _, cache = model.decode(torch.full((2, 1), BOS), memory, mask)
        cross_k = cache["layers"][0]["cross"]["k"]
        # Later steps never read memory again: garbage memory gives the same logits.
        step_ok, _ = model.decode(torch.full((2, 1), 5), memory, mask, _copy(cache))
        step_garbage, cache = model.decode(torch.full((2, 1), 5), memory * 0 + 7, mask, cache)
    torch.testing.assert_close(step_ok, step_garbage)
    assert cache["layers"][0]["cross"]["k"] is cross_k


def _copy(cache: Any) -> Any:
    if isinstance(cache, dict):
        return {k: _copy(v) for k, v in cache.items()}
    if isinstance(cache, list):
        return [_copy(v) for v in cache]
    return cache


def test_beam_size_one_equals_greedy(make_config, make_batch) -> None:
    torch.manual_seed(1)
    model = Transformer(make_config(src_vocab_size=11))  # few tokens: EOS comes up often
    src = make_batch(6, 7, vocab=11)
    greedy = greedy_search(model, src, bos_id=BOS, eos_id=EOS, max_len_b=5)
    beam = beam_search(
        model, src, bos_id=BOS, eos_id=EOS, beam_size=1, length_penalty=0.0, max_len_b=5
    )
    assert beam == greedy
    limits = ((src != 0).sum(1) + 5).tolist()
    assert any(len(h) < n for h, n in zip(greedy, limits, strict=True))  # some ended with EOS


def test_greedy_matches_argmax_of_full_decoding(make_config, make_batch) -> None:
    torch.manual_seed(2)
    model = Transformer(make_config()).eval()
    src = make_batch(4, 6)
    out = greedy_search(model, src, bos_id=BOS, eos_id=EOS, max_len_a=0.0, max_len_b=6)
    for i, hyp in enumerate(out):
        prefix = torch.tensor([[BOS, *hyp]])
        with torch.no_grad():
            argmax = model(src[i : i + 1], prefix)[0].argmax(-1).tolist()
        assert hyp == argmax[: len(hyp)]
        # It stopped at EOS or at the limit of 6 tokens.
        assert len(hyp) == 6 or argmax[len(hyp)] == EOS


class NeverEnds:
    """Wraps a model so that EOS is impossible: every hypothesis runs to its length limit."""

    def __init__(self, model: Transformer) -> None:
        self.model = model

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        return self.model.encode(src)

    def decode(
        self, tgt_in: Tensor, memory: Tensor, src_key_padding_mask: Tensor, cache: Any = None
    ) -> tuple[Tensor, Any]:
        logits, cache = self.model.decode(tgt_in, memory, src_key_padding_mask, cache)
        return logits.index_fill(-1, torch.tensor([EOS]), float("-inf")), cache


def test_length_limit_is_a_times_src_len_plus_b(make_config, make_batch) -> None:
    torch.manual_seed(0)
    model = NeverEnds(Transformer(make_config()).eval())
    src = make_batch(3, 5)
    src_len = (src != 0).sum(1).tolist()
    for search in (greedy_search, beam_search):
        out = search(model, src, bos_id=BOS, eos_id=EOS, max_len_a=1.0, max_len_b=2)
        assert [len(h) for h in out] == [n + 2 for n in src_len]
        assert all(EOS not in h and BOS not in h for h in out)


def test_search_restores_training_mode(make_config, make_batch) -> None:
    model = Transformer(make_config(dropout=0.5))
    src = make_batch(2, 4)
    first = beam_search(model, src, bos_id=BOS, eos_id=EOS, max_len_b=4)
    assert model.training
    assert beam_search(model, src, bos_id=BOS, eos_id=EOS, max_len_b=4) == first  # no dropout


class ScriptedModel:
    """A non-Transformer EncoderDecoder whose next-token probabilities follow a script.

    Tokens: 0 pad, 1 BOS, 2 EOS, 3 "a", 4 "b". First "b" (0.55) or "a" (0.45); "b" is followed by
    EOS; "a" by four more "a" (probability ~1), then EOS. So "b" has the higher probability and
    "a a a a a" the longer length. The cache counts the "a"s per row (a batch-first tensor, so
    beam search reorders it like any cache).
    """

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros(src.shape[0], 1, 1), src.eq(0)

    def decode(
        self, tgt_in: Tensor, memory: Tensor, src_key_padding_mask: Tensor, cache: Any = None
    ) -> tuple[Tensor, Any]:
        prev = tgt_in[:, -1]
        if cache is None:
            cache = {"n_a": torch.zeros(tgt_in.shape[0], dtype=torch.long)}
        n_a = cache["n_a"] + prev.eq(3).long()
        probs = torch.full((tgt_in.shape[0], 5), 1e-9)
        first, after_a, after_b = prev.eq(BOS), prev.eq(3), prev.eq(4)
        probs[first, 4], probs[first, 3] = 0.55, 0.45
        probs[after_b, EOS] = 1.0
        probs[after_a & (n_a < 5), 3] = 1.0
        probs[after_a & (n_a >= 5), EOS] = 1.0
        return probs.log()[:, None, :], {"n_a": n_a}


def test_beam_search_works_with_any_encoder_decoder() -> None:
    model = ScriptedModel()
    assert isinstance(model, EncoderDecoder)
    src = torch.tensor([[5, 6], [5, 0]])
    kwargs: dict[str, Any] = {"bos_id": BOS, "eos_id": EOS, "max_len_a": 0.0, "max_len_b": 10}
    assert greedy_search(model, src, **kwargs) == [[4], [4]]
    assert beam_search(model, src, beam_size=1, **kwargs) == [[4], [4]]
    # Raw log-probabilities: log .55 (2 tokens with EOS) beats log .45 (6 tokens).
    assert beam_search(model, src, beam_size=2, length_penalty=0.0, **kwargs) == [[4], [4]]
    # GNMT penalty, alpha 2: log .55 / (7/6)^2 = -0.44 < log .45 / (11/6)^2 = -0.24.
    five_a = [3, 3, 3, 3, 3]
    assert beam_search(model, src, beam_size=2, length_penalty=2.0, **kwargs) == [five_a] * 2
    # Alpha 1: log .45 / (11/6) = -0.44 still beats log .55 / (7/6) = -0.51, but not when the
    # limit cuts "a a a" after 3 tokens: log .45 / (9/6) = -0.53 (a cut scores its tokens only).
    assert beam_search(model, src, beam_size=2, length_penalty=1.0, **kwargs) == [five_a] * 2
    kwargs["max_len_b"] = 3
    assert beam_search(model, src, beam_size=2, length_penalty=1.0, **kwargs) == [[4], [4]]


class Confident:
    """Says "a" five times, then EOS, with probability 0.99 each; EOS is always the runner-up.

    Like a trained, label-smoothed model: every alternative sits near the same low floor, so an
    EOS-ended prefix is among the best `beam_size` candidates at every step.
    """

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        return torch.zeros(src.shape[0], 1, 1), src.eq(0)

    def decode(
        self, tgt_in: Tensor, memory: Tensor, src_key_padding_mask: Tensor, cache: Any = None
    ) -> tuple[Tensor, Any]:
        n = torch.zeros(tgt_in.shape[0], dtype=torch.long) if cache is None else cache["n"]
        n = n + tgt_in[:, -1].eq(3).long()
        probs = torch.full((tgt_in.shape[0], 5), 1e-4)
        probs[:, EOS] = 0.005
        probs[n < 5, 3] = 0.99
        probs[n >= 5, EOS] = 0.99
        return probs.log()[:, None, :], {"n": n}


def test_beam_search_does_not_stop_at_runner_up_eos_prefixes() -> None:
    # Stopping once beam_size hypotheses have ended would return a truncated "a a a".
    src = torch.tensor([[5, 6, 7]])
    for beam_size in (2, 4, 8):
        out = beam_search(Confident(), src, bos_id=BOS, eos_id=EOS, beam_size=beam_size)
        assert out == [[3, 3, 3, 3, 3]]


def test_bad_beam_size_is_rejected() -> None:
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(ScriptedModel(), torch.tensor([[5]]), bos_id=BOS, eos_id=EOS, beam_size=0)
