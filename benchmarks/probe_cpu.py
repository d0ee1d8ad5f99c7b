"""Two CPU probes behind the analysis of the misses in benchmarks/README.md.

    uv run --all-packages python benchmarks/probe_cpu.py [--reps 20]

1. Attention at the e2e shapes: forward + backward of `F.scaled_dot_product_attention` (the
   flash CPU kernel PyTorch picks), the same call pinned to the math backend, and the explicit
   `softmax(q kᵀ / √d) v`, with a key-padding mask (encoder) or causal (decoder).
2. The output projection + label-smoothed loss, forward + backward: logits then
   `label_smoothed_cross_entropy` against `linear_cross_entropy` (eager chunks, its CPU default).

Each line alternates the contenders over `--reps` calls after a warm-up and prints the median
milliseconds per call.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.attention import SDPBackend, sdpa_kernel

from rd_training import label_smoothed_cross_entropy, linear_cross_entropy

ATTENTION_SHAPES = [  # (batch, heads, query length, key length, head dim)
    (102, 4, 10, 10, 32),  # number-words, d 128: ~100 sentences of <= 10 tokens
    (40, 4, 24, 24, 32),  # WMT-shaped median sentence, d 128
    (8, 4, 128, 128, 32),  # WMT-shaped long tail
    (64, 8, 32, 32, 64),  # the base model's model-only batch, d 512
]
LOSS_SHAPES = [(1020, 128, 400), (4096, 128, 37000), (2048, 512, 37000)]  # (tokens, d, vocab)


def median_ms(contenders: dict[str, Callable[[], None]], reps: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for fn in contenders.values():
        fn()
    for _ in range(reps):
        for name, fn in contenders.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(t) for name, t in times.items()}


def attention_contenders(shape: tuple[int, ...], causal: bool) -> dict[str, Callable[[], None]]:
    b, h, t, s, d = shape
    q, k, v = (torch.randn(b, h, n, d, requires_grad=True) for n in (t, s, s))
    grad = torch.randn(b, h, t, d)
    mask = None
    if causal:
        mask = torch.ones(t, s, dtype=torch.bool).tril()
    else:
        keep = torch.ones(b, s, dtype=torch.bool)
        keep[::3, -2:] = False  # some padded keys
        mask = keep[:, None, None, :]

    def sdpa() -> Tensor:
        if causal:
            return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    def math_backend() -> Tensor:
        with sdpa_kernel(SDPBackend.MATH):
            return sdpa()

    def explicit() -> Tensor:
        scores = (q @ k.transpose(-2, -1)) * d**-0.5
        return scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v

    def backward(fn: Callable[[], Tensor]) -> Callable[[], None]:
        return lambda: fn().backward(grad)

    return {"sdpa (flash)": backward(sdpa), "sdpa math": backward(math_backend),
            "explicit": backward(explicit)}  # fmt: skip


def loss_contenders(n: int, d: int, vocab: int) -> dict[str, Callable[[], None]]:
    h = torch.randn(n, d, requires_grad=True)
    w = (torch.randn(vocab, d) * d**-0.5).requires_grad_()
    target = torch.randint(1, vocab, (n,))

    def logits() -> None:
        loss, _ = label_smoothed_cross_entropy(F.linear(h, w), target, 0.1, 0)
        loss.backward()

    def fused() -> None:
        loss, _ = linear_cross_entropy(h, w, target, 0.1, 0)
        loss.backward()

    return {"logits + loss": logits, "linear_cross_entropy": fused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=20, help="timed calls per contender")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; median ms per call")
    for shape in ATTENTION_SHAPES:
        for causal in (False, True):
            ms = median_ms(attention_contenders(shape, causal), args.reps)
            kind = "causal" if causal else "padding mask"
            cells = "  ".join(f"{name} {value:7.2f}" for name, value in ms.items())
            print(f"attention B,H,T,S,D={shape} {kind:12}: {cells}")
    for shape in LOSS_SHAPES:
        ms = median_ms(loss_contenders(*shape), max(3, args.reps // 5))
        cells = "  ".join(f"{name} {value:8.1f}" for name, value in ms.items())
        ratio = ms["logits + loss"] / ms["linear_cross_entropy"]
        print(f"loss tokens,d,vocab={shape}: {cells}  (logits/fused {ratio:.2f})")


if __name__ == "__main__":
    main()
