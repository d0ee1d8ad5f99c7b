"""The benchmark suite of issue 9: rd-* against torch.nn.Transformer, a plain loop and HF Marian.

    uv run --group bench python benchmarks/run.py            # full run (~10 min on 2 cores)
    uv run --group bench python benchmarks/run.py --quick    # tiny shapes, seconds
    uv run python benchmarks/run.py --quick                  # without transformers: no Marian

Sections (each alternates its contenders over repetitions; medians and ratios are printed, and
written as JSON with --json):
- model: rd_models.Transformer vs torch.nn.Transformer, forward+backward+Adam (bench_model.py),
  at fp32 or (`--model-precision bf16`) both under CPU bf16 autocast;
- e2e: paper-transformer's Trainer pipeline vs a plain nn.Transformer loop on random batches,
  and vs Hugging Face MarianMTModel in the same pipeline (bench_e2e.py, bench_peer.py), on the
  embedded number-words task;
- e2e-wmt: the same on WMT-shaped sentence lengths (random ids, 50k pairs, 4096-token batches);
- startup: `train --help` and `import rd_*` in fresh processes (bench_startup.py).
See benchmarks/README.md for the recorded results.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common  # noqa: F401  (first: it sizes oneDNN's cache before torch loads)
import torch
from bench_common import context_lines, finish_context, run_context
from bench_e2e import QUICK_OVERRIDES, WMT_PAIRS, WMT_QUICK_PAIRS, bench_config, bench_end_to_end
from bench_model import PRECISIONS, QUICK_SHAPES, SHAPES, bench_model
from bench_startup import bench_startup
from paper_transformer.errors import UserError

SECTIONS = ("model", "e2e", "e2e-wmt", "startup")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny shapes, 2 reps (a smoke run)")
    parser.add_argument("--reps", type=int, help="repetitions per section (default 7; quick 2)")
    parser.add_argument("--steps", type=int, help="optimizer steps per e2e round (default 20)")
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated: model,e2e,e2e-wmt,startup",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the Marian contender")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--set", action="append", default=[], help="extra e2e config override")
    parser.add_argument(
        "--model-precision",
        choices=PRECISIONS,
        default="fp32",
        help="the model section's precision (bf16: CPU autocast for both models; default fp32)",
    )
    parser.add_argument("--threads", type=int, help="torch.set_num_threads (default: torch's)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections.split(",") if name not in SECTIONS]
    if unknown or not args.sections:
        parser.error(f"--sections: unknown {unknown}; choose from {','.join(SECTIONS)}")
    for flag in ("reps", "steps", "threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            parser.error(f"--{flag} must be >= 1, got {value}")
    overrides = [*(QUICK_OVERRIDES if args.quick else []), *args.set]
    sections = args.sections.split(",")
    for section, data_set in (("e2e", "number-words"), ("e2e-wmt", "wmt-shaped")):
        if section not in sections:
            continue
        try:  # a wrong --set fails here in one line, not after the model section
            bench_config(data_set, overrides)
        except (ValueError, UserError) as e:  # rd_training's ConfigError is a ValueError
            parser.error(f"--set: {e}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    reps = args.reps or (2 if args.quick else 7)
    sections = set(args.sections.split(","))
    if args.threads:
        torch.set_num_threads(args.threads)
    results: dict[str, Any] = {**run_context(), "quick": args.quick}
    if "model" in sections:
        shapes = QUICK_SHAPES if args.quick else SHAPES
        results["model"] = {
            name: bench_model(shape, reps, args.model_precision) for name, shape in shapes.items()
        }
    overrides = [*(QUICK_OVERRIDES if args.quick else []), *args.set]
    steps = args.steps or (2 if args.quick else 20)
    if "e2e" in sections:
        results["e2e"] = bench_end_to_end(overrides, reps, steps, peer=not args.no_peer)
    if "e2e-wmt" in sections:
        pairs = WMT_QUICK_PAIRS if args.quick else WMT_PAIRS
        results["e2e_wmt"] = bench_end_to_end(
            overrides, reps, steps, peer=not args.no_peer, data_set="wmt-shaped", pairs=pairs
        )
    if "startup" in sections:
        results["startup"] = bench_startup(1 if args.quick else reps, torch_baseline=not args.quick)
    finish_context(results)
    results["goals"] = check_goals(results)
    return results


def check_goals(results: dict[str, Any]) -> dict[str, bool | None]:
    """Each goal of issue 9: True / False, or None where the run did not measure it."""
    goals: dict[str, bool | None] = {}
    e2e, model, startup = results.get("e2e"), results.get("model"), results.get("startup")
    goals["e2e paper/plain >= 1.5"] = e2e["ratios"]["paper/plain"] >= 1.5 if e2e else None
    precision = next(iter(model.values()))["precision"] if model else "fp32"
    goals[f"model rd_models/torch.nn >= 1.0 (every shape, {precision})"] = (
        all(m["ratio"] >= 1.0 for m in model.values()) if model else None
    )
    marian = e2e["ratios"].get("paper/marian") if e2e else None
    goals["e2e paper/marian >= 1.3"] = marian >= 1.3 if marian is not None else None
    goals["padding waste <= 5%"] = e2e["padding_waste"]["paper"] <= 0.05 if e2e else None
    wmt = results.get("e2e_wmt")
    goals["e2e paper/plain >= 1.5 (WMT-shaped lengths)"] = (
        wmt["ratios"]["paper/plain"] >= 1.5 if wmt else None
    )
    wmt_marian = wmt["ratios"].get("paper/marian") if wmt else None
    goals["e2e paper/marian >= 1.3 (WMT-shaped lengths)"] = (
        wmt_marian >= 1.3 if wmt_marian is not None else None
    )
    goals["padding waste <= 5% (WMT-shaped lengths)"] = (
        wmt["padding_waste"]["paper"] <= 0.05 if wmt else None
    )
    help_s = startup["seconds"].get("train --help") if startup else None
    goals["train --help < 1 s"] = help_s < 1.0 if help_s is not None else None
    return goals


def report(results: dict[str, Any]) -> str:
    lines = context_lines(results)
    for name, r in results.get("model", {}).items():
        c = r["contenders"]
        s = r["shape"]
        lines.append(
            f"model {name} at {r['precision']} (d {s['d_model']}, {s['layers']}+{s['layers']} "
            f"layers, vocab "
            f"{s['vocab']}, batch {s['batch']}x{s['length']}, {r['parameters']:,} params): "
            f"rd_models {c['rd_models']['tokens_per_s']:,.0f} tgt tok/s, torch.nn "
            f"{c['torch.nn']['tokens_per_s']:,.0f} -> ratio {r['ratio']:.3f} (medians; best "
            f"rounds {c['rd_models']['best_tokens_per_s']:,.0f} / "
            f"{c['torch.nn']['best_tokens_per_s']:,.0f} = {r['ratio_best']:.3f})"
        )
    for key in ("e2e", "e2e_wmt"):
        if key in results:
            lines.extend(_e2e_lines(results[key]))
    if "startup" in results:
        s = results["startup"]
        for name, sec in s["seconds"].items():
            net = s["import_net_s"].get(name.removeprefix("import "))
            over = s["import_net_of_torch_s"].get(name.removeprefix("import "))
            extra = f" (minus python start {net:.3f} s" if net is not None else ""
            # Only members that import torch take longer than torch: show what they add to it.
            if over is not None and over > 0:
                extra += f"; minus import torch {over:.3f} s"
            extra += ")" if extra else ""
            lines.append(f"startup {name:20s} {sec:.3f} s{extra}")
    for goal, met in results["goals"].items():
        lines.append(
            f"goal {goal}: {'not measured' if met is None else 'MET' if met else 'MISSED'}"
        )
    return "\n".join(lines)


def _e2e_lines(e: dict[str, Any]) -> list[str]:
    lines = [
        f"e2e {e['config']['data']} ({e['config']['train_pairs']:,} pairs, "
        f"{e['config']['parameters']:,} params, max_tokens {e['config']['max_tokens']}, "
        f"{e['config']['steps_per_round']} steps/round): real target tokens/s, padding waste"
    ]
    for name, c in e["contenders"].items():
        waste = e["padding_waste"].get(name, e["padding_waste"]["paper"])
        lines.append(
            f"  {name:7s} {c['tokens_per_s']:10,.0f}  best {c['best_tokens_per_s']:10,.0f}  "
            f"({1000 * c['seconds'] / e['config']['steps_per_round']:.1f} ms/step, "
            f"waste {100 * waste:.1f}%)"
        )
    for name, ratio in e["ratios"].items():
        lines.append(
            f"  ratio {name} = {ratio:.3f} (medians; best rounds: {e['ratios_best'][name]:.3f}; "
            f"median of per-repetition ratios: {e['ratios_paired'][name]:.3f})"
        )
    if e["peer_skipped"]:
        lines.append(f"  marian skipped: {e['peer_skipped']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = run(args)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
