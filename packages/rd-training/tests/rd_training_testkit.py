"""A tiny model, dataset and stateful sampler for rd-training's tests; also a CLI for subprocesses.

python rd_training_testkit.py train OUT_DIR [--max-steps N] [--sleep S] [--resume auto]
python rd_training_testkit.py ddp OUT_DIR        # 2 gloo ranks via torch.multiprocessing
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from rd_training import (
    Trainer,
    TrainerConfig,
    WarmupCosineLR,
    barrier,
    broadcast_object,
    build_optimizer,
    destroy_distributed,
    init_distributed_from_env,
    label_smoothed_cross_entropy,
    seed_everything,
)

VOCAB = 16
PAD = 0


class TinyLM(nn.Module):
    """Embedding -> dropout -> linear: enough to exercise RNG, optimizer state and tied weights."""

    def __init__(self, dim: int = 8, dropout: float = 0.1, tied: bool = False) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, VOCAB, bias=False)
        if tied:
            self.out.weight = self.embed.weight

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        return self.out(torch.tanh(self.hidden(self.drop(self.embed(src)))))


def make_dataset(n: int = 24, seed: int = 123) -> list[dict[str, list[int]]]:
    """Sequences of 2-7 tokens (ids 1..15) whose target is the next token, padded with 0."""
    rng = np.random.default_rng(seed)
    data = []
    for _ in range(n):
        seq = rng.integers(1, VOCAB, size=int(rng.integers(3, 9))).tolist()
        data.append({"src": seq[:-1], "tgt": seq[1:]})
    return data


def collate(examples: list[dict[str, list[int]]]) -> dict[str, torch.Tensor]:
    width = max(len(e["src"]) for e in examples)
    out = {}
    for key in ("src", "tgt"):
        out[key] = torch.tensor([e[key] + [PAD] * (width - len(e[key])) for e in examples])
    return out


class ShuffledBatchSampler:
    """Shuffles indices per epoch with its own RNG and yields batches; implements StatefulSampler."""

    def __init__(self, n: int, batch_size: int, seed: int = 0, rank: int = 0, replicas: int = 1):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.rank, self.replicas = rank, replicas
        self.epoch = 0
        self.position = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self.position = epoch, 0

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "position": self.position, "seed": self.seed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.position, self.seed = state["epoch"], state["position"], state["seed"]

    def _batches(self) -> list[list[int]]:
        order = np.random.default_rng(self.seed + self.epoch).permutation(self.n).tolist()
        batches = [order[i : i + self.batch_size] for i in range(0, self.n, self.batch_size)]
        return batches[self.rank :: self.replicas]

    def __iter__(self):
        batches = self._batches()
        while self.position < len(batches):
            self.position += 1
            yield batches[self.position - 1]

    def __len__(self) -> int:
        return len(self._batches())


def loss_fn(model: nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    logits = model(batch["src"])
    return label_smoothed_cross_entropy(logits, batch["tgt"], epsilon=0.1, ignore_index=PAD)


def make_trainer(
    out_dir: str | Path,
    *,
    dropout: float = 0.1,
    seed: int = 0,
    sampler=None,
    data=None,
    eval_fn=None,
    callbacks=(),
    **config: Any,
) -> Trainer:
    """A Trainer on the tiny task (AdamW + warmup-cosine); `config` overrides TrainerConfig."""
    seed_everything(seed)
    model = TinyLM(dropout=dropout)
    dataset = make_dataset()
    if data is None:
        sampler = sampler or ShuffledBatchSampler(len(dataset), batch_size=4, seed=seed)
        data = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
    settings: dict[str, Any] = {
        "max_steps": 30,
        "grad_accum_steps": 2,
        "log_every": 1000,
        "save_every": 5,
        "keep_last": 3,
        "seed": seed,
        "device": "cpu",
        "progress_bar": False,
        "tensorboard": False,
        "clip_grad_norm": 1.0,
    }
    settings.update(config)
    cfg = TrainerConfig(**settings)
    optimizer = build_optimizer(model, "adamw", lr=3e-2, weight_decay=0.01)
    scheduler = WarmupCosineLR(optimizer, warmup_steps=5, total_steps=cfg.max_steps or 100)
    return Trainer(
        model,
        cfg,
        train_data=data,
        loss_fn=loss_fn,
        optimizer=optimizer,
        scheduler=scheduler,
        out_dir=out_dir,
        sampler=sampler,
        eval_fn=eval_fn,
        callbacks=callbacks,
    )


def _train_cli(args: argparse.Namespace) -> None:
    fn = loss_fn
    if args.sleep:

        def fn(model, batch):  # slow steps so the test can kill the process mid-run
            time.sleep(args.sleep)
            return loss_fn(model, batch)

    trainer = make_trainer(args.out_dir, max_steps=args.max_steps, resume=args.resume)
    trainer.loss_fn = fn
    trainer.fit()


def _as_rank_of_two(rank: int, port: int) -> None:
    """torchrun's environment for `rank` of 2 on this machine, one thread each."""
    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE="2",
        OMP_NUM_THREADS="1",
    )
    torch.set_num_threads(1)


