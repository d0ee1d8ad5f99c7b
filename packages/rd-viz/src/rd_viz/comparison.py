"""Compare runs: the final value of each metric, one bar per run (or per sweep setting)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rd_viz._figure import grid_shape, new_figure, plain_tick_labels, plot_style, save_figure
from rd_viz.metrics_file import is_number
from rd_viz.runs import Run, Runs, RunSource, load_runs, parse_metric, require_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SPLIT_PREFERENCE = ("test", "valid", "train")
"""For a metric named without a split, the final value comes from the first split that has it."""


def final_metrics(
    runs: Runs, metrics: str | Sequence[str]
) -> dict[str, dict[str, tuple[float, str] | None]]:
    """The last logged value of each metric in each run, and the split it came from.

    Args:
        runs: As for `plot_training_curves`.
        metrics: Names such as `"bleu"` (taken from test, else valid, else train) or
            `"valid/loss"` (that split only).

    Returns:
        `{run name: {metric: (value, split) or None when the run never logs it}}`.

    Raises:
        MetricsError: A malformed metrics file, or a metric that no run logs.
    """
    specs = [metrics] if isinstance(metrics, str) else list(metrics)
    loaded = load_runs(runs)
    require_metrics(loaded, specs)
    return {run.name: {spec: _final(run, spec) for spec in specs} for run in loaded}


def _final(run: Run, spec: str) -> tuple[float, str] | None:
    only_split, metric = parse_metric(spec)
    splits = [only_split] if only_split else [*SPLIT_PREFERENCE, None]
    for split in splits:
        found = [
            r
            for r in run.records
            if is_number(r.get(metric))
            and (r["split"] == split if split else r["split"] not in SPLIT_PREFERENCE)
        ]
        if found:
            # Highest step wins; among equal steps (a resumed run) the one written last.
            last = max(enumerate(found), key=lambda pair: (pair[1]["step"], pair[0]))[1]
            return float(last[metric]), str(last["split"])
    return None


def plot_run_comparison(
    runs: Runs,
    metrics: str | Sequence[str],
    out: str | os.PathLike[str] | None = None,
    *,
    title: str | None = "final metrics",
) -> Figure:
    """Bar charts of each run's final metrics, one panel per metric, runs top to bottom.

    Args:
        runs: Several run directories, metrics.jsonl paths or record lists (or a mapping from
            display name to one); a single run works too.
        metrics: Names such as `"bleu"` (from test, else valid, else train) or `"valid/loss"`.
        out: Where to save (format from the extension: .png, .svg, .pdf); None saves nothing.
        title: Figure title; None for none.

    Returns:
        The figure: one axes per metric, one horizontal bar per run (in the order given) with
        its value written beside it; a run that never logs the metric gets "n/a" and no bar.

    Raises:
        MetricsFileNotFoundError: A run directory has no metrics.jsonl.
        MetricsError: A malformed metrics file, or a metric that no run logs.
    """
    specs = [metrics] if isinstance(metrics, str) else list(metrics)
    if not specs:
        raise ValueError("metrics is empty: name at least one metric to compare")
    table = final_metrics(runs, specs)
    names = list(table)

    with plot_style():
        nrows, ncols = grid_shape(len(specs), max_cols=2 if len(specs) == 4 else 3)
        fig, grid = new_figure(nrows, ncols, (4.6 * ncols + 1.0, (0.45 * len(names) + 1.3) * nrows))
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(specs) :]:
            ax.remove()
        for index, (ax, spec) in enumerate(zip(axes, specs, strict=False)):
            _draw_bars(ax, names, [table[name][spec] for name in names], spec, index % ncols == 0)
        if title:
            fig.suptitle(title)
    save_figure(fig, out)
    return fig


def _draw_bars(
    ax: Any, names: list[str], finals: list[tuple[float, str] | None], spec: str, labels: bool
) -> None:
    positions = np.arange(len(names))
    values = np.array([f[0] if f else np.nan for f in finals])
    splits = {f[1] for f in finals if f}
    ax.barh(positions, np.nan_to_num(values), color=[f"C{i % 10}" for i in positions], height=0.6)
    for pos, final in zip(positions, finals, strict=True):
        if final is None:
            text = "n/a"
        else:
            text = _format_value(final[0]) + (f" ({final[1]})" if len(splits) > 1 else "")
        ax.annotate(
            text,
            xy=(0 if final is None else max(final[0], 0.0), pos),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(positions)
    if labels:
        ax.set_yticklabels(names)
    else:
        ax.tick_params(axis="y", labelleft=False)
    ax.invert_yaxis()  # first run on top
    finite = values[np.isfinite(values)]
    low = min(0.0, float(finite.min())) if finite.size else 0.0
    high = max(0.0, float(finite.max())) if finite.size else 1.0
    span = (high - low) or 1.0
    # Room on the right for the value written beside the longest bar.
    ax.set_xlim(low - (0.05 * span if low < 0 else 0.0), high + 0.3 * span)
    ax.grid(axis="y", visible=False)
    split_note = f" ({splits.pop()})" if len(splits) == 1 else ""
    ax.set_title(f"{parse_metric(spec)[1]}{split_note}")
    ax.set_xlabel("final value")
    plain_tick_labels(ax, "x")


def _format_value(value: float) -> str:
    """Four significant digits; thousands separators instead of exponents for big numbers."""
    if 1e3 <= abs(value) < 1e12:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def plot_sweep(
    groups: Mapping[str, Sequence[RunSource]],
    metric: str,
    out: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """A sweep's settings side by side: per setting the mean of its runs' final `metric` as a
    bar, ± the sample standard deviation (two runs or more), and every run as a dot.

    Args:
        groups: setting name -> its runs (e.g. one per seed), in the order to draw them.
        metric: e.g. `"bleu"` (from test, else valid, else train) or `"valid/loss"`.
        out: where to save (.png, .svg, .pdf); None saves nothing.
        title: figure title (default: the metric).

    Raises:
        MetricsError: a malformed metrics file, or a metric that no run logs.
    """
    everything = [run for runs in groups.values() for run in runs]
    loaded = load_runs({str(i): run for i, run in enumerate(everything)})  # each read once
    require_metrics(loaded, [metric])
    finals = iter([_final(run, metric) for run in loaded])
    values = {
        setting: [f[0] for f in itertools.islice(finals, len(runs)) if f is not None]
        for setting, runs in groups.items()
    }
    names = list(values)
    with plot_style():
        fig, grid = new_figure(1, 1, (6.4, 0.5 * len(names) + 1.4))
        ax = grid[0][0]
        positions = np.arange(len(names))
        means = [float(np.mean(v)) if v else np.nan for v in values.values()]
        stds = [float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for v in values.values()]
        ax.barh(positions, np.nan_to_num(means), xerr=stds, height=0.6, capsize=4,
                color=[f"C{i % 10}" for i in positions], alpha=0.75)  # fmt: skip
        for pos, runs in zip(positions, values.values(), strict=True):
            ax.plot(runs, [pos] * len(runs), "o", color="black", markersize=3.5)
        ax.set_yticks(positions)
        ax.set_yticklabels(names)
        ax.invert_yaxis()  # first setting on top
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(f"final {metric} (mean ± std over runs)")
        plain_tick_labels(ax, "x")
        fig.suptitle(title or metric)
    save_figure(fig, out)
    return fig


def final_values(runs: Sequence[RunSource], metric: str) -> list[float | None]:
    """The final `metric` of each of `runs`, in order (None for a run that never logs it).

    Raises:
        MetricsError: a malformed metrics file.
    """
    loaded = load_runs({str(i): run for i, run in enumerate(runs)})
    return [None if (final := _final(run, metric)) is None else final[0] for run in loaded]
