"""Shared pieces of the benchmark suite: alternating timing rounds, medians, the reused benchmark.

Every section hands `alternate` a few contenders; each repetition runs every contender once, in
an order that flips every repetition, so slow drift of the (shared) machine hits all of them
alike. A contender's round returns what it measured; the medians over repetitions are reported.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Contenders alternate in one process. oneDNN, which runs torch's bf16 matrix products on the
# CPU, keeps 1024 kernel primitives by default (one per shape); with several models on varying
# batch shapes one contender's primitives would evict another's and each round would pay to
# rebuild them. Set before torch first uses oneDNN; the scripts import this module before torch.
# A value set under either name (DNNL_ is the older) wins.
if not {"ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY"} & os.environ.keys():
    os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = "16384"

Round = Callable[[], dict[str, float]]
"""One timed round of a contender: returns at least `seconds` and `tokens` (real target tokens)."""


def alternate(contenders: dict[str, Round], reps: int, warmup: int = 1) -> dict[str, Any]:
    """Run `warmup` untimed rounds of each contender, then `reps` alternating timed rounds.

    Returns:
        `{name: {"tokens_per_s": median, "best_tokens_per_s": max, "seconds": median,
        "rounds": [round dicts]}}`. The best round is what the code can do when no other
        process steals a core; the median is what a shared machine gives.
    """
    for run in contenders.values():
        for _ in range(warmup):
            run()
    rounds: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
    names = list(contenders)
    for rep in range(reps):
        for name in names if rep % 2 == 0 else names[::-1]:
            rounds[name].append(contenders[name]())
    results: dict[str, Any] = {}
    for name, measured in rounds.items():
        results[name] = {
            "tokens_per_s": statistics.median(r["tokens"] / r["seconds"] for r in measured),
            "best_tokens_per_s": max(r["tokens"] / r["seconds"] for r in measured),
            "seconds": statistics.median(r["seconds"] for r in measured),
            "rounds": measured,
        }
    return results


def ratio(results: dict[str, Any], ours: str, theirs: str, key: str = "tokens_per_s") -> float:
    """`ours / theirs` of a throughput (> 1: ours is faster)."""
    return float(results[ours][key] / results[theirs][key])


def paired_ratio(results: dict[str, Any], ours: str, theirs: str) -> float:
    """The median over repetitions of `ours / theirs` in that repetition's rounds (which ran
    within seconds of each other): a throughput ratio that the machine's slow drift affects less
    than the ratio of the two medians."""

    def tps(name: str) -> list[float]:
        return [r["tokens"] / r["seconds"] for r in results[name]["rounds"]]

    return float(statistics.median(a / b for a, b in zip(tps(ours), tps(theirs), strict=True)))


def load_member_benchmark(member: str, module: str) -> ModuleType:
    """`packages/<member>/benchmarks/<module>.py`, imported once (benchmarks are not packages)."""
    path = ROOT / "packages" / member / "benchmarks" / f"{module}.py"
    name = f"{member.replace('-', '_')}_bench_{module}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def load_rd_models_benchmark() -> ModuleType:
    """`packages/rd-models/benchmarks/bench_transformer.py` (the torch.nn contender lives there)."""
    return load_member_benchmark("rd-models", "bench_transformer")


def run_context() -> dict[str, Any]:
    """Where and when a benchmark ran: machine, date, command line and git state. Call
    `finish_context` at the end for the load average then."""
    import torch

    return {
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(),
            "cuda": torch.cuda.is_available(),
            "load_avg_start": os.getloadavg(),
        },
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(sys.argv),
        "git": git_state(),
    }


def finish_context(context: dict[str, Any]) -> None:
    context["machine"]["load_avg_end"] = os.getloadavg()


def context_lines(context: dict[str, Any]) -> list[str]:
    """The two header lines of a report."""
    m = context["machine"]
    return [
        f"{context['date']}; {m['platform']}; {m['cpu_count']} CPUs, torch {m['torch']} "
        f"({m['torch_threads']} threads), Python {m['python']}; load "
        f"{m['load_avg_start'][0]:.2f} -> {m['load_avg_end'][0]:.2f}",
        f"command: {context['command']}; git {context['git']}",
    ]


def git_state() -> str:
    """HEAD and whether member sources differ from it (others may be editing them)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "packages", "papers"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
        changed = sorted({line[3:] for line in dirty if line.strip()})
        return head + (f" + uncommitted {', '.join(changed)}" if changed else "")
    except OSError:
        return "unknown"
