"""Training curves: one panel per metric, train and valid (and test) of every run on it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rd_viz._figure import grid_shape, new_figure, plain_tick_labels, plot_style, save_figure
from rd_viz.runs import (
    X_AXES,
    Run,
    Runs,
    load_runs,
    parse_metric,
    require_metrics,
    series,
    splits_of,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

LOG_SCALE_RATIO = 20.0
"""Auto log scale: a panel goes log-y when its positive values span at least this factor."""

_SPLIT_STYLE: dict[str, dict[str, Any]] = {
    "train": {"linestyle": "-"},
    "valid": {"linestyle": "--", "marker": "o", "markersize": 3.5},
    "test": {"linestyle": "none", "marker": "s", "markersize": 6},
}
_OTHER_SPLIT_STYLE: dict[str, Any] = {"linestyle": ":", "marker": "^", "markersize": 4}
_SPLIT_COLOR = {"train": "C0", "valid": "C1", "test": "C2"}


def ema(values: Sequence[float] | np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's smoothing weight and bias correction.

    Args:
        values: The raw series.
        weight: In [0, 1): 0 returns the values unchanged, 0.9 smooths strongly.

    Returns:
        The smoothed series, same length. NaN inputs stay NaN and do not disturb later points.

    Raises:
        ValueError: `weight` is outside [0, 1).
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    raw = np.asarray(values, dtype=float)
    out = np.full_like(raw, np.nan)
    average, count = 0.0, 0
    for i, value in enumerate(raw):
        if not np.isfinite(value):
            continue
        average = average * weight + (1.0 - weight) * value
        count += 1
        # Early points would be pulled towards the 0 the average starts from; undo that bias.
        out[i] = average / (1.0 - weight**count)
    return out


def plot_training_curves(
    runs: Runs,
    metrics: str | Sequence[str] = ("loss",),
    x: str = "step",
    smooth: float | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    log_y: bool | None = None,
    title: str | None = None,
) -> Figure:
    """Plot metrics over training, one panel per metric, every split of every run on it.

    Train is a solid line, valid dashed with markers, test single markers. One run colours the
    splits apart; several runs get a colour each. Legend entries read `<run name> (<split>)`.

    Args:
        runs: A run directory, a metrics.jsonl path or a list of record dicts; a sequence of
            those; or a mapping from display name to one.
        metrics: Metric names such as `"loss"` or `"bleu"`; `"valid/loss"` draws one split only.
        x: `"step"`, `"time"` (since the run started, in s/min/h) or `"tokens"` (cumulative
            training tokens: a `tokens` field, else `tokens_per_s` integrated over `time`).
        smooth: EMA weight in [0, 1) for the train split (e.g. 0.9); the raw curve stays faint
            behind it. None draws raw values only.
        out: Where to save (format from the extension: .png, .svg, .pdf); None saves nothing.
        log_y: Log y axis on every panel (True), none (False), or where positive values span
            20x or more (None).
        title: Figure title; by default the run's name when there is one run.

    Returns:
        The figure, with one axes per metric in the order given.

    Raises:
        MetricsFileNotFoundError: A run directory has no metrics.jsonl.
        MetricsError: A malformed metrics file, or a metric that no run logs.
        ValueError: An unknown `x`, a `smooth` outside [0, 1) or an unsupported `out` extension.
    """
    specs = [metrics] if isinstance(metrics, str) else list(metrics)
    if not specs:
        raise ValueError("metrics is empty: name at least one metric to plot")
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}, got {x!r}")
    if smooth is not None and not 0.0 <= smooth < 1.0:
        raise ValueError(f"smooth must be in [0, 1), got {smooth}")
    loaded = load_runs(runs)
    require_metrics(loaded, specs)

    with plot_style():
        nrows, ncols = grid_shape(len(specs), max_cols=2)
        fig, grid = new_figure(nrows, ncols, (6.0 * ncols, 3.9 * nrows))
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(specs) :]:
            ax.remove()
        time_scale, time_unit = _time_unit(loaded, specs) if x == "time" else (1.0, "")
        for ax, spec in zip(axes, specs, strict=False):
            _draw_metric(ax, loaded, spec, x, smooth, time_scale)
            _decorate(ax, spec, x, time_unit, log_y)
        if title is None and len(loaded) == 1:
            title = loaded[0].name
        if title:
            fig.suptitle(title)
    save_figure(fig, out)
    return fig


def _draw_metric(
    ax: Axes, runs: list[Run], spec: str, x: str, smooth: float | None, time_scale: float
) -> None:
    only_split, metric = parse_metric(spec)
    for run_index, run in enumerate(runs):
        splits = [only_split] if only_split else splits_of(run.records)
        for split in splits:
            xs, ys = series(run, split, metric, x)
            if xs.size == 0:
                continue
            xs = xs / time_scale
            ys = np.where(np.isfinite(ys), ys, np.nan)
            style = dict(_SPLIT_STYLE.get(split, _OTHER_SPLIT_STYLE))
            if xs.size == 1 and "marker" not in style:
                style["marker"] = "o"
            color = _SPLIT_COLOR.get(split, "C3") if len(runs) == 1 else f"C{run_index % 10}"
            label = f"{run.name} ({split})"
            if smooth and split == "train":
                ax.plot(xs, ys, color=color, alpha=0.25, linewidth=1.0, label=f"_{label} raw")
                ys = ema(ys, smooth)
            ax.plot(xs, ys, color=color, label=label, **style)


def _decorate(ax: Axes, spec: str, x: str, time_unit: str, log_y: bool | None) -> None:
    from matplotlib.ticker import EngFormatter

    ax.set_title(spec)
    ax.set_ylabel(parse_metric(spec)[1])
    ax.set_xlabel({"step": "step", "time": f"time ({time_unit})", "tokens": "tokens"}[x])
    if log_y if log_y is not None else _spans_decades(ax):
        ax.set_yscale("log")
    # No "+9.996e1" offset: BLEU near 100 reads 99.9600, 99.9605, ... (log axes keep theirs).
    plain_tick_labels(ax)
    if x == "tokens":
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.legend(loc="best")


def _spans_decades(ax: Axes) -> bool:
    values = np.concatenate([np.asarray(line.get_ydata(), dtype=float) for line in ax.lines])
    values = values[np.isfinite(values)]
    if values.size == 0 or values.min() <= 0:
        return False
    return bool(values.max() / values.min() >= LOG_SCALE_RATIO)


def _time_unit(runs: list[Run], specs: list[str]) -> tuple[float, str]:
    """Seconds per unit and its name, chosen so the longest run reads well."""
    longest = 0.0
    for run in runs:
        for spec in specs:
            only_split, metric = parse_metric(spec)
            for split in [only_split] if only_split else splits_of(run.records):
                xs, _ = series(run, split, metric, "time")
                if xs.size:
                    longest = max(longest, float(np.nanmax(xs)))
    if longest >= 2 * 3600:
        return 3600.0, "h"
    if longest >= 2 * 60:
        return 60.0, "min"
    return 1.0, "s"
