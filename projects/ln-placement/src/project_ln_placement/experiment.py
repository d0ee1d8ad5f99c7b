"""Train one Transformer per LayerNorm placement (and seed) on the same data, then compare.

Everything but `norm_first` is shared: data, initial seed, optimizer, schedule and step count.
Each run is an ordinary rd-training run directory (metrics.jsonl, manifest.json, checkpoints/),
so rd-viz can overlay them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch

from project_ln_placement.config import PLACEMENTS, VARIANTS, ExperimentConfig
from project_ln_placement.task import BOS, EOS, PAD, ReversalTask
from rd_models import Transformer, greedy_search, shift_right
from rd_training import (
    MetricsLogger,
    NonFiniteLossError,
    Trainer,
    WarmupLinearLR,
    build_optimizer,
    label_smoothed_cross_entropy,
    move_to_device,
    resolve_device,
    seed_everything,
)
from rd_viz import plot_run_comparison, plot_training_curves

log = logging.getLogger("project_ln_placement")


def build_model(cfg: ExperimentConfig, task: ReversalTask, norm_first: bool) -> Transformer:
    """`cfg.model` with the task's vocabulary and length and the variant's placement."""
    return Transformer(
        dataclasses.replace(
            cfg.model,
            src_vocab_size=task.vocab_size,
            tgt_vocab_size=task.vocab_size,
            pad_id=PAD,
            max_len=task.max_len + 2,
            norm_first=norm_first,
        )
    )


def make_optimizer(cfg: ExperimentConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    """Adam with the Transformer paper's epsilon."""
    return build_optimizer(model, "adam", lr=cfg.optim.lr, betas=(0.9, cfg.optim.beta2), eps=1e-9)


def check_device(cfg: ExperimentConfig) -> None:
    """The one check a config cannot make itself: this machine has `training.device`.

    Raises:
        ValueError: one line naming the key (a `ConfigError`).
    """
    resolve_device(cfg.training.device, "training.device")


def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, Any]:
    """Cross-entropy summed over target tokens (the Trainer divides by the token count)."""
    logits = model(batch["src"], shift_right(batch["tgt"], BOS))
    return label_smoothed_cross_entropy(logits, batch["tgt"], 0.0, ignore_index=PAD)


def make_eval_fn(valid: dict[str, torch.Tensor]) -> Any:
    """Teacher-forced validation loss and token accuracy (cheap enough to run often)."""

    def eval_fn(model: torch.nn.Module, step: int) -> dict[str, float]:
        batch = move_to_device(valid, next(model.parameters()).device)
        with torch.no_grad():
            logits = model(batch["src"], shift_right(batch["tgt"], BOS))
        loss, tokens = label_smoothed_cross_entropy(logits, batch["tgt"], 0.0, ignore_index=PAD)
        mask = batch["tgt"] != PAD
        correct = ((logits.argmax(-1) == batch["tgt"]) & mask).sum()
        return {"loss": loss.item() / tokens.item(), "accuracy": correct.item() / tokens.item()}

    return eval_fn


def exact_match(model: Transformer, src: torch.Tensor, tgt: torch.Tensor) -> float:
    """Share of test sequences whose greedy decoding is exactly the reversed input."""
    device = next(model.parameters()).device
    hyps = greedy_search(model, src.to(device), bos_id=BOS, eos_id=EOS, max_len_a=1.0, max_len_b=2)
    refs = [[t for t in row if t not in (PAD, EOS)] for row in tgt.tolist()]
    return sum(h == r for h, r in zip(hyps, refs, strict=True)) / len(refs)


def steps_to_accuracy(run_dir: Path, target: float) -> int | None:
    """First validation step whose token accuracy reaches `target` (None: never)."""
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["split"] == "valid" and (record.get("accuracy") or 0.0) >= target:
            return int(record["step"])
    return None


def train_variant(cfg: ExperimentConfig, variant: str, seed: int, run_dir: Path) -> dict[str, Any]:
    """Train one placement with one seed into `run_dir`; return its results.

    Raises:
        ValueError: `variant` is not "post-ln" or "pre-ln".
    """
    if variant not in VARIANTS:
        raise ValueError(f"variants: unknown variant {variant!r} (use one of {VARIANTS})")
    placement = variant.removesuffix("-warmup")
    warmup = cfg.optim.warmup_steps if variant.endswith("-warmup") else 0
    task = cfg.task
    # The data depends on the seed only, so both placements see exactly the same batches.
    train = task.batches(cfg.task.train_batches, cfg.task.batch_size, seed=1000 + seed)
    valid_src, valid_tgt = task.sample(cfg.task.valid_size, torch.Generator().manual_seed(1))
    test_src, test_tgt = task.sample(cfg.task.test_size, torch.Generator().manual_seed(2))

    seed_everything(seed)  # same initial weights up to the extra final LayerNorm of pre-LN
    model = build_model(cfg, task, PLACEMENTS[placement])
    optimizer = make_optimizer(cfg, model)
    # min_ratio=1: linear warm-up (if any), then a constant learning rate.
    steps = cfg.training.max_steps
    assert steps is not None  # ExperimentConfig requires it
    scheduler = WarmupLinearLR(optimizer, warmup, steps, min_ratio=1.0)
    trainer = Trainer(
        model,
        dataclasses.replace(cfg.training, seed=seed),
        train_data=train,
        loss_fn=loss_fn,
        optimizer=optimizer,
        scheduler=scheduler,
        eval_fn=make_eval_fn({"src": valid_src, "tgt": valid_tgt}),
        out_dir=run_dir,
    )
    started = time.perf_counter()
    diverged = False
    try:
        trainer.fit()
    except NonFiniteLossError as err:  # a finding, not a crash: post-LN may blow up
        log.warning("%s seed %d diverged: %s", variant, seed, err)
        diverged = True
    seconds = time.perf_counter() - started
    match = 0.0 if diverged else exact_match(model, test_src, test_tgt)
    MetricsLogger(run_dir).log(trainer.step, "test", exact_match=match)
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    last_valid: dict[str, Any] = next((r for r in reversed(records) if r["split"] == "valid"), {})
    return {
        "variant": variant,
        "seed": seed,
        "steps": trainer.step,
        "diverged": diverged,
        "valid_loss": last_valid.get("loss"),
        "valid_accuracy": last_valid.get("accuracy"),
        "test_exact_match": match,
        "steps_to_target": steps_to_accuracy(run_dir, cfg.target_accuracy),
        "seconds": round(seconds, 1),
    }


def run_experiment(cfg: ExperimentConfig, out_dir: Path) -> list[dict[str, Any]]:
    """Train every variant and seed under `out_dir`, write results.json and plots/; return rows.

    Raises:
        ValueError: the config's device is not on this machine, before anything is written.
    """
    check_device(cfg)
    torch.set_num_threads(cfg.threads)
    results = []
    runs: dict[str, Path] = {}
    for seed in cfg.seeds:
        for variant in cfg.variants:
            name = f"{variant}-seed{seed}"
            log.info("training %s", name)
            runs[name] = out_dir / name
            results.append(train_variant(cfg, variant, seed, runs[name]))
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plots = out_dir / "plots"
    plot_training_curves(
        runs,
        metrics=("train/loss", "valid/loss", "valid/accuracy"),
        smooth=0.6,
        out=plots / "curves.png",
        title=f"post-LN vs pre-LN: {cfg.model.num_encoder_layers}+{cfg.model.num_decoder_layers} "
        "layers, "
        f"Adam lr {cfg.optim.lr:g}",
    )
    plot_run_comparison(runs, ["valid/accuracy", "test/exact_match"], out=plots / "final.png")
    return results
