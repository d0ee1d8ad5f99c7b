"""Greedy and beam search for any encoder-decoder with the :class:`EncoderDecoder` interface.

How :func:`beam_search` works: each step extends every live hypothesis, keeps the
``2 * beam_size`` best candidates of each sentence, moves those ending in EOS among the first
``beam_size`` to the finished list (score = log-probability / length penalty, counting EOS) and
continues with the best ``beam_size`` others. A sentence is done when no live hypothesis can
overtake its best finished one (a live score only falls, and its length penalty grows at most to
that of the length limit), or when it reaches its length limit (``max_len_a * src_len +
max_len_b`` tokens; then EOS is forced); done sentences leave the batch. Stopping as soon as
``beam_size`` hypotheses have finished instead (fairseq's early stop) returns truncated
translations from a confident model: its runner-up candidates all sit near the label-smoothing
floor, so short EOS-ended ones fill the finished list before the real translation ends. With
``beam_size=1`` and ``length_penalty=0`` this is exactly greedy search; with a length penalty a
single beam may still prefer a longer runner-up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor


@runtime_checkable
class EncoderDecoder(Protocol):
    """What :func:`greedy_search` and :func:`beam_search` need from a model.

    ``encode(src)`` returns ``(memory, src_key_padding_mask)``: ``memory`` is any tensor with the
    batch on dim 0, the mask is ``[B, S]`` with True at padding (it also gives source lengths).
    ``decode(tgt_in, memory, src_key_padding_mask, cache)`` returns ``(logits [B, T, V], cache)``;
    it is first called with ``cache=None`` and ``tgt_in = [[bos]] * B``, then with the returned cache
    and only the newest token ``[B, 1]``. The cache is a nest of dicts/lists/tuples whose tensors
    have the batch on dim 0 (other leaves are kept as they are); a model with another layout
    provides ``reorder_cache(cache, indices) -> cache``. :class:`~rd_models.Transformer` conforms.
    """

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]: ...

    def decode(
        self, tgt_in: Tensor, memory: Tensor, src_key_padding_mask: Tensor, cache: Any = None
    ) -> tuple[Tensor, Any]: ...


def reorder_cache(model: Any, cache: Any, indices: Tensor) -> Any:
    """Select batch rows ``indices`` of every cached tensor (or use ``model.reorder_cache``)."""
    custom = getattr(model, "reorder_cache", None)
    if custom is not None:
        return custom(cache, indices)
    if isinstance(cache, Tensor):
        return cache.index_select(0, indices)
    if isinstance(cache, dict):
        return {key: reorder_cache(model, value, indices) for key, value in cache.items()}
    if isinstance(cache, (list, tuple)):
        return type(cache)(reorder_cache(model, value, indices) for value in cache)
    return cache


@contextlib.contextmanager
def _inference(model: Any) -> Iterator[None]:
    # Searching with dropout on gives noise; switch to eval for the search, restore afterwards.
    was_training = getattr(model, "training", False)
    if was_training:
        model.train(False)
    try:
        with torch.inference_mode():
            yield
    finally:
        if was_training:
            model.train(True)


def _max_lengths(src_pad: Tensor, max_len_a: float, max_len_b: int) -> Tensor:
    src_len = (~src_pad).sum(dim=-1)
    return (src_len.double() * max_len_a + max_len_b).floor().long().clamp(min=1)


def greedy_search(
    model: EncoderDecoder,
    src: Tensor,
    *,
    bos_id: int,
    eos_id: int,
    max_len_a: float = 1.0,
    max_len_b: int = 50,
) -> list[list[int]]:
    """Pick the most probable token at each step, with cached incremental decoding.

    Args:
        model: Any :class:`EncoderDecoder` (e.g. :class:`~rd_models.Transformer`).
        src: ``[B, S]`` padded source ids.
        bos_id: Token that starts every target.
        eos_id: Token that ends a hypothesis.
        max_len_a: Output length limit is ``max_len_a * src_len + max_len_b`` tokens (EOS aside).
        max_len_b: See ``max_len_a``.

    Returns:
        One list of token ids per sentence, without BOS and EOS.
    """
    with _inference(model):
        memory, src_pad = model.encode(src)
        max_lens = _max_lengths(src_pad, max_len_a, max_len_b)
        batch = src.shape[0]
        tokens = torch.full((batch, 1), bos_id, dtype=torch.long, device=src.device)
        out: list[list[int]] = [[] for _ in range(batch)]
        active = torch.arange(batch, device=src.device)  # sentences still decoding
        cache = None
        for step in range(int(max_lens.max())):
            logits, cache = model.decode(tokens, memory, src_pad, cache)
            next_tok = logits[:, -1].argmax(dim=-1)
            # At a sentence's length limit only EOS is left.
            next_tok = torch.where(step >= max_lens[active], eos_id, next_tok)
            done = next_tok.eq(eos_id)
            for row, tok in zip(active.tolist(), next_tok.tolist(), strict=True):
                if tok != eos_id:
                    out[row].append(tok)
            if bool(done.all()):
                break
            keep = (~done).nonzero().squeeze(1)
            if len(keep) < len(active):  # drop finished sentences from the batch
                active, memory, src_pad = active[keep], memory[keep], src_pad[keep]
                cache = reorder_cache(model, cache, keep)
                next_tok = next_tok[keep]
            tokens = next_tok.unsqueeze(1)
        return out


def _length_penalty(length: int, alpha: float) -> float:
    """GNMT length penalty ``((5 + |Y|) / 6) ** alpha`` (Wu et al., 2016)."""
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(
    model: EncoderDecoder,
    src: Tensor,
    *,
    bos_id: int,
    eos_id: int,
    beam_size: int = 4,
    length_penalty: float = 0.6,
    max_len_a: float = 1.0,
    max_len_b: int = 50,
) -> list[list[int]]:
    """Batched beam search with the GNMT length penalty (the paper: beam 4, alpha 0.6).

    How it extends, finishes and stops hypotheses is in this module's docstring.

    Args:
        model: Any :class:`EncoderDecoder` (e.g. :class:`~rd_models.Transformer`).
        src: ``[B, S]`` padded source ids.
        bos_id: Token that starts every target.
        eos_id: Token that ends a hypothesis.
        beam_size: Hypotheses kept per sentence.
        length_penalty: GNMT alpha; 0 ranks by raw log-probability.
        max_len_a: Output length limit is ``max_len_a * src_len + max_len_b`` tokens.
        max_len_b: See ``max_len_a``.

    Returns:
        The best hypothesis of each sentence, as token ids without BOS and EOS.

    Raises:
        ValueError: If ``beam_size`` is not positive.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be >= 1, got {beam_size}")
    k = beam_size
    with _inference(model):
        memory, src_pad = model.encode(src)
        max_lens = _max_lengths(src_pad, max_len_a, max_len_b).tolist()
        batch, device = src.shape[0], src.device
        # Rows of the decoder batch are (sentence, beam) pairs: row = i * k + beam.
        rows = torch.arange(batch, device=device).repeat_interleave(k)
        memory, src_pad = memory.index_select(0, rows), src_pad.index_select(0, rows)
        active = list(range(batch))  # sentence ids in the decoder batch, in order
        hyps = torch.full((batch * k, 1), bos_id, dtype=torch.long, device=device)
        # Only beam 0 is live at the start, so the first step does not pick k copies of one token.
        scores = torch.full((batch, k), float("-inf"), device=device)
        scores[:, 0] = 0.0
        finished: list[list[tuple[float, list[int]]]] = [[] for _ in range(batch)]
        cache, step = None, 0
        while active:
            logits, cache = model.decode(
                hyps[:, -1:] if cache is not None else hyps, memory, src_pad, cache
            )
            at_limit = [step >= max_lens[s] for s in active]
            candidates = _top_candidates(logits, scores, at_limit, eos_id, k)
            keep_rows, next_tok, next_scores, still_active = [], [], [], []
            for j, sent in enumerate(active):
                beams = hyps[j * k : (j + 1) * k, 1:]  # this sentence's hypotheses, no BOS
                live = _split_finished(
                    candidates[j], beams, finished[sent], k, eos_id, length_penalty
                )
                longest = step + 1 if length_penalty == 0 else max_lens[sent] + 1
                if _is_done(live, finished[sent], longest, length_penalty):
                    continue
                still_active.append(sent)
                for score, beam, tok in live + [(float("-inf"), *live[0][1:])] * (k - len(live)):
                    keep_rows.append(j * k + beam)  # too few candidates: padded with dead rows
                    next_tok.append(tok)
                    next_scores.append(score)
            if not still_active:
                break
            index = torch.tensor(keep_rows, device=device)
            new_tokens = torch.tensor(next_tok, device=device)[:, None]
            hyps = torch.cat([hyps.index_select(0, index), new_tokens], 1)
            scores = torch.tensor(next_scores, device=device).view(len(still_active), k)
            memory, src_pad = memory.index_select(0, index), src_pad.index_select(0, index)
            cache = reorder_cache(model, cache, index)
            active, step = still_active, step + 1
        return [max(f, key=lambda h: h[0])[1] if f else [] for f in finished]