def ddp_caller_group_main(rank: int, out_dir: str, port: int) -> None:
    """A rank whose process group the caller creates: two fit()s, both must stay in sync."""
    _as_rank_of_two(rank, port)
    assert init_distributed_from_env(torch.device("cpu"))
    shard = ddp_batches()[rank::2]  # different batches per rank: only DDP keeps them in sync
    trainer = make_trainer(
        out_dir, dropout=0.0, data=shard, max_steps=2, grad_accum_steps=1, save_every=None
    )
    for max_steps in (2, 4):
        trainer.config.max_steps = max_steps
        trainer.fit()
        assert trainer.ddp_model is None  # freed at the end of each fit, the group is ours
        weights = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
        gathered = [torch.empty_like(weights) for _ in range(2)]
        torch.distributed.all_gather(gathered, weights)
        assert trainer.step == max_steps and torch.equal(gathered[0], gathered[1])
    destroy_distributed()


def ddp_batches() -> list[dict[str, torch.Tensor]]:
    """Fixed batches with different token counts: step k uses batches 2k and 2k+1."""
    data = make_dataset(n=32)
    return [collate(data[i : i + 4]) for i in range(0, 32, 4)]


DDP_EMA_DECAY = 0.75
"""The 2-rank test keeps an EMA too: every rank updates it alike, rank 0 checkpoints it."""


def ddp_rank_main(rank: int, out_dir: str, port: int) -> None:
    """One rank of the 2-process gloo test (started by torch.multiprocessing with spawn)."""
    _as_rank_of_two(rank, port)
    shard = ddp_batches()[rank::2]  # rank r gets micro-batch r of each global batch
    trainer = make_trainer(
        out_dir, dropout=0.0, data=shard, max_steps=4, grad_accum_steps=1, save_every=None,
        ema_decay=DDP_EMA_DECAY,
    )  # fmt: skip
    assert trainer.world_size == 2 and trainer.rank == rank
    assert broadcast_object({"from": rank}) == {"from": 0}  # rank 0's object on both ranks
    assert broadcast_object(rank, src=1) == 1
    barrier()
    trainer.fit()
    # fit() freed the DDP wrapper before destroying the process group; freed at interpreter
    # exit instead, its reducer hung a rank on Python 3.13.0. The rank now exits normally.
    assert trainer.ddp_model is None and trainer.train_model is trainer.model


if __name__ == "__main__":
    torch.set_num_threads(1)
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["train"])
    parser.add_argument("out_dir")
    parser.add_argument("--max-steps", type=int, default=30)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--resume", default=None)
    parsed = parser.parse_args()
    _train_cli(parsed)
    sys.exit(0)


def train_losses(out: str, compile: bool) -> list[float]:
    """Train TinyLM for 3 SGD steps (optionally compiled) into `out`; return the logged losses.

    Module-level so a spawned child process can run it (test_compile.py).
    """
    torch.manual_seed(0)
    model = TinyLM(dropout=0.0)
    batches = [collate(make_dataset()[i : i + 4]) for i in range(0, 12, 4)]
    config = TrainerConfig(
        max_steps=3, compile=compile, device="cpu", progress_bar=False, tensorboard=False
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    Trainer(
        model, config, train_data=batches, loss_fn=loss_fn, optimizer=optimizer, out_dir=out
    ).fit()
    lines = (Path(out) / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]
