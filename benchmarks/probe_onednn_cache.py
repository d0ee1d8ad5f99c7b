"""oneDNN's kernel cache and bf16 training on CPU: its default size against the Trainer's.

    uv run --all-packages python benchmarks/probe_onednn_cache.py [--reps 3] [--steps 150]
        [--warmup 400] [--capacities 1024,trainer] [--json PATH] [--quick]

oneDNN runs torch's bf16 matrix products on CPU and builds a kernel (a "primitive", ~0.5 ms) for
each new shape; it reads the size of its cache once per process. So each contender is a fresh
process: the paper's model on 50k WMT-shaped pairs (4096-token batches, bench_e2e.py) at bf16 in
the real Trainer, `--warmup` untimed steps, then `--steps` timed ones (real target tokens/s).
A number sets `ONEDNN_PRIMITIVE_CACHE_CAPACITY` (1024 is oneDNN's default); `trainer` leaves it
unset, for the Trainer to choose. The processes alternate, the order flipping every repetition;
reported: medians, and ratios against the first contender (of medians and per repetition).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_common import context_lines, finish_context, run_context

KEY = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"


def child(capacity: str, steps: int, warmup: int, quick: bool) -> dict[str, Any]:
    """One contender's run in this (fresh) process: warm-up round, then the timed round."""
    import torch
    from bench_e2e import (
        QUICK_OVERRIDES,
        WMT_PAIRS,
        WMT_QUICK_PAIRS,
        TrainerRounds,
        bench_config,
        bench_data,
        build_model,
    )

    # bench_common (imported by bench_e2e) sizes the cache for the other benchmarks: undo that,
    # and any value under oneDNN's older name.
    os.environ.pop("DNNL_PRIMITIVE_CACHE_CAPACITY", None)
    if capacity == "trainer":
        os.environ.pop(KEY, None)
    else:
        os.environ[KEY] = capacity
    overrides = [*(QUICK_OVERRIDES if quick else []), "training.precision=bf16"]
    cfg = bench_config("wmt-shaped", overrides)
    data, tokenizer = bench_data("wmt-shaped", cfg, WMT_QUICK_PAIRS if quick else WMT_PAIRS)
    torch.manual_seed(cfg.training.seed)
    model = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    with tempfile.TemporaryDirectory() as out:
        rounds = TrainerRounds(cfg, data, tokenizer, model, Path(out))
        rounds.round(warmup)
        measured = rounds.round(steps)
    return {
        "capacity": os.environ.get(KEY),  # what oneDNN was given (the Trainer's, for `trainer`)
        "tokens_per_s": measured["tokens"] / measured["seconds"],
        "ms_per_step": 1000 * measured["seconds"] / steps,
    }


def run_child(capacity: str, steps: int, warmup: int, quick: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", capacity, "--steps", str(steps)]
    cmd += ["--warmup", str(warmup), *(["--quick"] if quick else [])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"contender {capacity} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def probe(capacities: list[str], reps: int, steps: int, warmup: int, quick: bool) -> dict[str, Any]:
    """Alternating fresh-process runs of every contender; medians and ratios to the first."""
    runs: dict[str, list[dict[str, Any]]] = {c: [] for c in capacities}
    for rep in range(reps):
        for capacity in capacities if rep % 2 == 0 else capacities[::-1]:
            runs[capacity].append(run_child(capacity, steps, warmup, quick))
    base = capacities[0]
    results = {}
    for capacity, measured in runs.items():
        tps = [r["tokens_per_s"] for r in measured]
        base_tps = [r["tokens_per_s"] for r in runs[base]]
        results[capacity] = {
            "given": measured[0]["capacity"],
            "tokens_per_s": statistics.median(tps),
            "ms_per_step": statistics.median(r["ms_per_step"] for r in measured),
            "ratio": statistics.median(tps) / statistics.median(base_tps),
            "ratio_paired": statistics.median(a / b for a, b in zip(tps, base_tps, strict=True)),
        }
    return {"steps": steps, "warmup": warmup, "runs": runs, "results": results}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps", type=int, default=3, help="fresh processes per contender, alternating (default 3)"
    )
    parser.add_argument("--steps", type=int, help="timed steps per run (default 150; quick 3)")
    parser.add_argument("--warmup", type=int, help="untimed steps first (default 400; quick 1)")
    parser.add_argument(
        "--capacities",
        default="1024,trainer",
        help="comma-separated cache sizes; `trainer`: leave it to the Trainer",
    )
    parser.add_argument("--json", type=Path, help="also write everything here")
    parser.add_argument("--quick", action="store_true", help="tiny config and data (a smoke run)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps = args.steps if args.steps is not None else (3 if args.quick else 150)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 400)
    if args.child is not None:
        print(json.dumps(child(args.child, steps, warmup, args.quick)))
        return
    capacities = [c.strip() for c in args.capacities.split(",") if c.strip()]
    bad = [c for c in capacities if c != "trainer" and not (c.isdigit() and int(c) > 0)]
    if bad or not capacities:
        parser.error(f"--capacities: positive integers or `trainer`, got {args.capacities!r}")
    if len(set(capacities)) != len(capacities):
        parser.error(f"--capacities: each at most once, got {args.capacities!r}")
    if args.reps < 1 or steps < 1 or warmup < 0:
        parser.error("--reps and --steps must be >= 1, --warmup >= 0")

    context = run_context()
    result = probe(capacities, args.reps, steps, warmup, args.quick)
    finish_context(context)
    lines = [
        *context_lines(context),
        f"WMT-shaped bf16, the real Trainer: {warmup} warm-up steps, then {steps} timed; median of "
        f"{args.reps} alternating fresh processes",
    ]
    for name, r in result["results"].items():
        lines.append(
            f"  {name:8s} (cache {r['given']}): {r['tokens_per_s']:9,.0f} real target tok/s, "
            f"{r['ms_per_step']:6.1f} ms/step; /{capacities[0]} {r['ratio']:.2f}x "
            f"(per repetition {r['ratio_paired']:.2f}x)"
        )
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps({**context, **result}, indent=2))


if __name__ == "__main__":
    main()
