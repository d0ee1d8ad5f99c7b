"""`train --sweep KEY=V1,V2 ...`: a grid of runs, one after the other, then a table and a plot.

    uv run --package paper-transformer train --run-name lr --sweep optim.lr_scale=0.5,1,2 training.seed=0,1

Each point trains in `assets/outputs/transformer/<sweep>/<point>/` as `train` would with its
overrides; the same command again skips the finished points and continues an interrupted one.
The sweep folder gets `summary.txt` (test sacreBLEU, mean ± std over `training.seed`) and
`plots/sweep_bleu.png`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from paper_transformer.errors import UserError
from paper_transformer.pipeline import choose_run_dir, load_run_config, run
from rd_training import SweepPoint, parse_sweep, run_sweep, setting_of, sweep_table
from rd_viz import final_values, plot_sweep

METRIC = "bleu"
"""The table's and the plot's metric: the test split's sacreBLEU of each run."""


def sweep(args: argparse.Namespace) -> tuple[Path, str]:
    """Run the grid `args.sweep` spells; returns the sweep folder and its summary table.

    Raises:
        UserError, ConfigError: a malformed grid or a point whose config is wrong, all found
            before the first point trains.
    """
    if args.resume is not None:
        raise UserError("--sweep continues its unfinished runs itself: drop --resume")
    points = parse_sweep(args.sweep)
    for point in points:  # every point's config is checked before anything trains
        load_run_config(_point_args(args, point, None, None), None)
    sweep_dir = choose_run_dir(args)

    def run_point(point: SweepPoint, run_dir: Path, resume: str | None) -> None:
        run(_point_args(args, point, run_dir, resume))

    runs = run_sweep(points, sweep_dir, run_point)
    groups: dict[str, list[Path]] = {}
    for point, run_dir in runs.items():
        groups.setdefault(setting_of(point), []).append(run_dir)
    finals = {setting: final_values(dirs, METRIC) for setting, dirs in groups.items()}
    table = sweep_table(finals, f"test/{METRIC}")
    (sweep_dir / "summary.txt").write_text(table + "\n", encoding="utf-8")
    plot_sweep(groups, METRIC, sweep_dir / "plots" / f"sweep_{METRIC}.png",
               title=f"{sweep_dir.name}: test sacreBLEU")  # fmt: skip
    return sweep_dir, table


def _point_args(
    args: argparse.Namespace, point: SweepPoint, run_dir: Path | None, resume: str | None
) -> argparse.Namespace:
    """`train`'s arguments for one point: its overrides after the command line's own."""
    overrides = [*args.overrides, *args.set, *point.overrides]
    return argparse.Namespace(
        **{**vars(args), "overrides": overrides, "set": [], "sweep": None, "run_name": None,
           "out_dir": run_dir, "resume": resume}
    )  # fmt: skip
