"""fp32 against bf16 autocast for the same pipeline, side by side in one process.

    uv run --all-packages --group bench python benchmarks/probe_precision.py [--reps 5]
        [--steps 20] [--data number-words|wmt-shaped] [--quick]

The e2e section compares contenders at one precision. This asks the other question: does
`training.precision=bf16` pay on this machine, for the paper's pipeline and for Marian in it?
Each contender is `bench_e2e.TrainerRounds` (the real Trainer on the paper's token-budget
batches) at fp32 and at bf16 on its own copy of the same initial weights, alternating rounds.
Reports real target tokens/s per contender, bf16/fp32 for each model, and ours against
Marian with each at its faster precision.

`paper-bf16-fp32res` is the paper at bf16 with rd-models' residual stream kept in fp32 (its
embeddings computed with autocast off on that one model instance, as before rd-models kept the
stream in bf16 under CPU bf16 autocast): `paper-bf16/paper-bf16-fp32res` is what that policy
gains in the real pipeline. Ratios are given as the ratio of the medians and as the median of
the per-repetition ratios.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: F401  (first: it sizes oneDNN's cache before torch loads)
import torch
from bench_common import (
    alternate,
    context_lines,
    finish_context,
    paired_ratio,
    ratio,
    run_context,
)
from bench_e2e import (
    QUICK_OVERRIDES,
    WMT_PAIRS,
    WMT_QUICK_PAIRS,
    TrainerRounds,
    bench_config,
    bench_data,
    build_model,
)
from bench_peer import MarianTranslator, transformers_available

from rd_models import Transformer

PRECISIONS = ("fp32", "bf16")


def keep_fp32_residual(model: Transformer) -> Transformer:
    """This instance's residual stream stays fp32 under CPU bf16 autocast, as it was before
    rd-models kept it in bf16: its embeddings are computed with autocast off (the embedding
    lookup, scaling and positions are fp32 under autocast anyway), so they come out fp32."""
    embed = model._embed  # the bound method; fails loudly if rd-models renames it

    def fp32_embed(
        embedding: torch.nn.Embedding, ids: torch.Tensor, offset: int = 0
    ) -> torch.Tensor:
        with torch.autocast("cpu", enabled=False):
            return embed(embedding, ids, offset)

    model._embed = fp32_embed  # type: ignore[method-assign]
    return model


def probe(data_set: str, reps: int, steps: int, quick: bool) -> dict[str, Any]:
    """Tokens/s of the paper (and Marian, with transformers) at fp32 and bf16 on `data_set`."""
    base = [*QUICK_OVERRIDES] if quick else []
    cfgs = {p: bench_config(data_set, [*base, f"training.precision={p}"]) for p in PRECISIONS}
    cfg = cfgs["fp32"]
    data, tokenizer = bench_data(data_set, cfg, WMT_QUICK_PAIRS if quick else WMT_PAIRS)

    torch.manual_seed(cfg.training.seed)
    initial = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id).state_dict()
    models = ["paper"] + (["marian"] if transformers_available() else [])
    out = Path(tempfile.mkdtemp(prefix="rd-probe-precision-"))
    contenders = {}
    variants = [(m, p) for m in models for p in PRECISIONS]
    variants.insert(2, ("paper", "bf16-fp32res"))
    for name, precision in variants:
        ours = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
        ours.load_state_dict(initial)
        model: torch.nn.Module = ours
        if name == "marian":
            model = MarianTranslator(ours, tokenizer.bos_id, tokenizer.eos_id)
        elif precision == "bf16-fp32res":
            model = keep_fp32_residual(ours)
        key = f"{name}-{precision}"
        cfg_p = cfgs[precision.split("-")[0]]
        rounds = TrainerRounds(cfg_p, data, tokenizer, model, out / key)
        contenders[key] = lambda r=rounds: r.round(steps)
    try:
        results = alternate(contenders, reps)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    pairs = [(f"{m}-bf16", f"{m}-fp32", "") for m in models]
    pairs.append(("paper-bf16", "paper-bf16-fp32res", ""))
    if "marian" in models:
        best = {
            m: max(PRECISIONS, key=lambda p: results[f"{m}-{p}"]["tokens_per_s"]) for m in models
        }
        pairs.append(
            (
                f"paper-{best['paper']}",
                f"marian-{best['marian']}",
                " (each at its faster precision)",
            )
        )
    ratios = {f"{a}/{b}{note}": ratio(results, a, b) for a, b, note in pairs}
    ratios_paired = {f"{a}/{b}{note}": paired_ratio(results, a, b) for a, b, note in pairs}
    return {
        "data": data_set,
        "steps_per_round": steps,
        "contenders": results,
        "ratios": ratios,
        "ratios_paired": ratios_paired,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument(
        "--data", choices=["number-words", "wmt-shaped"], action="append", help="default: both"
    )
    parser.add_argument("--quick", action="store_true", help="tiny config and data (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.reps < 1 or args.steps < 1:
        parser.error("--reps and --steps must be >= 1")
    if not transformers_available():
        print("marian skipped: transformers not installed (uv run --group bench ...)")
    context = run_context()
    probes = []
    lines = []
    for data_set in args.data or ["number-words", "wmt-shaped"]:
        result = probe(data_set, args.reps, args.steps, args.quick)
        probes.append(result)
        lines.append(f"{data_set} ({args.steps} steps/round, median of {args.reps}):")
        for name, r in result["contenders"].items():
            ms = 1000 * r["seconds"] / args.steps
            lines.append(
                f"  {name:18s} {r['tokens_per_s']:9,.0f} real tgt tok/s  ({ms:.1f} ms/step)"
            )
        for name, value in result["ratios"].items():
            paired = result["ratios_paired"][name]
            lines.append(f"  {name} = {value:.3f} (median of per-repetition ratios: {paired:.3f})")
    finish_context(context)
    print("\n".join([*context_lines(context), *lines]))
    if args.json:
        args.json.write_text(json.dumps({**context, "probes": probes}, indent=1))


if __name__ == "__main__":
    main()
