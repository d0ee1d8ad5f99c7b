"""Sweeps: the grid of points, their folders' state, skipping and continuing, the summary table."""

import json
import statistics
from pathlib import Path

import pytest

from rd_training import (
    ConfigError,
    SweepPoint,
    parse_sweep,
    point_state,
    run_sweep,
    setting_of,
    sweep_table,
)


def test_the_grid_is_every_combination_with_the_first_key_slowest() -> None:
    points = parse_sweep(["optim.lr_scale=0.5,1", "training.seed=0,1,2", "optim.milestones=[6,8]"])
    assert [p.overrides for p in points][:4] == [
        ("optim.lr_scale=0.5", "training.seed=0", "optim.milestones=[6,8]"),
        ("optim.lr_scale=0.5", "training.seed=1", "optim.milestones=[6,8]"),
        ("optim.lr_scale=0.5", "training.seed=2", "optim.milestones=[6,8]"),
        ("optim.lr_scale=1", "training.seed=0", "optim.milestones=[6,8]"),
    ]
    assert len(points) == 6
    assert points[0].name == "lr_scale=0.5,seed=0,milestones=_6,8_"  # a plain folder name
    assert setting_of(points[0]) == "lr_scale=0.5,milestones=_6,8_"


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["optim.lr_scale"], "expected KEY=VALUE1,VALUE2"),
        (["optim.lr_scale=1,,2"], "expected KEY=VALUE1,VALUE2"),
        (["a.seed=1,2", "a.seed=3"], "names a.seed twice"),
        (["a.seed=1,2", "b.seed=3"], "a.seed and b.seed both end in 'seed'"),
        (["a.x=[1],(1)"], "would share a folder name"),
    ],
)
def test_a_grid_that_cannot_work_is_refused(specs: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_sweep(specs)


def test_a_sweep_runs_new_points_continues_begun_ones_and_skips_finished_ones(
    tmp_path: Path,
) -> None:
    points = parse_sweep(["training.seed=0,1,2"])
    calls: list[tuple[str, str | None]] = []

    def run_point(point: SweepPoint, run_dir: Path, resume: str | None) -> None:
        calls.append((point.name, resume))
        run_dir.mkdir(parents=True, exist_ok=True)
        status = "interrupted" if point.name == "seed=1" and len(calls) < 4 else "completed"
        (run_dir / "manifest.json").write_text(json.dumps({"status": status}))

    log: list[str] = []
    runs = run_sweep(points, tmp_path / "sweep", run_point, log.append)
    assert calls == [("seed=0", None), ("seed=1", None), ("seed=2", None)]
    assert point_state(runs[points[1]]) == "resumable"
    run_sweep(points, tmp_path / "sweep", run_point, log.append)  # the same command again
    assert calls[3:] == [("seed=1", "auto")]
    assert log[3:] == [
        "sweep [1/3] seed=0: finished before, skipped",
        f"sweep [2/3] seed=1: continuing ({tmp_path / 'sweep' / 'seed=1'})",
        "sweep [3/3] seed=2: finished before, skipped",
    ]
    assert all(point_state(d) == "completed" for d in runs.values())
    assert point_state(tmp_path / "nothing") == "new"
    with pytest.raises(ConfigError, match="holds another sweep"):
        run_sweep(parse_sweep(["training.seed=5"]), tmp_path / "sweep", run_point)


def test_the_table_gives_mean_and_sample_std_per_setting() -> None:
    table = sweep_table({"lr=1": [30.0, 32.0, 34.5], "lr=2": [20.0], "lr=3": [None]}, "test/bleu")
    lines = table.splitlines()
    assert lines[0].split() == ["setting", "test/bleu", "runs"]
    mean, std = statistics.fmean([30, 32, 34.5]), statistics.stdev([30, 32, 34.5])
    assert lines[2].split() == ["lr=1", f"{mean:.2f}", "±", f"{std:.2f}", "3"]
    assert lines[3].split() == ["lr=2", "20.00", "1"]
    assert lines[4].split() == ["lr=3", "n/a", "0"]
