"""`rd-plot`: training curves (and the LR schedule) of run directories as image files.

Only argparse is imported up front; numpy and matplotlib load after the arguments parse, so
`rd-plot --help` answers at once.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

FORMATS = ("png", "svg", "pdf")


def build_parser() -> argparse.ArgumentParser:
    """The `rd-plot` argument parser."""
    parser = argparse.ArgumentParser(
        prog="rd-plot",
        description=(
            "Plot training curves from run directories (their metrics.jsonl). By default each "
            "run gets <run>/plots/curves.png, and <run>/plots/lr.png when it logs 'lr'."
        ),
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN_DIR", help="run directory (or metrics.jsonl file)"
    )
    parser.add_argument(
        "--metrics",
        help="comma-separated metrics, e.g. loss,bleu or valid/loss "
        "(default: every metric the run logs except lr)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write one figure with all runs overlaid to FILE (.png/.svg/.pdf) "
        "instead of <run>/plots/",
    )
    parser.add_argument(
        "--summary",
        metavar="FILE",
        help="also write a bar chart of each run's final metrics to FILE",
    )
    parser.add_argument(
        "--x", choices=("step", "time", "tokens"), default="step", help="x axis (default: step)"
    )
    parser.add_argument(
        "--smooth", type=float, metavar="W", help="EMA weight in [0, 1) for train curves, e.g. 0.9"
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="png", help="image format in plots/ (default: png)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `rd-plot`; returns the exit code (2 for bad input, with one line on stderr)."""
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            written = _plot(args)
        except (ValueError, OSError) as err:  # MetricsError is a ValueError
            _print_warnings(caught)
            print(f"rd-plot: error: {err}", file=sys.stderr)
            return 2
    _print_warnings(caught)
    for path in written:
        print(path)
    return 0


def _plot(args: argparse.Namespace) -> list[Path]:
    from rd_viz.comparison import plot_run_comparison
    from rd_viz.curves import plot_training_curves
    from rd_viz.lr_schedule import plot_lr_schedule
    from rd_viz.metrics_file import MetricsError
    from rd_viz.runs import Run, load_runs, metric_names, require_metrics, series

    runs = load_runs(args.runs)
    requested = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    if requested is not None:
        require_metrics(runs, requested)
    written: list[Path] = []

    def defaults(of_runs: Sequence[Run]) -> list[str]:
        names = metric_names([record for run in of_runs for record in run.records])
        return [m for m in names if m != "lr"] or names

    if args.out:
        metrics = requested or defaults(runs)
        if not metrics:
            raise MetricsError(f"{', '.join(run.source for run in runs)}: no metrics logged yet")
        plot_training_curves(runs, metrics, x=args.x, smooth=args.smooth, out=args.out)
        written.append(Path(args.out))
    else:
        for source, run in zip(args.runs, runs, strict=True):
            path = Path(source)
            plots = (path if path.is_dir() else path.parent) / "plots"
            metrics = requested or defaults([run])
            if not metrics:
                raise MetricsError(f"{run.source}: no metrics logged yet")
            if requested:
                require_metrics([run], requested)
            curves = plots / f"curves.{args.format}"
            plot_training_curves(run, metrics, x=args.x, smooth=args.smooth, out=curves)
            written.append(curves)
            steps, lrs = series(run, "train", "lr")
            if steps.size:
                lr_path = plots / f"lr.{args.format}"
                plot_lr_schedule(steps, lrs, out=lr_path, title=f"learning rate — {run.name}")
                written.append(lr_path)
    if args.summary:
        metrics = requested or defaults(runs)
        plot_run_comparison(runs, metrics, out=args.summary)
        written.append(Path(args.summary))
    return written


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    for warning in caught:
        print(f"rd-plot: warning: {warning.message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
