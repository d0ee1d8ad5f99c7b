"""Train the Transformer of "Attention Is All You Need", then decode the test split and plot.

    uv run --package paper-transformer train                       # embedded task, ~90 s on CPU
    uv run --package paper-transformer train model.d_model=256 training.max_steps=2000
    uv run --package paper-transformer train --config papers/transformer/configs/wmt14_en_de_base.yaml
    uv run --package paper-transformer train --resume auto          # continue the latest run
    uv run --package paper-transformer train --run-name lr --sweep optim.lr_scale=0.5,1,2 training.seed=0,1

The run directory `assets/outputs/transformer/<run-name>/` receives config.yaml (resolved),
manifest.json, metrics.jsonl, tokenizer.json, checkpoints/, model/ (save_pretrained),
hypotheses.<split>.txt and plots/.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from paper_transformer.errors import RankError, UserError
from rd_training import add_run_arguments


def _default_config() -> Any:
    from paper_transformer.config import Config

    return Config()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="train",
        description='Train the Transformer of "Attention Is All You Need" (Vaswani et al., 2017).\n'
        "Without arguments: the embedded German->English number-words task, offline, ~90 s on CPU.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    intro = (
        "Override any config key as KEY=VALUE (or --set KEY=VALUE), e.g.\n"
        "`train training.max_steps=200`; `train --print-config ...` shows the result."
    )
    config_help = (
        "YAML config (default: the embedded task; with --resume, the run's own config.yaml)"
    )
    add_run_arguments(parser, _default_config, intro, config_help=config_help)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override")
    parser.add_argument(
        "--sweep",
        nargs="+",
        metavar="KEY=V1,V2",
        help="train every combination, one run each under the sweep's folder (--run-name), then "
        "print a table (test sacreBLEU, mean ± std over training.seed); run again to finish an "
        "interrupted sweep. Put other overrides before --sweep (or use --set).",
    )
    return parser.parse_intermixed_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)  # usage errors end here, before torch is imported
    from paper_transformer.pipeline import print_config, run
    from paper_transformer.translate import bleu_signature
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        if args.print_config:
            print_config(args)
            return 0
        if args.sweep:
            from paper_transformer.sweep import sweep

            sweep_dir, table = sweep(args)
            print(f"\nsweep directory: {sweep_dir}\n{table}")
            return 0
        result = run(args)
    except (UserError, ConfigError, RdDataError) as err:
        # Under torchrun rank 0 reports what every rank finds; a rank reports what it alone finds.
        if os.environ.get("RANK", "0") == "0" or isinstance(err, RankError):
            print(f"train: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # outside the training loop (which saves and exits 130 itself)
        print("train: interrupted", file=sys.stderr)
        return 130
    if result is None:  # a torchrun rank other than 0: rank 0 reports
        return 0
    m, steps, first = result["metrics"], result["steps"], result["resumed_step"]
    trained = (
        f"Continued from step {first} to {steps} ({steps - first} steps)"
        if first
        else f"Trained {steps} steps"
    )
    print(
        f"\n{trained} in {result['train_seconds']:.0f}s ({result['total_seconds']:.0f}s in all).\n"
        f"run directory: {result['run_dir']}\n"
        f"test ({result['test_size']} sentences): sacreBLEU {m['bleu']:.2f}  chrF {m['chrf']:.2f}  "
        f"exact match {m['exact_match']:.1f}%\n"
        f"sacreBLEU signature: {bleu_signature()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
