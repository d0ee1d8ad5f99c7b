"""paper-resnet's default run: images/s of the real Trainer beside a plain PyTorch loop.

Both train the same ResNet (same initial weights) on the same batches: `paper_resnet`'s data
pipeline on the digits (per-pixel mean, padding + random crop), SGD with momentum and weight
decay, the step-decay schedule. `paper` is `rd_training.Trainer` with the run's settings (no
evaluation or checkpoint inside a round); `plain` is a bare loop (`F.cross_entropy`,
`backward`, `step`). Each variant also runs with the model and batches channels-last, and under
CPU bf16 autocast. Rounds alternate (bench_common.alternate); the ratio is paper / plain.

    uv run --all-packages python benchmarks/bench_resnet.py            # ~2 min on 2 cores
    uv run --all-packages python benchmarks/bench_resnet.py --quick    # a few seconds
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from bench_common import alternate, context_lines, finish_context, paired_ratio, ratio, run_context
from paper_resnet.config import DEFAULT_CONFIG, Config
from paper_resnet.data import ImageData, load_splits, make_data
from paper_resnet.pipeline import build_model, loss_fn

from rd_training import StepDecayLR, Trainer, autocast, build_optimizer, load_config

VARIANTS = {"fp32": ("fp32", False), "channels-last": ("fp32", True), "bf16": ("bf16", False)}
"""Name -> (precision, channels-last)."""


class ChannelsLast:
    """The batches of `batches` with their images channels-last (`batch_sampler` passed on)."""

    def __init__(self, batches: Any) -> None:
        self.batches, self.batch_sampler = batches, batches.batch_sampler

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        for batch in self.batches:
            yield {**batch, "image": batch["image"].contiguous(memory_format=torch.channels_last)}


class Timed:
    """The batches of `batches`, timing `steps` steps: from asking for the first batch to asking
    for the one after the last (a Trainer's once-per-run set-up stays outside, as in bench_e2e)."""

    def __init__(self, batches: Any, steps: int) -> None:
        self.batches, self.batch_sampler, self.steps = batches, batches.batch_sampler, steps
        self.start = self.end = 0.0

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        handed = 0
        while True:  # across epochs, until the consumer stops asking
            for batch in self.batches:
                now = time.perf_counter()
                if handed == 0:
                    self.start = now
                if handed == self.steps:
                    self.end = now
                handed += 1
                yield batch
            if handed > self.steps:
                return

    def measure(self, images: int) -> dict[str, float]:
        return {"tokens": images, "seconds": self.end - self.start}


def _optimizer(cfg: Config, model: torch.nn.Module) -> tuple[Any, Any]:
    o = cfg.optim
    opt = build_optimizer(model, "sgd", lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)
    return opt, StepDecayLR(opt, o.milestones)


def paper_round(cfg: Config, data: Any, model: torch.nn.Module, steps: int) -> Callable[[], Any]:
    """A round of `steps` optimizer steps through the real Trainer (a new one each round)."""
    optimizer, scheduler = _optimizer(cfg, model)
    out = Path(tempfile.mkdtemp(prefix="bench-resnet-"))
    settings = dataclasses.replace(
        cfg.training, max_steps=steps + 1, eval_every=None, save_every=None, best_metric=None,
        log_every=10**9, progress_bar=False, tensorboard=False, device="cpu",
    )  # fmt: skip

    def run() -> dict[str, float]:
        timed = Timed(data, steps)
        trainer = Trainer(
            model, settings, train_data=timed, loss_fn=loss_fn, optimizer=optimizer,
            scheduler=scheduler, out_dir=out / str(time.monotonic_ns()),
        )  # fmt: skip
        trainer.fit()
        return timed.measure(steps * cfg.data.batch_size)

    return run


def plain_round(cfg: Config, data: Any, model: torch.nn.Module, steps: int) -> Callable[[], Any]:
    """The same steps in a bare loop over the same batches."""
    optimizer, scheduler = _optimizer(cfg, model)
    device, precision = torch.device("cpu"), cfg.training.precision

    def run() -> dict[str, float]:
        timed = Timed(data, steps)
        model.train()
        for done, batch in enumerate(timed):
            if done == steps:
                break
            with autocast(device, precision):
                loss = F.cross_entropy(model(batch["image"]).float(), batch["label"])
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        return timed.measure(steps * cfg.data.batch_size)

    return run


def bench_variant(cfg: Config, data: ImageData, name: str, reps: int, steps: int) -> dict[str, Any]:
    """paper vs plain for one variant, from the same initial weights."""
    precision, channels_last = VARIANTS[name]
    cfg = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, precision=precision))
    torch.manual_seed(0)
    model = build_model(cfg, data)
    batches: Any = data.train
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        batches = ChannelsLast(batches)
    twin = copy.deepcopy(model)
    results = alternate(
        {
            "paper": paper_round(cfg, batches, model, steps),
            "plain": plain_round(cfg, batches, twin, steps),
        },
        reps,
    )
    return {
        "images_per_s": {k: round(v["tokens_per_s"], 1) for k, v in results.items()},
        "best_images_per_s": {k: round(v["best_tokens_per_s"], 1) for k, v in results.items()},
        "ratio_paper_over_plain": round(ratio(results, "paper", "plain"), 3),
        "paired_ratio": round(paired_ratio(results, "paper", "plain"), 3),
        "rounds": {k: v["rounds"] for k, v in results.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="ResNet-8, 2 reps of 5 steps")
    parser.add_argument("--reps", type=int, default=5, help="timed rounds per contender")
    parser.add_argument("--steps", type=int, default=40, help="optimizer steps per round")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="fp32,channels-last,bf16")
    parser.add_argument("--json", type=Path, help="write everything, per round")
    args = parser.parse_args(argv)
    names = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown or not names:
        parser.error(f"--variants: unknown {unknown}; choose from {','.join(VARIANTS)}")
    if args.reps < 1 or args.steps < 1:
        parser.error("--reps and --steps must be >= 1")
    reps, steps = (2, 5) if args.quick else (args.reps, args.steps)
    context = run_context()
    cfg = load_config(DEFAULT_CONFIG, Config, ["model.depth=8"] if args.quick else [])
    data = make_data(cfg.data, load_splits(cfg.data))
    report = {"context": context, "depth": cfg.model.depth, "reps": reps, "steps": steps}
    report["variants"] = {name: bench_variant(cfg, data, name, reps, steps) for name in names}
    finish_context(context)
    print("\n".join(context_lines(context)))
    print(
        f"ResNet-{cfg.model.depth} on 8x8 digits, batch {cfg.data.batch_size}, {steps} steps/round"
    )
    for name, r in report["variants"].items():
        ips = r["images_per_s"]
        print(
            f"  {name:<14} paper {ips['paper']:8.0f} img/s   plain {ips['plain']:8.0f} img/s   "
            f"paper/plain {r['ratio_paper_over_plain']:.3f} (paired {r['paired_ratio']:.3f})"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
