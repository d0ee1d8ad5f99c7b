"""Figure creation and saving shared by the plotting functions.

Figures are built with `matplotlib.figure.Figure` directly, never through `pyplot`: no GUI
backend is ever selected (headless, like Agg, whatever `MPLBACKEND` says), nothing is kept in a
global figure registry, and a figure returned in a notebook still displays. matplotlib is
imported inside these functions so that `import rd_viz` and `rd-plot --help` stay fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

SAVE_DPI = 150
"""Resolution of saved raster images (PNG)."""

STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.fontsize": 9,
    "legend.framealpha": 0.85,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.titlesize": 12,
    "figure.titleweight": "bold",
    "lines.linewidth": 1.6,
}
"""rcParams every rd-viz figure is drawn with."""


@contextmanager
def plot_style() -> Iterator[None]:
    """Apply `STYLE` while a figure's artists are created."""
    import matplotlib

    with matplotlib.rc_context(cast(Any, STYLE)):
        yield


def new_figure(
    nrows: int, ncols: int, size: tuple[float, float], **subplot_kw: Any
) -> tuple[Figure, list[list[Axes]]]:
    """A constrained-layout figure of `size` inches with an `nrows` x `ncols` grid of axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, [list(row) for row in grid]


def plain_tick_labels(ax: Axes, axis: str = "both") -> None:
    """Label `ax`'s linear axes with the numbers themselves, never with an offset.

    matplotlib's default writes ticks relative to an offset when the values vary little around a
    large number: BLEU between 99.9601 and 99.9625 becomes ticks 0.0000 ... 0.0025 and a
    corner note `+9.996e1`. Here the ticks read 99.9600 ... 99.9625. Scientific notation stays
    for values below 1e-5 or from 1e6 up (matplotlib's `axes.formatter.limits`), where plain
    labels would be long strings of zeros.

    Args:
        ax: The axes.
        axis: `"x"`, `"y"` or `"both"`. Call it after choosing the scale: `set_yscale` replaces
            the formatter, and log axes keep their own.
    """
    from matplotlib.ticker import ScalarFormatter

    for name in ("x", "y") if axis == "both" else (axis,):
        side = ax.xaxis if name == "x" else ax.yaxis
        if side.get_scale() == "linear":
            side.set_major_formatter(ScalarFormatter(useOffset=False))


def grid_shape(count: int, max_cols: int) -> tuple[int, int]:
    """Rows and columns to lay out `count` panels at most `max_cols` wide."""
    ncols = max(1, min(count, max_cols))
    return -(-count // ncols), ncols


def image_format(out: str | os.PathLike[str]) -> str:
    """The image format an output path asks for, from its extension.

    Raises:
        ValueError: `out` has no extension or one matplotlib cannot write.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(out)
    fmt = path.suffix.lower().lstrip(".")
    supported = FigureCanvasBase.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"{path}: cannot tell the image format; end the name in .png, .svg or .pdf "
            f"(supported: {', '.join(sorted(supported))})"
        )
    return fmt


def save_figure(fig: Figure, out: str | os.PathLike[str] | None) -> None:
    """Save `fig` to `out` (format from the extension: png, svg, pdf, ...); no-op for None.

    The file is written under a temporary name and renamed, so a reader never sees half a file.

    Raises:
        ValueError: `out` has no extension or one matplotlib cannot write.
    """
    if out is None:
        return
    fmt = image_format(out)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fig.savefig(tmp, format=fmt, dpi=SAVE_DPI, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
