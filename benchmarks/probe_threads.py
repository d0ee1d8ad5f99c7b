"""What the second CPU core buys: the bare training step at 1 and at 2 threads, A/B.

    uv run --all-packages python benchmarks/probe_threads.py [--reps 9]
        [--precision fp32|bf16] [--quick]

Times forward + loss + backward + fused AdamW of the paper's model (`rd_models`) and of the
plain loop's `torch.nn.Transformer` (same weights) on the same 20 number-words token-budget
batches, at `torch.set_num_threads(1)` and `(2)`, the four contenders alternating passes in one
process. As a control, a 2048^3 matrix product (fp32 and bf16) at both thread counts: how much
the second core gives to work that is large enough to split. Reports ms/step and the speed-up
1-thread/2-thread (ratio of medians and median of per-pass ratios) for each.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: F401  (first: it sizes oneDNN's cache before torch loads)
import torch
from bench_common import context_lines, finish_context, load_rd_models_benchmark, run_context
from bench_e2e import QUICK_OVERRIDES, bench_config, bench_data, build_model, make_loss_fn

from rd_training import build_optimizer

THREADS = (1, 2)


def speedups(timings: dict[str, list[float]], name: str) -> dict[str, float]:
    """ms at each thread count and the speed-up of 2 threads over 1 (medians and paired)."""
    one, two = timings[f"{name}@1"], timings[f"{name}@2"]
    return {
        "ms_1": 1000 * statistics.median(one),
        "ms_2": 1000 * statistics.median(two),
        "speedup": statistics.median(one) / statistics.median(two),
        "speedup_paired": statistics.median(a / b for a, b in zip(one, two, strict=True)),
    }


def step_passes(precision: str, quick: bool) -> dict[str, Callable[[], float]]:
    """One pass (seconds per step) of each model's bare training step, keyed by model name."""
    cfg = bench_config("number-words", [*QUICK_OVERRIDES] if quick else [])
    data, tokenizer = bench_data("number-words", cfg)
    batches = [b for _, b in zip(range(20), data.train_loader, strict=False)]
    loss_fn = make_loss_fn(tokenizer, cfg.optim.label_smoothing)
    torch.manual_seed(cfg.training.seed)
    ours = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id).train()
    bt = load_rd_models_benchmark()
    plain = bt.TorchTransformerMT(ours.config).train()
    bt.copy_weights(ours, plain)

    def make_pass(model: torch.nn.Module) -> Callable[[], float]:
        optimizer = build_optimizer(model, lr=1e-4)

        def one_pass() -> float:
            start = time.perf_counter()
            for batch in batches:
                with (
                    torch.autocast("cpu", dtype=torch.bfloat16)
                    if precision == "bf16"
                    else contextlib.nullcontext()
                ):
                    loss, tokens = loss_fn(model, batch)
                (loss / tokens).backward()
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            return (time.perf_counter() - start) / len(batches)

        return one_pass

    return {"rd_models": make_pass(ours), "torch.nn": make_pass(plain)}


def matmul_passes(size: int) -> dict[str, Callable[[], float]]:
    """One pass (seconds per product) of a size^3 matrix product in fp32 and in bf16."""

    def make_pass(dtype: torch.dtype) -> Callable[[], float]:
        a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)

        def one_pass() -> float:
            start = time.perf_counter()
            for _ in range(5):
                a @ b
            return (time.perf_counter() - start) / 5

        return one_pass

    return {"matmul-fp32": make_pass(torch.float32), "matmul-bf16": make_pass(torch.bfloat16)}


def probe(precision: str, reps: int, quick: bool) -> dict[str, Any]:
    """Alternating passes of every contender at 1 and 2 threads; speed-ups per contender."""
    passes = {**step_passes(precision, quick), **matmul_passes(256 if quick else 2048)}
    contenders = [(name, n) for name in passes for n in THREADS]
    timings: dict[str, list[float]] = {f"{name}@{n}": [] for name, n in contenders}
    before = torch.get_num_threads()
    try:
        for rep in range(reps + 1):  # the first round warms up every contender
            for name, n in contenders if rep % 2 == 0 else contenders[::-1]:
                torch.set_num_threads(n)
                seconds = passes[name]()
                if rep:
                    timings[f"{name}@{n}"].append(seconds)
    finally:
        torch.set_num_threads(before)
    return {
        "precision": precision,
        "timings": timings,
        "results": {name: speedups(timings, name) for name in passes},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument(
        "--precision", choices=["fp32", "bf16"], action="append", help="default: both"
    )
    parser.add_argument("--quick", action="store_true", help="tiny config and data (a smoke run)")
    args = parser.parse_args()
    if args.reps < 1:
        parser.error("--reps must be >= 1")
    if torch.get_num_threads() < 2:
        n = torch.get_num_threads()
        parser.error(f"needs 2 threads, torch has {n} (a one-core machine, or OMP_NUM_THREADS=1)")
    context = run_context()
    lines = []
    for i, precision in enumerate(args.precision or ["fp32", "bf16"]):
        r = probe(precision, args.reps, args.quick)
        lines.append(f"{precision} (median of {args.reps} alternating passes):")
        for name, s in r["results"].items():
            if name.startswith("matmul") and i > 0:
                continue  # the control does not depend on the step's precision: shown once
            unit = "ms/product" if name.startswith("matmul") else "ms/step"
            lines.append(
                f"  {name:12s} 1 thread {s['ms_1']:7.1f} {unit}, 2 threads {s['ms_2']:7.1f}; "
                f"speed-up {s['speedup']:.2f}x (per pass {s['speedup_paired']:.2f}x)"
            )
    finish_context(context)
    print("\n".join([*context_lines(context), *lines]))


if __name__ == "__main__":
    main()
