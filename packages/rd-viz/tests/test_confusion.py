"""plot_confusion_matrix: row shares as colour, counts as text, accuracy in the title."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rd_viz import plot_confusion_matrix


def test_cells_show_counts_coloured_by_the_share_of_their_true_class(tmp_path: Path) -> None:
    counts = np.array([[8, 2], [1, 9]])
    fig = plot_confusion_matrix(counts, ["cat", "dog"], out=tmp_path / "cm.png")
    (ax, *_) = [a for a in fig.axes if a.images]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.8, 0.2], [0.1, 0.9]])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "8", "9"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    assert ax.get_title().endswith("accuracy 85.00%")
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_a_class_without_examples_and_bad_inputs() -> None:
    fig = plot_confusion_matrix([[0, 0], [0, 3]])  # an empty row is drawn as zero shares
    assert next(a for a in fig.axes if a.images).images[0].get_array()[0].tolist() == [0, 0]
    with pytest.raises(ValueError, match=r"\[K, K\]"):
        plot_confusion_matrix([[1, 2, 3]])
    with pytest.raises(ValueError, match="labels has 3 names for 2 classes"):
        plot_confusion_matrix([[1, 0], [0, 1]], ["a", "b", "c"])
