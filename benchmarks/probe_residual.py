"""rd-models' bf16 residual stream against an fp32 one: the bare bf16 training step, A/B.

    uv run --all-packages python benchmarks/probe_residual.py [--reps 15]
        [--data number-words|wmt-shaped] [--quick]

Under CPU bf16 autocast rd-models keeps the Transformer's residual stream in bf16. This times
the paper's model with that stream (`bf16-stream`) against the same weights with the stream kept
fp32 (`fp32-stream`, `probe_precision.keep_fp32_residual`: the code before the change), on the
same batches (20 number-words or 8 WMT-shaped token-budget batches), forward + loss + backward +
fused AdamW under bf16 autocast, alternating passes. Reports the median wall and CPU time per step,
and fp32-stream/bf16-stream as the ratio of medians and as the median of per-pass ratios.
Two contenders with short passes: less noise than the five-contender pipeline probe.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: F401  (first: it sizes oneDNN's cache before torch loads)
import torch
from bench_common import context_lines, finish_context, run_context
from bench_e2e import (
    QUICK_OVERRIDES,
    WMT_QUICK_PAIRS,
    bench_config,
    bench_data,
    build_model,
    make_loss_fn,
)
from probe_precision import keep_fp32_residual

from rd_training import build_optimizer


def probe(data_set: str, reps: int, quick: bool) -> dict[str, Any]:
    """Per-pass wall and CPU seconds per step of both streams, and their ratios."""
    cfg = bench_config(data_set, [*QUICK_OVERRIDES] if quick else [])
    data, tokenizer = bench_data(data_set, cfg, WMT_QUICK_PAIRS if quick else 5000)
    count = 8 if data_set == "wmt-shaped" else 20
    batches = [b for _, b in zip(range(count), data.train_loader, strict=False)]
    loss_fn = make_loss_fn(tokenizer, cfg.optim.label_smoothing)
    torch.manual_seed(cfg.training.seed)
    bf16 = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    fp32 = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    fp32.load_state_dict(bf16.state_dict())
    models = {"bf16-stream": bf16, "fp32-stream": keep_fp32_residual(fp32)}
    optimizers = {name: build_optimizer(m, lr=1e-4) for name, m in models.items()}
    timings: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in models}

    def one_pass(name: str) -> None:
        model, optimizer = models[name], optimizers[name]
        wall, cpu = time.perf_counter(), time.process_time()
        for batch in batches:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss, tokens = loss_fn(model, batch)
            (loss / tokens).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        timings[name]["wall"].append((time.perf_counter() - wall) / len(batches))
        timings[name]["cpu"].append((time.process_time() - cpu) / len(batches))

    for name in models:  # warm-up
        one_pass(name)
        timings[name] = {"wall": [], "cpu": []}
    names = list(models)
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            one_pass(name)
    result: dict[str, Any] = {"data": data_set, "steps_per_pass": len(batches), "timings": timings}
    for clock in ("wall", "cpu"):
        new, old = timings["bf16-stream"][clock], timings["fp32-stream"][clock]
        result[f"{clock}_ms"] = {n: 1000 * statistics.median(timings[n][clock]) for n in models}
        result[f"{clock}_ratio"] = statistics.median(old) / statistics.median(new)
        result[f"{clock}_ratio_paired"] = statistics.median(
            o / n for o, n in zip(old, new, strict=True)
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument(
        "--data", choices=["number-words", "wmt-shaped"], action="append", help="default: both"
    )
    parser.add_argument("--quick", action="store_true", help="tiny config and data (a smoke run)")
    args = parser.parse_args()
    if args.reps < 1:
        parser.error("--reps must be >= 1")
    context = run_context()
    lines = []
    for data_set in args.data or ["number-words", "wmt-shaped"]:
        r = probe(data_set, args.reps, args.quick)
        lines.append(f"{data_set} ({r['steps_per_pass']} steps/pass, median of {args.reps}):")
        for clock in ("wall", "cpu"):
            ms = r[f"{clock}_ms"]
            lines.append(
                f"  {clock}: bf16-stream {ms['bf16-stream']:.1f} ms/step, fp32-stream "
                f"{ms['fp32-stream']:.1f}; fp32-stream/bf16-stream = {r[f'{clock}_ratio']:.3f} "
                f"(median of per-pass ratios: {r[f'{clock}_ratio_paired']:.3f})"
            )
    finish_context(context)
    print("\n".join([*context_lines(context), *lines]))


if __name__ == "__main__":
    main()
