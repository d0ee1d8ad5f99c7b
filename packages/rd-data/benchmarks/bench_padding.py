"""Padding waste and speed of TokenBudgetBatchSampler + collate_padded vs random batching.

Two length distributions:
- number-words: German -> English number words of random numbers in [0, 1e6), tokenised with a
  BPETokenizer trained on them (the paper's default task; uses num2words when it is installed,
  else a built-in English speller for both sides);
- wmt-like: WMT14 en-de sized (4.5M pairs by default) with log-normal target lengths (median 24
  BPE tokens) and source/target ratios around 1.

Padding waste = padding tokens / tokens in the padded src and tgt tensors. Random batching
draws the same number of sentences per batch as the token-budget sampler does on average.

Run: uv run python packages/rd-data/benchmarks/bench_padding.py [--wmt-size 4500000]
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from rd_data import BPETokenizer, TokenBudgetBatchSampler, collate_padded

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _english(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        return _ONES[n // 100] + " hundred" + (" and " + _english(n % 100) if n % 100 else "")
    return _english(n // 1000) + " thousand" + (" " + _english(n % 1000) if n % 1000 else "")


def number_words_lengths(size: int, seed: int = 0) -> np.ndarray:
    """[size, 2] token lengths (src=German, tgt=English, each with </s>) of random numbers."""
    numbers = random.Random(seed).sample(range(1_000_000), size)
    try:
        from num2words import num2words

        src = [num2words(n, lang="de") for n in numbers]
        tgt = [num2words(n, lang="en") for n in numbers]
    except ImportError:
        src = tgt = [_english(n) for n in numbers]
    tokenizer = BPETokenizer.train(src + tgt, vocab_size=2000)
    return np.stack(
        [np.array([len(ids) for ids in tokenizer.encode_batch(s)]) for s in (src, tgt)], axis=1
    )


def wmt_like_lengths(size: int, seed: int = 0) -> np.ndarray:
    """[size, 2] lengths shaped like WMT14 en-de after BPE (median ~24, long tail to 250)."""
    rng = np.random.default_rng(seed)
    tgt = np.clip(np.rint(rng.lognormal(np.log(24), 0.5, size)), 1, 250)
    src = np.clip(np.rint(tgt * rng.lognormal(0.0, 0.15, size)), 1, 250)
    return np.stack([src, tgt], axis=1).astype(np.int64)


def waste(batches: list[np.ndarray], lengths: np.ndarray) -> float:
    real = padded = 0
    for batch in batches:
        part = lengths[batch]
        real += int(part.sum())
        padded += len(batch) * int(part.max(axis=0).sum())
    return 1 - real / padded


def random_batches(n: int, batch_size: int, seed: int = 0) -> list[np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def run(name: str, lengths: np.ndarray, max_tokens: int, collate_batches: int) -> None:
    start = time.perf_counter()
    sampler = TokenBudgetBatchSampler(lengths, max_tokens=max_tokens, seed=0)
    build = time.perf_counter() - start
    start = time.perf_counter()
    batches = sampler.batches(epoch=0)
    epoch_order = time.perf_counter() - start
    sentences = len(lengths) / len(batches)
    budget = waste(batches, lengths)
    baseline = waste(random_batches(len(lengths), max(1, round(sentences))), lengths)

    start = time.perf_counter()
    epoch = list(sampler)  # one full epoch: epoch order + one list of indices per batch
    per_batch_sampler = (time.perf_counter() - start) / len(epoch)

    import torch  # noqa: F401  (imported once here so its import time is not counted below)

    pool = list(range(4, 4 + int(lengths.max())))
    collate_time = 0.0
    for batch in epoch[:collate_batches]:
        examples = [{"src": pool[: lengths[i, 0]], "tgt": pool[: lengths[i, 1]]} for i in batch]
        start = time.perf_counter()
        collate_padded(examples, pad_id=0)
        collate_time += time.perf_counter() - start
    per_batch_collate = collate_time / min(collate_batches, len(epoch))

    small = waste(random_batches(len(lengths), 64), lengths)
    print(f"\n{name}: {len(lengths):,} pairs, max_tokens={max_tokens}, {len(batches):,} batches")
    print(f"  sentences per batch (mean)          {sentences:10.1f}")
    print(f"  padding waste, token budget         {100 * budget:9.2f} %")
    print(f"  padding waste, random, same size    {100 * baseline:9.2f} %")
    print(f"  padding waste, random, 64 per batch {100 * small:9.2f} %")
    print(f"  sampler setup (once)                {build:9.3f} s")
    print(f"  epoch order (each epoch)            {epoch_order:9.3f} s")
    print(f"  sampler per batch (amortised)       {1000 * per_batch_sampler:9.3f} ms")
    print(f"  collate_padded per batch            {1000 * per_batch_collate:9.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number-words-size", type=int, default=50_000)
    parser.add_argument("--wmt-size", type=int, default=4_500_000)
    parser.add_argument("--collate-batches", type=int, default=200)
    args = parser.parse_args()
    run("number-words", number_words_lengths(args.number_words_size), 4096, args.collate_batches)
    run("wmt-like", wmt_like_lengths(args.wmt_size), 25_000, args.collate_batches)


if __name__ == "__main__":
    main()
