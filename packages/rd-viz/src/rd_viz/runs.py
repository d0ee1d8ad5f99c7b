"""Turn what the plotting functions accept as "runs" into named record lists, and pull series out.

A run is given as a run directory, the path of a metrics JSONL file, or a list of record dicts
already in memory. Several runs are a sequence of those, or a mapping from display name to one.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from rd_viz.metrics_file import (
    BOOKKEEPING_KEYS,
    METRICS_FILENAME,
    MetricsError,
    check_records,
    finite_or_nan,
    is_number,
    metrics_path,
    read_metrics,
)

X_AXES = ("step", "time", "tokens")
"""What `plot_training_curves` can put on the x axis."""

_UNIX_EPOCH_2001 = 1e9  # times above this are wall-clock timestamps, not elapsed seconds


@dataclass(frozen=True)
class Run:
    """One run's records with the name its legend entries use."""

    name: str
    """Display name (the run directory's name unless given)."""
    source: str
    """Where the records came from, for error messages: a file path or a description."""
    records: list[dict[str, Any]]
    """The metric records, in file order."""


RunSource: TypeAlias = str | os.PathLike[str] | Sequence[Mapping[str, Any]] | Run
"""One run: a run directory, a metrics JSONL path, a list of metric records, or a `Run`."""

Runs: TypeAlias = RunSource | Sequence[RunSource] | Mapping[str, RunSource]
"""One run, several runs, or a mapping from display name to run."""


def load_runs(runs: Runs) -> list[Run]:
    """Load one or several runs into `Run` objects with unique display names.

    Raises:
        MetricsFileNotFoundError: A run directory has no metrics file.
        MetricsError: A metrics file or record list is malformed, or no run was given.
    """
    if isinstance(runs, Mapping):
        loaded = [_load_one(source, str(name)) for name, source in runs.items()]
    elif _is_single_run(runs):
        loaded = [_load_one(runs, None)]
    else:
        loaded = [_load_one(source, None) for source in runs]  # type: ignore[union-attr]
    if not loaded:
        raise MetricsError("no runs given")
    for index, run in enumerate(loaded):
        if not run.name:
            loaded[index] = Run(f"run {index + 1}", run.source, run.records)
    return _unique_names(loaded)


def _is_single_run(runs: Any) -> bool:
    if isinstance(runs, (str, os.PathLike, Run)):
        return True
    # A non-empty sequence of dicts is one run's records; a sequence of paths/lists is many runs.
    return isinstance(runs, Sequence) and len(runs) > 0 and isinstance(runs[0], Mapping)


def _load_one(source: Any, name: str | None) -> Run:
    if isinstance(source, Run):
        return source if name is None else Run(name, source.source, source.records)
    if isinstance(source, (str, os.PathLike)):
        path = metrics_path(source)
        if name is None:
            name = path.parent.name if path.name == METRICS_FILENAME else path.stem
        return Run(name, str(path), read_metrics(path))
    if isinstance(source, Sequence):
        label = name or "records"
        records = check_records([dict(r) for r in source], f"<{label}>")
        return Run(name or "", f"<records of {label}>", records)
    raise MetricsError(
        f"cannot read a run from {type(source).__name__}: "
        "give a run directory, a metrics.jsonl path or a list of dicts"
    )


def _unique_names(runs: list[Run]) -> list[Run]:
    """Prefix clashing names with their parent folder, then number what still clashes."""
    counts = Counter(run.name for run in runs)
    names = []
    for run in runs:
        name = run.name
        if counts[name] > 1 and not run.source.startswith("<"):
            path = Path(run.source)
            folder = path.parent.parent if path.name == METRICS_FILENAME else path.parent
            name = f"{folder.name}/{name}" if folder.name else name
        names.append(name)
    seen: Counter[str] = Counter()
    unique = []
    for run, name in zip(runs, names, strict=True):
        seen[name] += 1
        unique_name = name if seen[name] == 1 else f"{name} #{seen[name]}"
        unique.append(Run(unique_name, run.source, run.records))
    return unique


