"""Decode a split (or plain sentences) with beam search and score it: sacreBLEU, chrF, exact match.

Scores are detokenized sacreBLEU (`13a` tokenization of plain text), the standard today. The
paper reports *tokenized* BLEU on Moses-tokenized, compound-split text (`multi-bleu.perl`), which
runs about 1 BLEU higher on WMT14 EN-DE, so compare like with like.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import sacrebleu
import torch
from datasets import Dataset
from tqdm.auto import tqdm

from paper_transformer.config import EvalConfig
from rd_data import BPETokenizer, collate_padded, example_lengths
from rd_models import Transformer, beam_search, greedy_search, shift_right
from rd_training import MetricsLogger
from rd_viz import plot_attention


def translate(
    model: Transformer,
    tokenizer: BPETokenizer,
    split: Dataset,
    cfg: EvalConfig,
    device: torch.device,
    progress: bool = True,
) -> list[str]:
    """Beam-search translations of a tokenised split (`src` column), in the split's order."""
    order = example_lengths(split, ("src",)).argsort(kind="stable").tolist()
    return _translate_in_order(
        model, tokenizer, order, lambda rows: split[rows]["src"], cfg, device, progress
    )


def translate_texts(
    model: Transformer,
    tokenizer: BPETokenizer,
    texts: Sequence[str],
    cfg: EvalConfig,
    device: torch.device,
    progress: bool = False,
) -> list[str]:
    """Beam-search translations of plain sentences, in their order.

    Each sentence is encoded as `rd_data.tokenize_dataset` encodes a split (ids ending with
    `</s>`), so a sentence of the test split gets the line `translate` gives it. A sentence that
    is empty or only whitespace gets an empty string without being decoded.
    """
    keep = [i for i, text in enumerate(texts) if text.strip()]
    ids = tokenizer.encode_batch([texts[i] for i in keep])
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # stable, as `translate`'s
    decoded = _translate_in_order(
        model, tokenizer, order, lambda rows: [ids[r] for r in rows], cfg, device, progress
    )
    hypotheses = [""] * len(texts)
    for i, hypothesis in zip(keep, decoded, strict=True):
        hypotheses[i] = hypothesis
    return hypotheses


def _translate_in_order(
    model: Transformer,
    tokenizer: BPETokenizer,
    order: list[int],
    sources: Callable[[list[int]], Sequence[Sequence[int]]],
    cfg: EvalConfig,
    device: torch.device,
    progress: bool,
) -> list[str]:
    """Decode the sources `order` lists (short to long) in groups of `cfg.batch_sentences`, so
    little work is spent on padding; the result is put back in index order.

    `sources(rows)` returns the source ids (ending with `</s>`) of the given indices.
    """
    hypotheses: list[list[int]] = [[] for _ in order]
    model.eval()
    chunks = range(0, len(order), cfg.batch_sentences)
    for start in tqdm(chunks, desc="beam search", unit="batch", disable=not progress):
        rows = order[start : start + cfg.batch_sentences]
        src = collate_padded([{"src": s} for s in sources(rows)], tokenizer.pad_id)["src"]
        kwargs = {
            "bos_id": tokenizer.bos_id,
            "eos_id": tokenizer.eos_id,
            "max_len_b": cfg.max_len_b,
        }
        with torch.inference_mode():
            if cfg.beam_size == 1:
                out = greedy_search(model, src.to(device), **kwargs)
            else:
                out = beam_search(
                    model,
                    src.to(device),
                    beam_size=cfg.beam_size,
                    length_penalty=cfg.length_penalty,
                    **kwargs,
                )
        for row, ids in zip(rows, out, strict=True):
            hypotheses[row] = ids
    return tokenizer.decode_batch(hypotheses)


def score(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus sacreBLEU, chrF and the percentage of exactly right sentences."""
    refs = [list(references)]
    exact = sum(h.strip() == r.strip() for h, r in zip(hypotheses, references, strict=True))
    return {
        "bleu": sacrebleu.corpus_bleu(hypotheses, refs).score,
        "chrf": sacrebleu.corpus_chrf(hypotheses, refs).score,
        "exact_match": 100.0 * exact / max(len(references), 1),
    }


def bleu_signature() -> str:
    """sacreBLEU's signature of the BLEU that `score` reports (one reference, 13a, exp)."""
    bleu = sacrebleu.metrics.BLEU()
    bleu.corpus_score(["a"], [["a"]])  # the signature names the reference count it scored
    return str(bleu.get_signature())


def plot_cross_attention(
    model: Transformer,
    tokenizer: BPETokenizer,
    src_ids: Sequence[int],
    hypothesis: str,
    out: Path,
    device: torch.device,
) -> Path:
    """Draw the last decoder layer's cross-attention for one translated sentence."""
    tgt_ids = tokenizer.encode(hypothesis)  # ends with </s>
    src = torch.tensor([list(src_ids)], device=device)
    tgt = torch.tensor([tgt_ids], device=device)
    model.eval()
    with torch.inference_mode():
        _, attention = model(src, shift_right(tgt, tokenizer.bos_id), return_attention=True)
    cross = attention["cross"][-1][0].float().cpu().numpy()  # [heads, tgt, src]
    plot_attention(
        cross,
        tokenizer.tokens(src_ids),
        tokenizer.tokens(tgt_ids),
        out=out,
        title=f"cross-attention, last decoder layer: {hypothesis}",
    )
    return out


def decode_and_report(
    model: Transformer,
    tokenizer: BPETokenizer,
    tokenized: Dataset,
    references: Sequence[str],
    cfg: EvalConfig,
    run_dir: Path,
    split_name: str,
    step: int,
    device: torch.device,
    **extra: object,
) -> dict[str, float]:
    """Translate a split, score it, and leave the evidence in the run directory.

    Writes `hypotheses.<split>.txt` (one line per source sentence, in order), appends the scores
    to `metrics.jsonl` (split "test" or "valid") and draws cross-attention maps of the first
    `cfg.attention_examples` sentences into `plots/`.
    """
    hypotheses = translate(model, tokenizer, tokenized, cfg, device)
    metrics = score(hypotheses, references)
    (run_dir / f"hypotheses.{split_name}.txt").write_text("\n".join(hypotheses) + "\n")
    split = "test" if split_name == "test" else "valid"
    MetricsLogger(run_dir).log(step, split, **metrics, **extra)
    for i in range(min(cfg.attention_examples, len(tokenized))):
        out = run_dir / "plots" / f"attention_{split_name}_{i}.png"
        plot_cross_attention(model, tokenizer, tokenized[i]["src"], hypotheses[i], out, device)
    return metrics
