"""Train a residual network of "Deep Residual Learning for Image Recognition" (He et al., 2015).

    uv run --package paper-resnet resnet-train                  # ResNet-20 on 8x8 digits, ~1 min
    uv run --package paper-resnet resnet-train model.depth=56 training.max_steps=4000
    uv run --package paper-resnet resnet-train --config papers/resnet/configs/cifar10_resnet20.yaml
    uv run --package paper-resnet resnet-train --resume auto --run-name NAME   # continue exactly

The run directory `assets/outputs/resnet/<run-name>/` receives config.yaml (resolved),
manifest.json, metrics.jsonl, train.log, checkpoints/, model/ (save_pretrained) and plots/.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from paper_resnet.errors import UserError
from rd_training import add_run_arguments

PROG = "resnet-train"


def _default_config() -> Any:
    from paper_resnet.config import Config

    return Config()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train a ResNet of He et al. (2015), section 4.2 (CIFAR-10's 6n+2 networks).\n"
        "Without arguments: ResNet-20 on scikit-learn's 8x8 digits, offline, ~1 min on 2 cores.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    intro = (
        "Override any config key as KEY=VALUE, e.g. `resnet-train model.depth=32`;\n"
        "`resnet-train --print-config ...` shows the result."
    )
    config_help = (
        "YAML config (default: the embedded run; with --resume, the run's own config.yaml)"
    )
    add_run_arguments(parser, _default_config, intro, config_help=config_help)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)  # usage errors end here, before torch is imported
    from paper_resnet.pipeline import print_config, run
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        if args.print_config:
            print_config(args)
            return 0
        result = run(args)
    except (UserError, ConfigError, RdDataError) as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside the training loop (which saves and exits 130 itself)
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    steps, first, test = result["steps"], result["resumed_step"], result["test"]
    trained = f"Continued from step {first} to {steps}" if first else f"Trained {steps} steps"
    print(
        f"\n{trained} in {result['train_seconds']:.0f}s ({result['total_seconds']:.0f}s in all).\n"
        f"run directory: {result['run_dir']}\n"
        f"test ({result['test_size']} images): error {100 * test['error']:.2f}%  "
        f"accuracy {100 * test['accuracy']:.2f}%  loss {test['loss']:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