Candidate = tuple[float, int, int]
"""``(log-probability of the extended hypothesis, beam it extends, token)``."""


def _top_candidates(
    logits: Tensor, scores: Tensor, at_limit: list[bool], eos_id: int, k: int
) -> list[list[Candidate]]:
    """The ``2 k`` best extensions of each sentence's beams, best first.

    At a sentence's length limit the hypothesis is cut: EOS is forced and adds nothing.
    """
    n = scores.shape[0]
    logprobs = logits[:, -1].float().log_softmax(dim=-1).view(n, k, -1)
    vocab = logprobs.shape[-1]
    if any(at_limit):
        forced = torch.full_like(logprobs[0, 0], float("-inf"))
        forced[eos_id] = 0.0
        limit = torch.tensor(at_limit, device=logprobs.device)
        logprobs = torch.where(limit[:, None, None], forced, logprobs)
    cand = (scores.unsqueeze(-1) + logprobs).view(n, k * vocab)
    top_scores, top_idx = cand.topk(min(2 * k, k * vocab), dim=-1)
    ts, tb, tt = top_scores.tolist(), (top_idx // vocab).tolist(), (top_idx % vocab).tolist()
    return [list(zip(ts[j], tb[j], tt[j], strict=True)) for j in range(n)]


def _split_finished(
    candidates: list[Candidate],
    beams: Tensor,
    finished: list[tuple[float, list[int]]],
    k: int,
    eos_id: int,
    length_penalty: float,
) -> list[Candidate]:
    """Move EOS-ended candidates among the first ``k`` to ``finished`` (score normalised by the
    length penalty, counting EOS); return the best ``k`` others, which go on."""
    live: list[Candidate] = []
    for rank, (score, beam, tok) in enumerate(candidates):
        if score == float("-inf"):
            break
        if tok == eos_id:
            if rank < k:
                ids = beams[beam].tolist()
                finished.append((score / _length_penalty(len(ids) + 1, length_penalty), ids))
        elif len(live) < k:
            live.append((score, beam, tok))
    return live


def _is_done(
    live: list[Candidate],
    finished: list[tuple[float, list[int]]],
    longest: int,
    length_penalty: float,
) -> bool:
    """No live hypothesis can still overtake the best finished one: a live log-probability only
    falls, and its length penalty grows at most to that of ``longest``."""
    best_finished = max((f[0] for f in finished), default=float("-inf"))
    return not live or best_finished >= live[0][0] / _length_penalty(longest, length_penalty)
