"""A confusion matrix: true classes down, predicted classes across, each row as shares."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rd_viz._figure import new_figure, plot_style, save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_confusion_matrix(
    matrix: Any,
    labels: Sequence[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Draw `matrix[true, predicted]` counts as a heatmap of each true class's shares.

    Every cell is labelled with its count; the colour is the share of its row, so a rare class
    reads as clearly as a common one. The title gives the accuracy (the diagonal's share).

    Args:
        matrix: `[K, K]` counts (array-like), rows the true classes.
        labels: the K class names (default: 0 .. K-1).
        out: save to this file (format from the extension), if given.
        title: first line of the title (default: "confusion matrix").

    Returns:
        The figure.

    Raises:
        ValueError: `matrix` is not square with non-negative counts, or `labels` has another
            length.
    """
    counts = np.asarray(matrix, dtype=np.int64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or (counts < 0).any():
        raise ValueError(f"matrix must be [K, K] non-negative counts, got shape {counts.shape}")
    k = counts.shape[0]
    names = [str(i) for i in range(k)] if labels is None else [str(x) for x in labels]
    if len(names) != k:
        raise ValueError(f"labels has {len(names)} names for {k} classes")
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    accuracy = np.trace(counts) / max(int(counts.sum()), 1)
    side = min(3.0 + 0.45 * k, 14.0)
    with plot_style():
        fig, ((ax,),) = new_figure(1, 1, (side + 1.0, side))
        image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.grid(False)
        ax.set_xticks(range(k), names, rotation=45 if k > 10 else 0)
        ax.set_yticks(range(k), names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        if k <= 30:  # past that the numbers no longer fit in the cells
            for (i, j), n in np.ndenumerate(counts):
                colour = "white" if shares[i, j] > 0.5 else "black"
                ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color=colour)
        fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
        ax.set_title(f"{title or 'confusion matrix'}\naccuracy {100 * accuracy:.2f}%")
    save_figure(fig, out)
    return fig
