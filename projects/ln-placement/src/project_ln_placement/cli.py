"""`ln-placement`: run the post-LN vs pre-LN experiment and print a results table.

    uv run --package project-ln-placement ln-placement                      # ~1 min on 2 CPU cores
    uv run --package project-ln-placement ln-placement optim.warmup_steps=100 seeds=[0,1,2]

Runs go to `assets/outputs/ln-placement/<run-name>/<variant>-seed<N>/`; the comparison plots to
`<run-name>/plots/`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from project_ln_placement.config import DEFAULT_CONFIG, ExperimentConfig
from project_ln_placement.experiment import check_device, run_experiment
from rd_data import get_outputs_dir
from rd_training import ConfigError, load_config, save_config, setup_logger

PROJECT = "ln-placement"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="ln-placement",
        description="Train post-LN and pre-LN Transformers on sequence reversal and compare them.",
        epilog="Override any config value as dotted.key=value, e.g. `optim.warmup_steps=100`.",
    )
    parser.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="config overrides")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="YAML config")
    parser.add_argument("--run-name", help="run directory name (default: date-time)")
    parser.add_argument("--out-dir", type=Path, help="default: assets/outputs/ln-placement/<run>")
    return parser.parse_args(argv)


def format_table(rows: list[dict]) -> str:
    def fmt(value: object, spec: str) -> str:
        return "-" if value is None else format(value, spec)

    lines = [
        f"{'run':<24} {'valid loss':>10} {'valid acc':>9} {'test exact':>10} "
        f"{'steps to target':>15} {'time':>6}"
    ]
    for r in rows:
        name = f"{r['variant']}-seed{r['seed']}" + (" (diverged)" if r["diverged"] else "")
        lines.append(
            f"{name:<24} {fmt(r['valid_loss'], '10.4f')} {fmt(r['valid_accuracy'], '9.3f')} "
            f"{r['test_exact_match']:10.3f} {fmt(r['steps_to_target'], '15d')} {r['seconds']:5.0f}s"
        )
    return "\n".join(lines)


def fail(message: object) -> int:
    """Print the one-line `ln-placement: error: ...` a bad input gets; return exit code 2."""
    print(f"ln-placement: error: {' '.join(str(message).split())}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Every input is checked before the run directory exists: a mistake leaves nothing behind.
    try:
        if not args.config.is_file():
            raise ConfigError(f"config file not found: {args.config}")
        cfg = load_config(args.config, ExperimentConfig, args.overrides)
        check_device(cfg)
    except ValueError as err:  # ConfigError, and the checks of the model, optimizer, Trainer
        return fail(err)
    out_dir = args.out_dir or get_outputs_dir() / PROJECT / (
        args.run_name or time.strftime("%Y%m%d-%H%M%S")
    )
    if out_dir.exists() and not out_dir.is_dir():
        return fail(f"output directory {out_dir} is a file")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        # A second run into the same directory would append to the first one's metrics.jsonl.
        return fail(
            f"output directory {out_dir} is not empty (choose another --out-dir/--run-name)"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return fail(f"cannot create output directory {out_dir}: {err.strerror or err}")
    setup_logger("project_ln_placement", log_file=out_dir / "experiment.log")
    save_config(cfg, out_dir / "config.yaml")
    rows = run_experiment(cfg, out_dir)
    print(format_table(rows))
    print(f"target accuracy {cfg.target_accuracy:g}; results and plots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
