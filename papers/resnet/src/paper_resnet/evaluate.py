"""Evaluate a finished run: the error of its saved model on a split, and its confusion matrix.

    uv run --package paper-resnet resnet-evaluate assets/outputs/resnet/<run-name>
    uv run --package paper-resnet resnet-evaluate <run> --split train --confusion train.png

Prints one line; reads the run and writes nothing into it (a `--confusion` file where asked).
A folder that is not a finished run is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from paper_resnet.errors import UserError

PROG = "resnet-evaluate"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a run directory written by resnet-train")
    parser.add_argument("--split", help="split to evaluate (default: the config's test split)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    parser.add_argument("--confusion", type=Path, help="also draw the confusion matrix here")
    return parser.parse_args(argv)


def evaluate(args: argparse.Namespace) -> str:
    """The line `resnet-evaluate` prints."""
    from paper_resnet.config import Config
    from paper_resnet.data import load_splits, make_data
    from rd_models import CifarResNet
    from rd_training import ConfigError, evaluate_classifier, load_config, resolve_device
    from rd_viz import plot_confusion_matrix

    config_file, model_dir = args.run_dir / "config.yaml", args.run_dir / "model"
    if not config_file.is_file() or not (model_dir / "model.safetensors").is_file():
        raise UserError(f"{args.run_dir} is not a finished run (no config.yaml or model/)")
    try:
        cfg = load_config(config_file, Config)
    except ConfigError as err:
        raise UserError(f"{args.run_dir} is not a paper-resnet run ({err})") from None
    if args.split is not None:
        cfg.data = dataclasses.replace(cfg.data, test_split=args.split)
    device = resolve_device(args.device, "--device")
    data = make_data(cfg.data, load_splits(cfg.data))
    model = CifarResNet.from_pretrained(model_dir, map_location=str(device))
    result = evaluate_classifier(model, data.test, len(data.class_names))
    if args.confusion is not None:
        title = f"ResNet-{cfg.model.depth}, {cfg.data.test_split} split"
        plot_confusion_matrix(result.confusion, data.class_names, out=args.confusion, title=title)
    return (
        f"{cfg.data.test_split} ({len(data.test.images)} images): error {100 * result.error:.2f}%  "
        f"accuracy {100 * result.accuracy:.2f}%  loss {result.loss:.4f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        print(evaluate(args))
    except (UserError, ConfigError, RdDataError) as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
