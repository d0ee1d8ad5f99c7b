"""Learning-rate schedules: lr over steps, with the peak marked (where warmup ends)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from rd_viz._figure import new_figure, plain_tick_labels, plot_style, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LrValues: TypeAlias = Sequence[float] | np.ndarray | Callable[[int], float] | Any
"""Learning rates for each step: an array-like (tensors work), or a function of the step."""


def plot_lr_schedule(
    steps: int | Sequence[int] | np.ndarray | Any,
    lrs: LrValues | Mapping[str, LrValues],
    out: str | os.PathLike[str] | None = None,
    *,
    log_y: bool = False,
    title: str = "learning rate schedule",
) -> Figure:
    """Plot one or several learning-rate schedules over training steps.

    Args:
        steps: The steps (array-like), or a count `n` meaning steps `0 .. n-1`.
        lrs: The learning rate at each step (array-like of the same length as `steps`), a
            function `step -> lr` (e.g. a Noam schedule) evaluated at every step, or a mapping
            from legend name to either, to compare schedules.
        out: Where to save (format from the extension: .png, .svg, .pdf); None saves nothing.
        log_y: Log-scale the learning-rate axis.
        title: Axes title.

    Returns:
        The figure: one axes with one line per schedule; with a single schedule its peak is
        marked and annotated.

    Raises:
        ValueError: `steps` and `lrs` differ in length, or there is nothing to plot.
    """
    xs = np.arange(int(steps)) if isinstance(steps, (int, np.integer)) else np.asarray(steps)
    xs = xs.astype(float).ravel()
    if xs.size == 0:
        raise ValueError("steps is empty: nothing to plot")
    named = dict(lrs) if isinstance(lrs, Mapping) else {"": lrs}
    curves = {name: _evaluate(values, xs, name) for name, values in named.items()}

    with plot_style():
        fig, grid = new_figure(1, 1, (7.0, 3.9))
        ax = grid[0][0]
        for index, (name, ys) in enumerate(curves.items()):
            ax.plot(xs, ys, color=f"C{index % 10}", label=name or "learning rate")
        if len(curves) == 1:
            (ys,) = curves.values()
            _mark_peak(ax, xs, ys)
        else:
            ax.legend(loc="best")
        ax.set_title(title)
        ax.set_xlabel("step")
        ax.set_ylabel("learning rate")
        if log_y:
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 3), useOffset=False)
            ax.set_ylim(bottom=0)
        plain_tick_labels(ax, "x")
        # Headroom above the peak for its annotation and the legend.
        finite = [ys[np.isfinite(ys)] for ys in curves.values()]
        top = max((float(f.max()) for f in finite if f.size), default=0.0)
        if top > 0 and not log_y:
            ax.set_ylim(top=top * 1.15)
    save_figure(fig, out)
    return fig


def _evaluate(values: LrValues, xs: np.ndarray, name: str) -> np.ndarray:
    """The schedule's learning rate at every step in `xs`."""
    if callable(values):
        return np.array([float(values(int(step))) for step in xs])
    ys = np.asarray(values, dtype=float).ravel()
    if ys.shape != xs.shape:
        which = f"lrs[{name!r}]" if name else "lrs"
        raise ValueError(f"steps has {xs.size} values but {which} has {ys.size}")
    return ys


def _mark_peak(ax: Any, xs: np.ndarray, ys: np.ndarray) -> None:
    if not np.isfinite(ys).any():
        return
    peak = int(np.nanargmax(ys))
    ax.plot([xs[peak]], [ys[peak]], "o", color="C3", markersize=5, label="_peak")
    # Write the note on the side of the peak that has room (a warmup-only schedule peaks last).
    on_right = xs[peak] <= xs[0] + 0.7 * (xs[-1] - xs[0])
    ax.annotate(
        f"peak {ys[peak]:.3g} at step {xs[peak]:g}",
        xy=(xs[peak], ys[peak]),
        xytext=(7 if on_right else -7, 5),
        textcoords="offset points",
        ha="left" if on_right else "right",
        va="bottom",
        fontsize=9,
    )
