"""Evaluate a finished run: exact-match accuracy of its model on freshly drawn test sequences.

    uv run --package paper-resnet resnet-evaluate assets/outputs/resnet/<run-name>

Prints one line; a folder that is not a finished run is an error (exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from paper_resnet.config import Config
from paper_resnet.model import Model, load_model, predict
from paper_resnet.task import make_batches, make_examples
from rd_training import ConfigError, load_config

PROG = "resnet-evaluate"


def exact_match(model: Model, cfg: Config) -> float:
    """Share of test sequences the model reverses exactly (drawn with seed `training.seed + 1`)."""
    task = cfg.task
    examples = make_examples(task, task.test_size, seed=cfg.training.seed + 1)
    device = next(model.parameters()).device
    model.eval()
    correct = 0
    for batch in make_batches(examples, task.batch_size):
        hypotheses = predict(model, batch["src"].to(device))
        references = batch["tgt"][:, :-1].tolist()  # without EOS
        correct += sum(h == r for h, r in zip(hypotheses, references, strict=True))
    return correct / len(examples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run directory written by the train command")
    args = parser.parse_args(argv)
    config_file, model_dir = args.run_dir / "config.yaml", args.run_dir / "model"
    try:
        if not config_file.is_file() or not model_dir.is_dir():
            raise ConfigError(f"{args.run_dir} is not a finished run (no config.yaml or model/)")
        cfg = load_config(config_file, Config)
    except ConfigError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    model = load_model(model_dir, cfg.model, cfg.task)
    accuracy = exact_match(model, cfg)
    print(f"exact match {100 * accuracy:.1f}% on {cfg.task.test_size} test sequences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
