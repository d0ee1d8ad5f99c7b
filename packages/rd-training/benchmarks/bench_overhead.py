"""Trainer overhead per optimizer step vs a bare hand-written loop doing the same work.

Both run the same tiny model, batches, loss (label-smoothed CE, token-normalised over 2
micro-batches), clipping, AdamW and a warmup schedule. Rounds alternate bare / Trainer in one
process; each step's wall time is measured (the Trainer's from its metrics.jsonl timestamps, so its
per-step logging, signal checks and bookkeeping are included; one-off setup and the final checkpoint
are not). Reports medians and the overhead ratio (goal: <= 5%).

    uv run python packages/rd-training/benchmarks/bench_overhead.py [--steps 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from rd_training import (
    Trainer,
    TrainerConfig,
    WarmupCosineLR,
    build_optimizer,
    label_smoothed_cross_entropy,
)

VOCAB, DIM, BATCH, SEQ, ACCUM = 256, 64, 16, 16, 2


class TinyModel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, DIM)
        self.ff = nn.Sequential(nn.Linear(DIM, 4 * DIM), nn.ReLU(), nn.Linear(4 * DIM, DIM))
        self.out = nn.Linear(DIM, VOCAB)

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        x = self.embed(src)
        return self.out(x + self.ff(x))


def loss_fn(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return label_smoothed_cross_entropy(model(batch["src"]), batch["tgt"], 0.1, ignore_index=0)


def make_batches(n: int = 8) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [
        {
            "src": torch.randint(1, VOCAB, (BATCH, SEQ), generator=g),
            "tgt": torch.randint(0, VOCAB, (BATCH, SEQ), generator=g),
        }
        for _ in range(n)
    ]


def setup(steps: int) -> tuple[nn.Module, torch.optim.Optimizer, WarmupCosineLR]:
    torch.manual_seed(0)
    model = TinyModel()
    optimizer = build_optimizer(model, "adamw", lr=1e-3)
    return model, optimizer, WarmupCosineLR(optimizer, warmup_steps=10, total_steps=steps)


def bare_loop(steps: int, batches: list[dict[str, torch.Tensor]]) -> list[float]:
    """The hand-written loop: the same work with no logging, checkpoints or bookkeeping."""
    model, optimizer, scheduler = setup(steps)
    model.train()
    times, i = [], 0
    last = time.perf_counter()
    for _ in range(steps):
        loss_sum = torch.zeros((), dtype=torch.float64)
        tokens = torch.zeros((), dtype=torch.float64)
        for _ in range(ACCUM):
            loss, ntok = loss_fn(model, batches[i % len(batches)])
            i += 1
            loss.backward()
            loss_sum += loss.detach().double()
            tokens += ntok
        total_loss, total_tokens = torch.stack([loss_sum, tokens]).tolist()
        assert total_loss == total_loss  # the same per-step NaN check the Trainer does
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        torch._foreach_mul_(grads, 1.0 / total_tokens)
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        now = time.perf_counter()
        times.append(now - last)
        last = now
    return times[1:]  # the first step includes warm-up effects


def trainer_loop(steps: int, batches: list[dict[str, torch.Tensor]]) -> list[float]:
    """The same work through Trainer (metrics.jsonl every step, final checkpoint excluded)."""
    model, optimizer, scheduler = setup(steps)
    with tempfile.TemporaryDirectory() as out:
        config = TrainerConfig(
            max_steps=steps,
            grad_accum_steps=ACCUM,
            clip_grad_norm=1.0,
            device="cpu",
            log_every=100,
            save_every=None,
            progress_bar=False,
            tensorboard=False,
        )
        trainer = Trainer(
            model,
            config,
            train_data=batches,
            loss_fn=loss_fn,
            optimizer=optimizer,
            scheduler=scheduler,
            out_dir=out,
        )
        trainer.fit()
        lines = (Path(out) / "metrics.jsonl").read_text().splitlines()
    stamps = [r["time"] for r in map(json.loads, lines) if r["split"] == "train"]
    return [b - a for a, b in itertools.pairwise(stamps[1:])]  # skip the first step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    batches = make_batches()
    bare_loop(20, batches)  # warm up both paths (allocator, lazy imports)
    trainer_loop(20, batches)
    bare_all, trainer_all = [], []
    for r in range(args.rounds):
        bare, trainer = bare_loop(args.steps, batches), trainer_loop(args.steps, batches)
        bare_all += bare
        trainer_all += trainer
        b, t = statistics.median(bare), statistics.median(trainer)
        print(
            f"round {r + 1}: bare {b * 1e3:.3f} ms/step | Trainer {t * 1e3:.3f} ms/step "
            f"| overhead {100 * (t / b - 1):+.2f}%"
        )
    b, t = statistics.median(bare_all), statistics.median(trainer_all)
    print(
        f"median over {args.rounds} x {args.steps} steps: bare {b * 1e3:.3f} ms/step | "
        f"Trainer {t * 1e3:.3f} ms/step | ratio {t / b:.4f} "
        f"(overhead {100 * (t / b - 1):+.2f}%, {(t - b) * 1e6:+.0f} us/step)"
    )


if __name__ == "__main__":
    main()
