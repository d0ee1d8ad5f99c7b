"""Train {{title}} on the synthetic task, then measure exact-match accuracy on a test set.

    uv run --package {{dist}} {{name}}-train
    uv run --package {{dist}} {{name}}-train training.max_steps=1000 model.d_model=64
    uv run --package {{dist}} {{name}}-train --config my.yaml --run-name first
    uv run --package {{dist}} {{name}}-train --help            # every config key
    uv run --package {{dist}} {{name}}-train --print-config    # the resolved config

The run directory `assets/outputs/{{name}}/<run-name>/` receives config.yaml (resolved),
manifest.json, metrics.jsonl and checkpoints/ (from rd-training's Trainer), and model/ (the
trained model, which `{{name}}-evaluate` reads).
plots/loss.png shows the training loss (rd-viz).  # uses: viz
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from paper_template.config import DEFAULT_CONFIG, Config
from paper_template.evaluate import exact_match
from paper_template.model import build_model, forward, save_model
from paper_template.task import PAD, make_batches, make_examples
from rd_data import get_outputs_dir
from rd_training import (
    ConfigError,
    MetricsLogger,
    Trainer,
    add_run_arguments,
    build_optimizer,
    config_to_yaml,
    label_smoothed_cross_entropy,
    load_config,
    resolve_device,
    save_config,
    seed_everything,
    select_run_dir,
)
from rd_viz import plot_training_curves  # uses: viz

NAME = "{{name}}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=f"{NAME}-train",
        description="Train {{title}}. Without arguments: the synthetic task, seconds on a CPU.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    intro = "Override any config key as KEY=VALUE, e.g. `training.max_steps=800`."
    add_run_arguments(parser, Config, intro, config_default=DEFAULT_CONFIG, resume=False)
    return parser.parse_args(argv)


def choose_run_dir(args: argparse.Namespace) -> Path:
    """`--out-dir`, else `assets/outputs/NAME/<run-name>`; refuses one that holds a run."""
    runs = get_outputs_dir(create=False) / NAME
    run_dir = select_run_dir(runs, run_name=args.run_name, out_dir=args.out_dir, resume=None)
    if run_dir.is_dir() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} already holds a run: choose another --run-name")
    return run_dir


def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, Any]:
    """Cross-entropy summed over the target tokens, and their number (the Trainer divides)."""
    logits = forward(model, batch)
    return label_smoothed_cross_entropy(logits, batch["tgt"], 0.0, ignore_index=PAD)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Check everything before writing anything, then train, save, test and plot."""
    cfg = load_config(args.config, Config, args.overrides)
    resolve_device(cfg.training.device)  # the one check a config cannot make: is it here?
    run_dir = choose_run_dir(args)
    seed_everything(cfg.training.seed)  # the initial weights depend on the seed only
    model = build_model(cfg.model, cfg.task)
    examples = make_examples(cfg.task, cfg.task.train_size, seed=cfg.training.seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.yaml")

    trainer = Trainer(
        model,
        cfg.training,
        train_data=make_batches(examples, cfg.task.batch_size),
        loss_fn=loss_fn,
        optimizer=build_optimizer(model, "adamw", lr=cfg.optim.lr),
        out_dir=run_dir,
    )
    steps = int(trainer.fit()["step"])
    save_model(model, run_dir / "model")
    accuracy = exact_match(model, cfg)
    metrics = MetricsLogger(run_dir)
    metrics.log(steps, "test", exact_match=accuracy)
    metrics.close()
    plot_training_curves(run_dir, metrics="loss", out=run_dir / "plots" / "loss.png")  # uses: viz
    return {"run_dir": run_dir, "steps": steps, "exact_match": accuracy}


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.print_config:
            print(config_to_yaml(load_config(args.config, Config, args.overrides)), end="")
            return 0
        result = run(args)
    except ConfigError as err:
        print(f"{NAME}-train: error: {err}", file=sys.stderr)
        return 2
    print(
        f"trained {result['steps']} steps; test exact match {100 * result['exact_match']:.1f}%\n"
        f"run directory: {result['run_dir']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
