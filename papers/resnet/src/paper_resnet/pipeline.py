"""The training pipeline behind `resnet-train`: data, network, SGD, Trainer, test error, plots."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch

from paper_resnet.config import DEFAULT_CONFIG, Config
from paper_resnet.data import ImageData, load_splits, make_data
from paper_resnet.errors import UserError
from rd_data import get_outputs_dir
from rd_models import CifarResNet
from rd_training import (
    MetricsLogger,
    StepDecayLR,
    Trainer,
    build_optimizer,
    check_resumable,
    classification_loss,
    config_to_yaml,
    evaluate_classifier,
    load_config,
    resolve_device,
    run_dir_args,
    save_config,
    seed_everything,
    select_run_dir,
    setup_logger,
)
from rd_viz import plot_confusion_matrix, plot_lr_schedule, plot_training_curves, read_metrics

PAPER = "resnet"
log = logging.getLogger("paper_resnet")


def runs_dir() -> Path:
    """`assets/outputs/resnet`, where named runs live (created once everything is checked)."""
    return get_outputs_dir(create=False) / PAPER


def choose_run_dir(args: argparse.Namespace) -> Path:
    """--out-dir, --run-name, the newest run (resume auto) or a new date-time name."""
    return select_run_dir(
        runs_dir(), run_name=args.run_name, out_dir=args.out_dir, resume=args.resume
    )


def config_source(args: argparse.Namespace, run_dir: Path) -> Path | None:
    """The run whose config.yaml a resumed run continues (None: a new run); refuses a run
    directory that already holds a run unless `--resume` is given."""
    if args.resume is None:
        if (run_dir / "manifest.json").is_file():
            raise UserError(
                f"{run_dir} already holds a run: continue it with --resume auto, "
                "or choose another --run-name"
            )
        return None
    if args.resume == "auto":
        return run_dir if (run_dir / "config.yaml").is_file() else None
    checkpoint = Path(args.resume)
    if not (checkpoint / "state.json").is_file():
        raise UserError(f"--resume: {checkpoint} is not a checkpoint directory")
    source = checkpoint.resolve().parent.parent  # <run>/checkpoints/step_*
    return source if (source / "config.yaml").is_file() else None


def load_run_config(args: argparse.Namespace, source: Path | None = None) -> Config:
    """`--config` (else the resumed run's config.yaml, else the embedded default) with the
    command line's overrides; a resumed run must keep its data and model sections."""
    path = args.config or (source / "config.yaml" if source else DEFAULT_CONFIG)
    if path.is_dir():
        raise UserError(f"--config {path} is a directory, not a YAML file")
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    cfg = load_config(path, Config, args.overrides)
    if source is not None:
        check_resumable(load_config(source / "config.yaml", Config), cfg, ("data", "model"))
    return cfg


def print_config(args: argparse.Namespace) -> None:
    """`resnet-train --print-config`: the config a run with these arguments would save."""
    source = config_source(args, choose_run_dir(args)) if args.resume is not None else None
    print(config_to_yaml(load_run_config(args, source)), end="")


def build_model(cfg: Config, data: ImageData) -> CifarResNet:
    """The paper's network for this data: its classes and channels."""
    shape = dataclasses.replace(
        cfg.model, num_classes=len(data.class_names), in_channels=data.in_channels
    )
    return CifarResNet(shape)


def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, int]:
    """Cross-entropy summed over the batch, and its size (the Trainer divides)."""
    return classification_loss(model(batch["image"]), batch["label"])


def make_trainer(
    cfg: Config, args: argparse.Namespace, data: ImageData, model: CifarResNet, run_dir: Path
) -> Trainer:
    """SGD with momentum and weight decay, the step-decay schedule and the Trainer."""
    o = cfg.optim
    optimizer = build_optimizer(
        model, "sgd", lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay
    )
    scheduler = StepDecayLR(
        optimizer, o.milestones, 0.1, warmup_steps=o.warmup_steps, warmup_factor=o.warmup_lr / o.lr
    )
    hint = f"Continue with: resnet-train --resume auto {run_dir_args(run_dir, runs_dir())}"
    classes = len(data.class_names)
    return Trainer(
        model,
        dataclasses.replace(cfg.training, resume=args.resume, resume_hint=hint),
        train_data=data.train,
        loss_fn=loss_fn,
        optimizer=optimizer,
        scheduler=scheduler,
        eval_fn=lambda m, step: evaluate_classifier(m, data.test, classes).metrics(),
        out_dir=run_dir,
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Check everything before writing anything, then train, test, save and plot."""
    started = time.perf_counter()
    run_dir = choose_run_dir(args)
    source = config_source(args, run_dir)
    cfg = load_run_config(args, source)
    resolve_device(cfg.training.device)
    data = make_data(cfg.data, load_splits(cfg.data))
    seed_everything(cfg.training.seed)  # the initial weights depend on the seed only
    model = build_model(cfg, data)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the run directory {run_dir}: {err.strerror}") from None
    for name in ("paper_resnet", "rd_training"):
        setup_logger(name, log_file=run_dir / "train.log")
    log.info("run directory: %s", run_dir)
    log.info(
        "data: %d training images %s in %d batches, %d test images, %d classes; %s parameters",
        len(data.train.images), tuple(data.train.images.shape[1:]), len(data.train),
        len(data.test.images), len(data.class_names), f"{sum(p.numel() for p in model.parameters()):,}",
    )  # fmt: skip
    save_config(cfg, run_dir / "config.yaml")
    trainer = make_trainer(cfg, args, data, model, run_dir)
    summary = trainer.fit()
    test = finish_run(trainer, data, run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    return {
        "run_dir": run_dir,
        "steps": summary["step"],
        "resumed_step": int(manifest.get("resumed_step") or 0),
        "train_seconds": summary["elapsed_s"],
        "total_seconds": time.perf_counter() - started,
        "test": test,
        "test_size": len(data.test.images),
    }


def finish_run(trainer: Trainer, data: ImageData, run_dir: Path) -> dict[str, float]:
    """Test error of the final weights (logged as split "test"), the model, and the plots.

    With `training.ema_decay` the final weights are the moving average, as validated."""
    model = trainer.eval_model
    result = evaluate_classifier(model, data.test, len(data.class_names))
    metrics = MetricsLogger(run_dir)
    metrics.log(trainer.step, "test", **result.metrics())
    metrics.close()
    model.save_pretrained(run_dir / "model")  # type: ignore[operator]
    plots = run_dir / "plots"
    plot_training_curves(run_dir, metrics=("loss",), smooth=0.6, out=plots / "loss.png")
    plot_training_curves(run_dir, metrics=("valid/error",), out=plots / "error.png")
    train = [r for r in read_metrics(run_dir) if r["split"] == "train"]
    plot_lr_schedule([r["step"] for r in train], [r["lr"] for r in train], out=plots / "lr.png")
    plot_confusion_matrix(
        result.confusion, data.class_names, out=plots / "confusion_test.png",
        title=f"{type(model).__name__}-{model.config.depth}, test split",  # type: ignore[union-attr]
    )  # fmt: skip
    return result.metrics()
