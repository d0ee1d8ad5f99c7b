"""plot_lr_schedule: the schedule's values on one axes, its peak marked."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rd_viz import plot_lr_schedule


def warmup_then_decay(step: int) -> float:
    return 1e-3 * min((step + 1) / 10, (10 / (step + 1)) ** 0.5)


def test_arrays_are_drawn_as_given():
    steps, lrs = [0, 1, 2, 3], [0.0, 1e-3, 5e-4, 2.5e-4]
    fig = plot_lr_schedule(steps, lrs)
    (ax,) = fig.axes
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), steps)
    np.testing.assert_allclose(line.get_ydata(), lrs)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step", "learning rate")
    assert ax.get_title() == "learning rate schedule"


def test_a_function_is_evaluated_at_every_step_and_its_peak_annotated():
    ax = plot_lr_schedule(50, warmup_then_decay).axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), np.arange(50))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [warmup_then_decay(s) for s in range(50)])
    (note,) = ax.texts
    assert note.get_text() == "peak 0.001 at step 9"
    peak_marker = ax.lines[1]
    assert (peak_marker.get_xdata()[0], peak_marker.get_ydata()[0]) == (9, pytest.approx(1e-3))


def test_several_schedules_get_a_legend():
    fig = plot_lr_schedule(range(20), {"noam": warmup_then_decay, "constant": [1e-4] * 20})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["noam", "constant"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["noam", "constant"]
    assert not ax.texts  # no peak note when comparing


def test_log_scale_on_request():
    assert plot_lr_schedule(10, warmup_then_decay, log_y=True).axes[0].get_yscale() == "log"


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="steps has 3 values but lrs has 2"):
        plot_lr_schedule([0, 1, 2], [1e-3, 1e-3])


def test_saves_png(tmp_path):
    out = tmp_path / "lr.png"
    plot_lr_schedule(10, warmup_then_decay, out=out)
    assert out.read_bytes().startswith(b"\x89PNG")


def test_late_steps_are_labelled_without_an_offset():
    # A resumed run's schedule from step 100000 on: no "+1e5" offset under the step axis.
    fig = plot_lr_schedule(np.arange(100_000, 100_040), warmup_then_decay)
    fig.savefig(io.BytesIO(), format="png")
    ax = fig.axes[0]
    assert ax.xaxis.get_major_formatter().get_useOffset() is False
    assert ax.xaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels and all(99_900 < float(label) < 100_100 for label in labels)
