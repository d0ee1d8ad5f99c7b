"""Attention maps: one heatmap per (layer, head), target tokens down, source tokens across."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from rd_viz._figure import grid_shape, new_figure, plot_style, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MAX_PANEL = 6.5  # inches for the longer side of one heatmap
_MAX_FIG_WIDTH = 24.0  # inches; bigger grids get smaller cells instead
_MAX_FIG_HEIGHT = 28.0
_LABEL_FONT = 8.0  # points; labels are thinned out (every k-th) rather than shrunk below 6


def plot_attention(
    weights: Any,
    src_tokens: Sequence[str] | None = None,
    tgt_tokens: Sequence[str] | None = None,
    layer: int | Sequence[int] | None = None,
    heads: int | Sequence[int] | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
) -> Figure:
    """Draw attention weights as heatmaps, one per head, labelled with the tokens.

    Rows are target positions (queries), columns source positions (keys); for self-attention
    pass the same tokens twice. Layer and head numbers in titles count from 0, like the
    arguments.

    Args:
        weights: `[H, T, S]` (one layer), `[L, H, T, S]`, `[T, S]` (one head), or a list of
            per-layer `[H, T, S]` arrays such as `rd_models`' `attn["cross"]` (a leading batch
            dimension of size 1 is dropped). numpy arrays or tensors (via `np.asarray`).
        src_tokens: One label per source position (S of them); None numbers the positions.
        tgt_tokens: One label per target position (T of them); None numbers the positions.
        layer: Layer index (negative counts from the end) or indices to draw; None draws all,
            one row per layer.
        heads: Head index or indices to draw; None draws all.
        out: Where to save (format from the extension: .png, .svg, .pdf); None saves nothing.
        title: Figure title (default "attention weights").

    Returns:
        The figure: one heatmap axes per selected (layer, head), row by row, plus one colorbar.

    Raises:
        ValueError: Weights of an unsupported shape, token lists whose length does not match,
            or a layer/head index out of range.
    """
    layers = _as_layers(weights)
    layer_ids = _select(layer, len(layers), "layer")
    num_heads, tgt_len, src_len = layers[layer_ids[0]].shape
    head_ids = _select(heads, num_heads, "head")
    src_labels = _labels(src_tokens, src_len, "src_tokens", "S")
    tgt_labels = _labels(tgt_tokens, tgt_len, "tgt_tokens", "T")
    maps = [(li, hi, layers[li][hi]) for li in layer_ids for hi in head_ids]
    vmax = max(float(np.nanmax(m)) for _, _, m in maps) or 1.0
    show_layer = len(layers) > 1

    if len(layer_ids) > 1:
        nrows, ncols = len(layer_ids), len(head_ids)
    else:
        nrows, ncols = grid_shape(len(head_ids), max_cols=4)
    panel_w, panel_h, cell = _panel_size(src_len, tgt_len, nrows, ncols)
    fontsize = float(np.clip(cell * 72 * 0.9, 6.0, _LABEL_FONT))
    every = max(1, int(np.ceil(fontsize * 1.15 / (cell * 72))))
    with plot_style():
        fig, grid = new_figure(nrows, ncols, (ncols * panel_w + 1.2, nrows * panel_h + 0.6))
        axes = [ax for row in grid for ax in row]
        for ax in axes[len(maps) :]:
            ax.remove()
        image = None
        for index, (ax, (li, hi, matrix)) in enumerate(zip(axes, maps, strict=False)):
            image = ax.imshow(
                matrix, cmap="viridis", vmin=0.0, vmax=vmax, aspect="auto", interpolation="nearest"
            )
            name = f"layer {li}, head {hi}" if show_layer else f"head {hi}"
            ax.set_title(name, fontsize=9)
            col = index % ncols
            last_in_column = index + ncols >= len(maps)
            _label_axis(ax, src_labels, every, "x", last_in_column, fontsize)
            _label_axis(ax, tgt_labels, every, "y", col == 0, fontsize)
            ax.grid(False)
        assert image is not None  # at least one head is drawn
        fig.colorbar(image, ax=axes[: len(maps)], shrink=0.8, label="attention weight")
        fig.suptitle(title or "attention weights")
    save_figure(fig, out)
    return fig


def _as_layers(weights: Any) -> list[np.ndarray]:
    """Weights as a list of `[H, T, S]` float arrays, one per layer."""
    if isinstance(weights, (list, tuple)):
        if not weights:
            raise ValueError("weights is an empty list: nothing to plot")
        layers = [_to_numpy(w) for w in weights]
        layers = [w[0] if w.ndim == 4 and w.shape[0] == 1 else w for w in layers]
        layers = [w[None] if w.ndim == 2 else w for w in layers]
        for index, w in enumerate(layers):
            if w.ndim != 3:
                raise ValueError(
                    f"weights[{index}] has shape {list(w.shape)}; each layer must be [H, T, S]"
                )
        if len({w.shape for w in layers}) > 1:
            raise ValueError(f"layers differ in shape: {[list(w.shape) for w in layers]}")
        return layers
    array = _to_numpy(weights)
    if array.ndim == 2:
        return [array[None]]
    if array.ndim == 3:
        return [array]
    if array.ndim == 4:
        return list(array)
    raise ValueError(
        f"weights have shape {list(array.shape)}; expected [T, S], [H, T, S], [L, H, T, S] "
        "or a list of per-layer [H, T, S] arrays (index a batch first)"
    )


def _to_numpy(value: Any) -> np.ndarray:
    # Tensors: leave autograd, the GPU and bfloat16 (numpy has none) without importing torch.
    if hasattr(value, "detach"):
        value = value.detach().cpu().float()
    return np.asarray(value, dtype=float)


def _select(choice: int | Sequence[int] | None, count: int, what: str) -> list[int]:
    wanted = range(count) if choice is None else [choice] if isinstance(choice, int) else choice
    chosen = []
    for index in wanted:
        if not -count <= int(index) < count:
            raise ValueError(f"{what} {index} is out of range: there are {count} {what}s")
        chosen.append(int(index) % count)
    if not chosen:
        raise ValueError(f"no {what}s selected")
    return chosen


def _labels(tokens: Sequence[str] | None, length: int, name: str, dim: str) -> list[str]:
    if tokens is None:
        return [str(i) for i in range(length)]
    labels = [str(t) for t in tokens]
    if len(labels) != length:
        raise ValueError(f"{name} has {len(labels)} tokens but the weights have {dim}={length}")
    # A '$' would start matplotlib mathtext; tokens are shown literally.
    return [label.replace("$", r"\$") for label in labels]


def _panel_size(src_len: int, tgt_len: int, nrows: int, ncols: int) -> tuple[float, float, float]:
    """Inches per panel (square cells plus room for labels) and inches per cell."""
    # Short sentences get cells big enough for a label each; long ones are capped in size.
    cell = min(0.3, _MAX_PANEL / max(src_len, tgt_len))
    width, height = src_len * cell + 1.1, tgt_len * cell + 0.9
    shrink = min(1.0, _MAX_FIG_WIDTH / (ncols * width), _MAX_FIG_HEIGHT / (nrows * height))
    return width * shrink, height * shrink, cell * shrink


def _label_axis(
    ax: Axes, labels: list[str], every: int, axis: str, show: bool, fontsize: float
) -> None:
    """Token tick labels (every k-th when cells are small) on the outer panels, bare ticks inside."""
    positions = list(range(0, len(labels), every))
    texts = [labels[i] for i in positions]
    if axis == "x":
        ax.set_xticks(positions)
        if show:
            ax.set_xticklabels(texts, rotation=90, fontsize=fontsize)
            ax.set_xlabel("source")
        else:
            ax.tick_params(axis="x", labelbottom=False)
    else:
        ax.set_yticks(positions)
        if show:
            ax.set_yticklabels(texts, fontsize=fontsize)
            ax.set_ylabel("target")
        else:
            ax.tick_params(axis="y", labelleft=False)
