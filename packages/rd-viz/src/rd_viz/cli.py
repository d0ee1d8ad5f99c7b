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

from rd_viz.metrics_file import BOOKKEEPING_KEYS  # json and pathlib only: --help stays fast

FORMATS = ("png", "svg", "pdf")

CURVES_NAME = "rd-plot-curves"
"""Default file name (before the extension) of a run's curves, in `<run>/plots/`."""
LR_NAME = "rd-plot-lr"
"""Default file name (before the extension) of a run's LR schedule, in `<run>/plots/`.

Both names start with `rd-plot-` so that rd-plot never overwrites the plots a paper writes into
the same folder itself (e.g. `plots/loss.png`, `plots/lr.png`); rerunning rd-plot replaces
only its own files."""


def build_parser() -> argparse.ArgumentParser:
    """The `rd-plot` argument parser."""
    parser = argparse.ArgumentParser(
        prog="rd-plot",
        description=(
            "Plot training curves from run directories (their metrics.jsonl). By default each "
            f"run gets <run>/plots/{CURVES_NAME}.png, and <run>/plots/{LR_NAME}.png when it "
            "logs 'lr'; the rd-plot- prefix keeps the plots a run writes itself (plots/loss.png, "
            "plots/lr.png, ...) untouched. Plotted by default: every field with a float value "
            f"except lr; not {', '.join(BOOKKEEPING_KEYS)}, nor fields that are only ever "
            "integers (settings and counts) unless named in --metrics."
        ),
    )
    parser.add_argument(
        "runs", nargs="+", metavar="RUN_DIR", help="run directory (or metrics.jsonl file)"
    )
    parser.add_argument(
        "--metrics",
        help="comma-separated metrics, e.g. loss,bleu or valid/loss "
        "(default: every float-valued metric the run logs except lr)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="write one figure with all runs overlaid to FILE (.png/.svg/.pdf) "
        f"instead of <run>/plots/{CURVES_NAME}.png and {LR_NAME}.png",
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
        "--format",
        choices=FORMATS,
        default="png",
        help="image format of the files in <run>/plots/ (default: png)",
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
    """Check every input first, then draw, so that bad input leaves no half-done set of plots."""
    from rd_viz._figure import image_format
    from rd_viz.comparison import plot_run_comparison
    from rd_viz.curves import plot_training_curves
    from rd_viz.lr_schedule import plot_lr_schedule
    from rd_viz.metrics_file import MetricsError
    from rd_viz.runs import Run, load_runs, metric_names, require_metrics, series

    if args.smooth is not None and not 0.0 <= args.smooth < 1.0:
        raise ValueError(f"--smooth must be in [0, 1), got {args.smooth}")
    for out in (args.out, args.summary):
        if out:
            image_format(out)
    runs = load_runs(args.runs)
    requested = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None

    def metrics_for(of_runs: list[Run]) -> list[str]:
        if requested:
            require_metrics(of_runs, requested)
            return requested
        names = metric_names([record for run in of_runs for record in run.records])
        names = [m for m in names if m != "lr"] or names
        if not names:
            raise MetricsError(f"{', '.join(r.source for r in of_runs)}: no metrics logged yet")
        return names

    # (runs on one figure, metrics, curves file, lr file or None)
    plan: list[tuple[list[Run], list[str], Path, Path | None]] = []
    if args.out:
        plan.append((runs, metrics_for(runs), Path(args.out), None))
    else:
        for source, run in zip(args.runs, runs, strict=True):
            folder = Path(source) if Path(source).is_dir() else Path(source).parent
            plots = folder / "plots"
            has_lr = series(run, "train", "lr")[0].size > 0
            lr_file = plots / f"{LR_NAME}.{args.format}" if has_lr else None
            curves_file = plots / f"{CURVES_NAME}.{args.format}"
            plan.append(([run], metrics_for([run]), curves_file, lr_file))
    summary_metrics = metrics_for(runs) if args.summary else []

    written: list[Path] = []
    for plotted, metrics, curves, lr_file in plan:
        plot_training_curves(plotted, metrics, x=args.x, smooth=args.smooth, out=curves)
        written.append(curves)
        if lr_file is not None:
            (run,) = plotted
            steps, lrs = series(run, "train", "lr")
            plot_lr_schedule(steps, lrs, out=lr_file, title=f"learning rate — {run.name}")
            written.append(lr_file)
    if args.summary:
        plot_run_comparison(runs, summary_metrics, out=args.summary)
        written.append(Path(args.summary))
    return written


def _print_warnings(caught: list[warnings.WarningMessage]) -> None:
    for warning in caught:
        print(f"rd-plot: warning: {warning.message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
