"""Grid sweeps over config overrides: the points, their run folders' state, and a summary table.

`train --sweep optim.lr_scale=0.5,1,2 training.seed=0,1,2` runs the 9 points one after the
other, each in `<sweep>/<point name>/`. Run again, the same command skips the finished points
and continues an interrupted one from its checkpoint. Standard library only (no torch).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rd_training.config_types import ConfigError

__all__ = ["SweepPoint", "parse_sweep", "point_state", "run_sweep", "setting_of", "sweep_table"]

SEED_KEYS = ("training.seed",)
"""Keys whose values repeat a setting rather than change it: the table averages over them."""


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: its overrides, in the order the sweep names the keys."""

    overrides: tuple[str, ...]
    """`KEY=VALUE` strings, e.g. `("optim.lr_scale=0.5", "training.seed=0")`."""

    @property
    def name(self) -> str:
        """Its folder name, e.g. `lr_scale=0.5,seed=0` (each key's last part)."""
        parts = (f"{k.rsplit('.', 1)[-1]}={v}" for k, v in _pairs(self.overrides))
        return re.sub(r"[^\w.,=+-]", "_", ",".join(parts))


def _pairs(overrides: Sequence[str]) -> list[tuple[str, str]]:
    return [(o.split("=", 1)[0], o.split("=", 1)[1]) for o in overrides]


def _split_values(text: str) -> list[str]:
    """`0.5,1,[60,80]` -> `["0.5", "1", "[60,80]"]`: commas inside brackets stay."""
    values, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            values.append(current)
            current = ""
        else:
            current += char
    return [*values, current]


def parse_sweep(specs: Sequence[str]) -> list[SweepPoint]:
    """The grid of `KEY=V1,V2,...` specs: every combination, the first key varying slowest.

    Raises:
        ConfigError: a spec without `=` or with an empty value, a key named twice, two keys
            ending in the same name, or two points that would share a folder name.
    """
    axes: list[tuple[str, list[str]]] = []
    for spec in specs:
        key, sep, text = spec.partition("=")
        values = _split_values(text)
        if not sep or not key or any(not v.strip() for v in values):
            raise ConfigError(f"--sweep {spec!r}: expected KEY=VALUE1,VALUE2,...")
        if key in (k for k, _ in axes):
            raise ConfigError(f"--sweep names {key} twice")
        short = key.rsplit(".", 1)[-1]
        twin = next((k for k, _ in axes if k.rsplit(".", 1)[-1] == short), None)
        if twin is not None:
            raise ConfigError(
                f"--sweep: {twin} and {key} both end in {short!r}; the runs' folder names "
                "would not tell them apart"
            )
        axes.append((key, [v.strip() for v in values]))
    points = [
        SweepPoint(tuple(f"{k}={v}" for (k, _), v in zip(axes, combo, strict=True)))
        for combo in itertools.product(*(values for _, values in axes))
    ]
    names = [p.name for p in points]
    if len(set(names)) < len(names):
        raise ConfigError("--sweep: two points would share a folder name; use plainer values")
    return points


def point_state(run_dir: Path) -> Literal["new", "completed", "resumable"]:
    """ "completed" when the run's manifest says so, "resumable" when it began, else "new"."""
    try:
        status = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))["status"]
    except (OSError, ValueError, KeyError):
        return "resumable" if run_dir.exists() else "new"
    return "completed" if status == "completed" else "resumable"


def setting_of(point: SweepPoint, seed_keys: Sequence[str] = SEED_KEYS) -> str:
    """The point's name without its seed keys: the setting its seeds repeat ("" if only seeds)."""
    kept = tuple(o for o in point.overrides if o.split("=", 1)[0] not in seed_keys)
    return SweepPoint(kept).name


def sweep_table(results: Mapping[str, Sequence[float | None]], metric: str) -> str:
    """A plain-text table: per setting, the mean ± sample std of `metric` over its runs.

    Args:
        results: setting name -> the metric of each of its runs (None: the run has none).
        metric: the column's name, e.g. "test/bleu".
    """
    width = max([len("setting"), *(len(s) for s in results)])
    lines = [f"{'setting':<{width}}  {metric:>18}  runs", f"{'-' * width}  {'-' * 18}  ----"]
    for setting, values in results.items():
        found = [v for v in values if v is not None and math.isfinite(v)]
        if not found:
            cell = "n/a"
        elif len(found) == 1:
            cell = f"{found[0]:.2f}"
        else:
            cell = f"{statistics.fmean(found):.2f} ± {statistics.stdev(found):.2f}"
        lines.append(f"{setting or '(seeds only)':<{width}}  {cell:>18}  {len(found)}")
    return "\n".join(lines)


def run_sweep(
    points: Sequence[SweepPoint],
    sweep_dir: Path,
    run_point: Callable[[SweepPoint, Path, str | None], object],
    log: Callable[[str], object] = print,
) -> dict[SweepPoint, Path]:
    """Run each point in `sweep_dir/<point name>` in turn, skipping the finished ones.

    `run_point(point, run_dir, resume)` trains one point; `resume` is "auto" for a run that
    began before (it continues from its checkpoint), None for a new one. `sweep_dir/sweep.json`
    records the grid, so a folder holding another sweep is refused.

    Returns:
        Each point's run directory, in the order of `points`.

    Raises:
        ConfigError: `sweep_dir` holds a sweep over other points.
    """
    record = sweep_dir / "sweep.json"
    grid = [list(p.overrides) for p in points]
    if record.is_file() and json.loads(record.read_text(encoding="utf-8"))["points"] != grid:
        raise ConfigError(
            f"{sweep_dir} holds another sweep (its sweep.json lists other points); "
            "choose another --run-name"
        )
    sweep_dir.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps({"points": grid}, indent=1) + "\n", encoding="utf-8")
    for index, point in enumerate(points, 1):
        run_dir, state = sweep_dir / point.name, point_state(sweep_dir / point.name)
        where = f"sweep [{index}/{len(points)}] {point.name}"
        if state == "completed":
            log(f"{where}: finished before, skipped")
            continue
        log(f"{where}: {'continuing' if state == 'resumable' else 'starting'} ({run_dir})")
        run_point(point, run_dir, "auto" if state == "resumable" else None)
    return {point: sweep_dir / point.name for point in points}
