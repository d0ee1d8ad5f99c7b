"""plot_attention: a heatmap per (layer, head) showing the weights, labelled with the tokens."""

from __future__ import annotations

import numpy as np
import pytest

from rd_viz import plot_attention

SRC = ["▁Die", "▁Katze", "▁schläft", "</s>"]
TGT = ["<s>", "▁The", "▁cat"]


def weights(*shape: int) -> np.ndarray:
    raw = np.random.default_rng(0).random(shape)
    return raw / raw.sum(-1, keepdims=True)


def heatmaps(fig):
    """The axes that hold a heatmap (the colorbar's axes excluded)."""
    return [ax for ax in fig.axes if ax.images]


def tick_texts(labels):
    return [label.get_text() for label in labels]


def test_one_panel_per_head_with_the_weights_and_tokens():
    w = weights(4, 3, 4)
    fig = plot_attention(w, SRC, TGT)
    axes = heatmaps(fig)
    assert len(axes) == 4
    assert len(fig.axes) == 5  # plus one shared colorbar
    assert [ax.get_title() for ax in axes] == ["head 0", "head 1", "head 2", "head 3"]
    for head, ax in enumerate(axes):
        np.testing.assert_allclose(ax.images[0].get_array(), w[head])
    first = axes[0]
    assert tick_texts(first.get_yticklabels()) == TGT
    assert tick_texts(first.get_xticklabels()) == SRC
    assert (first.get_xlabel(), first.get_ylabel()) == ("source", "target")
    assert fig.get_suptitle() == "attention weights"


def test_layer_of_a_4d_array_and_a_subset_of_heads():
    w = weights(6, 8, 3, 4)
    axes = heatmaps(plot_attention(w, SRC, TGT, layer=-1, heads=[2, 5]))
    assert [ax.get_title() for ax in axes] == ["layer 5, head 2", "layer 5, head 5"]
    np.testing.assert_allclose(axes[1].images[0].get_array(), w[5, 5])


def test_all_layers_are_rows_of_heads():
    w = weights(3, 2, 3, 4)
    axes = heatmaps(plot_attention(w, SRC, TGT))
    assert [ax.get_title() for ax in axes] == [
        f"layer {layer}, head {head}" for layer in range(3) for head in range(2)
    ]
    # Token labels only on the outer panels: y on the first column, x on the bottom row.
    assert tick_texts(axes[2].get_yticklabels()) == TGT
    assert not axes[3].yaxis.get_tick_params()["labelleft"]
    assert tick_texts(axes[5].get_xticklabels()) == SRC
    assert not axes[0].xaxis.get_tick_params()["labelbottom"]


def test_list_of_per_layer_arrays_with_a_batch_of_one():
    per_layer = [weights(1, 2, 3, 4) for _ in range(2)]  # rd_models' attn["cross"]
    axes = heatmaps(plot_attention(per_layer, SRC, TGT, layer=1, heads=0))
    assert [ax.get_title() for ax in axes] == ["layer 1, head 0"]
    np.testing.assert_allclose(axes[0].images[0].get_array(), per_layer[1][0, 0])


def test_a_single_head_matrix_and_numbered_positions():
    axes = heatmaps(plot_attention(weights(3, 4), None, None))
    assert len(axes) == 1
    assert tick_texts(axes[0].get_xticklabels()) == ["0", "1", "2", "3"]


def test_tensor_like_inputs_go_through_numpy():
    class FakeTensor:
        """Stands in for a torch tensor that requires grad (detach -> cpu -> float -> numpy)."""

        def __init__(self, array):
            self.array = array

        def detach(self):
            return self

        def cpu(self):
            return self

        def float(self):
            return self

        def __array__(self, dtype=None, copy=None):
            return self.array

    w = weights(2, 3, 4)
    axes = heatmaps(plot_attention(FakeTensor(w), SRC, TGT))
    np.testing.assert_allclose(axes[1].images[0].get_array(), w[1])


def test_dollar_signs_are_shown_literally():
    ax = heatmaps(plot_attention(weights(1, 3, 4), ["$5", "a", "b", "c"], TGT))[0]
    assert tick_texts(ax.get_xticklabels())[0] == r"\$5"


def test_long_sequences_label_every_kth_token():
    ax = heatmaps(plot_attention(weights(1, 80, 80), None, None))[0]
    labels = tick_texts(ax.get_xticklabels())
    every = int(labels[1])
    assert every > 1
    assert labels == [str(i) for i in range(0, 80, every)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((weights(2, 3, 4), SRC[:3], TGT), "src_tokens has 3 tokens but the weights have S=4"),
        ((weights(2, 3, 4), SRC, TGT[:2]), "tgt_tokens has 2 tokens but the weights have T=3"),
        ((weights(1, 1, 2, 3, 4), SRC, TGT), r"weights have shape \[1, 1, 2, 3, 4\]"),
        (([weights(2, 3, 4), weights(2, 3, 5)], SRC, TGT), "layers differ in shape"),
        (([], SRC, TGT), "empty list"),
    ],
)
def test_bad_shapes_are_errors(args, message):
    with pytest.raises(ValueError, match=message):
        plot_attention(*args)


def test_layer_and_head_out_of_range():
    with pytest.raises(ValueError, match="layer 6 is out of range: there are 6 layers"):
        plot_attention(weights(6, 2, 3, 4), SRC, TGT, layer=6)
    with pytest.raises(ValueError, match="head 2 is out of range"):
        plot_attention(weights(2, 3, 4), SRC, TGT, heads=[0, 2])


def test_saves_png(tmp_path):
    out = tmp_path / "attention.png"
    plot_attention(weights(2, 3, 4), SRC, TGT, out=out)
    assert out.read_bytes().startswith(b"\x89PNG")