def metric_names(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The keys that are metrics, in order of first appearance: what is plotted by default.

    A key is a metric when it is not in `BOOKKEEPING_KEYS` and at least one record gives it a
    float value (`1.5`, `2.0`, NaN). Keys that are only ever integers are counts and settings
    (`num_layers`, `seed`, ...), not curves; metrics such as loss, BLEU or learning rate are
    floats. Either kind can still be plotted by asking for it by name.
    """
    names: dict[str, bool] = {}
    for record in records:
        for key, value in record.items():
            if key not in BOOKKEEPING_KEYS and is_number(value):
                names[key] = names.get(key, False) or isinstance(value, float)
    return [name for name, has_float in names.items() if has_float]


def splits_of(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Split names in order of first appearance."""
    return list(dict.fromkeys(str(r["split"]) for r in records))


def parse_metric(spec: str) -> tuple[str | None, str]:
    """`"valid/loss"` -> `("valid", "loss")`; `"loss"` -> `(None, "loss")` (every split)."""
    split, sep, name = spec.partition("/")
    return (split, name) if sep else (None, spec)


def require_metrics(runs: Sequence[Run], specs: Sequence[str]) -> None:
    """Raise MetricsError for a metric that no run logs (in the requested split, if any)."""
    for spec in specs:
        split, name = parse_metric(spec)
        if any(_has(run, split, name) for run in runs):
            continue
        sources = ", ".join(run.source for run in runs)
        if split is None:
            available = sorted({m for run in runs for m in metric_names(run.records)})
            raise MetricsError(
                f"{sources}: unknown metric '{name}' (available: {', '.join(available) or 'none'})"
            )
        in_split = sorted(
            {
                m
                for run in runs
                for m in metric_names([r for r in run.records if r["split"] == split])
            }
        )
        elsewhere = sorted(
            {f"{r['split']}/{name}" for run in runs for r in run.records if is_number(r.get(name))}
        )
        also = f"; '{name}' is logged as {', '.join(elsewhere)}" if elsewhere else ""
        raise MetricsError(
            f"{sources}: unknown metric '{name}' in split '{split}' "
            f"(split '{split}' has: {', '.join(in_split) or 'none'}{also})"
        )


def _has(run: Run, split: str | None, name: str) -> bool:
    return any(
        is_number(r.get(name)) and (split is None or r["split"] == split) for r in run.records
    )


def series(run: Run, split: str, metric: str, x: str = "step") -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) points of one metric in one split, ordered by step.

    A step logged twice (a resumed run re-logs the steps after its last checkpoint) keeps the
    last value. For `x="time"` the values are seconds since the run started; for `x="tokens"`
    they are cumulative training tokens (see `token_axis`).

    Raises:
        MetricsError: The x axis cannot be computed for this run.
    """
    by_step: dict[int, Mapping[str, Any]] = {}
    for record in run.records:
        if record["split"] == split and is_number(record.get(metric)):
            by_step[record["step"]] = record
    steps = np.array(sorted(by_step), dtype=float)
    ys = np.array([finite_or_nan(by_step[int(s)][metric]) for s in steps], dtype=float)
    if x == "step":
        return steps, ys
    if x == "time":
        times = np.array([finite_or_nan(by_step[int(s)].get("time")) for s in steps])
        if np.isnan(times).any():
            raise MetricsError(f"{run.source}: x='time' but some '{split}' records have no 'time'")
        return times - time_origin(run), ys
    if x == "tokens":
        knot_steps, knot_tokens = token_axis(run)
        return np.interp(steps, knot_steps, knot_tokens), ys
    raise ValueError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")


def time_origin(run: Run) -> float:
    """What `time` counts from: the first timestamp for wall-clock times, else 0 (elapsed)."""
    times = [r["time"] for r in run.records if is_number(r.get("time"))]
    if times and min(times) > _UNIX_EPOCH_2001:
        return float(min(times))
    return 0.0


def token_axis(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative training tokens at each step, as (steps, tokens) knots to interpolate.

    Uses a cumulative `tokens` field where records have one; otherwise integrates the train
    split's `tokens_per_s` over the `time` between its records.

    Raises:
        MetricsError: The run logs neither `tokens` nor `tokens_per_s` with `time`.
    """
    logged = {r["step"]: float(r["tokens"]) for r in run.records if is_number(r.get("tokens"))}
    if logged:
        steps = sorted(logged)
        return np.array(steps, dtype=float), np.array([logged[s] for s in steps])
    train = {
        r["step"]: r
        for r in run.records
        if r["split"] == "train" and is_number(r.get("tokens_per_s")) and is_number(r.get("time"))
    }
    if not train:
        raise MetricsError(
            f"{run.source}: x='tokens' needs a cumulative 'tokens' field, "
            "or 'tokens_per_s' and 'time' in the train records"
        )
    steps = sorted(train)
    times = np.array([float(train[s]["time"]) for s in steps])
    rates = np.array([float(train[s]["tokens_per_s"]) for s in steps])
    intervals = np.diff(np.concatenate([[time_origin(run)], times]))
    tokens = np.cumsum(np.clip(intervals, 0.0, None) * rates)
    return np.array(steps, dtype=float), tokens
