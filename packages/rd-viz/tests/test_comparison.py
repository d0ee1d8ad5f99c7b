"""plot_run_comparison: each run's final value of each metric, as bars side by side."""

from __future__ import annotations

import numpy as np
import pytest

from rd_viz import MetricsError, final_metrics, final_values, plot_run_comparison, plot_sweep

RUN_A = [
    {"step": 10, "split": "train", "loss": 3.0},
    {"step": 20, "split": "train", "loss": 2.0},
    {"step": 20, "split": "valid", "loss": 2.5, "bleu": 20.0},
    {"step": 20, "split": "test", "bleu": 19.0},
]
RUN_B = [
    {"step": 10, "split": "train", "loss": 2.5},
    {"step": 30, "split": "valid", "loss": 1.5, "bleu": 25.0},
    {"step": 20, "split": "valid", "loss": 1.9, "bleu": 24.0},  # logged later, but earlier step
]


def bar_widths(ax):
    return [patch.get_width() for patch in ax.patches]


def test_final_values_prefer_test_then_valid_then_train():
    table = final_metrics({"a": RUN_A, "b": RUN_B}, ["loss", "bleu", "train/loss"])
    assert table == {
        "a": {"loss": (2.5, "valid"), "bleu": (19.0, "test"), "train/loss": (2.0, "train")},
        "b": {"loss": (1.5, "valid"), "bleu": (25.0, "valid"), "train/loss": (2.5, "train")},
    }


def test_one_panel_per_metric_one_bar_per_run(make_run):
    fig = plot_run_comparison({"a": RUN_A, "b": RUN_B}, ["valid/loss", "bleu"])
    assert len(fig.axes) == 2
    loss_ax, bleu_ax = fig.axes
    assert bar_widths(loss_ax) == [2.5, 1.5]
    assert bar_widths(bleu_ax) == [19.0, 25.0]
    assert [t.get_text() for t in loss_ax.get_yticklabels()] == ["a", "b"]
    assert loss_ax.get_title() == "loss (valid)"
    assert bleu_ax.get_title() == "bleu"  # splits differ: each value says where it is from
    assert [t.get_text() for t in bleu_ax.texts] == ["19 (test)", "25 (valid)"]
    assert [t.get_text() for t in loss_ax.texts] == ["2.5", "1.5"]
    assert fig.get_suptitle() == "final metrics"


def test_a_run_without_the_metric_shows_n_a():
    ax = plot_run_comparison({"a": RUN_A, "b": RUN_B, "c": RUN_B[:1]}, "bleu").axes[0]
    assert [t.get_text() for t in ax.texts][-1] == "n/a"
    np.testing.assert_allclose(bar_widths(ax), [19.0, 25.0, 0.0])


def test_run_directories_are_named_by_folder(make_run, make_records):
    fig = plot_run_comparison([make_run("small"), make_run("big", make_records(scale=2))], "loss")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["small", "big"]
    assert bar_widths(ax) == [0.5, 1.0]  # final valid loss: 20/40 and 40/40


def test_big_values_are_written_with_separators():
    ax = plot_run_comparison({"a": [{"step": 1, "split": "train", "tps": 23353.4}]}, "tps").axes[0]
    assert ax.texts[0].get_text() == "23,353"


def test_unknown_metric_is_an_error():
    with pytest.raises(MetricsError, match="unknown metric 'rouge'"):
        plot_run_comparison({"a": RUN_A}, ["rouge"])


def test_a_sweep_plot_draws_each_settings_mean_its_std_and_every_run(tmp_path):
    def run(bleu: float) -> list[dict]:
        return [
            {"step": 5, "split": "valid", "bleu": bleu + 50},
            {"step": 5, "split": "test", "bleu": bleu},
        ]

    groups = {"lr=1": [run(20.0), run(24.0), run(25.0)], "lr=2": [run(10.0)], "lr=3": [RUN_A[:1]]}
    assert final_values(groups["lr=1"], "bleu") == [20.0, 24.0, 25.0]  # the test split's
    out = tmp_path / "sweep.png"
    ax = plot_sweep(groups, "bleu", out).axes[0]
    assert out.stat().st_size > 0
    bars = [p.get_width() for c in ax.containers if not hasattr(c, "lines") for p in c]
    assert bars == pytest.approx([np.mean([20, 24, 25]), 10.0, 0.0])
    (errorbars,) = [c for c in ax.containers if hasattr(c, "lines")]  # the sample std
    segments = errorbars.lines[2][0].get_segments()  # none for a single run
    assert [s[1][0] - s[0][0] for s in segments] == pytest.approx(
        [2 * np.std([20, 24, 25], ddof=1), 0.0, 0.0]
    )
    dots = [line for line in ax.lines if line.get_marker() == "o"]
    assert [list(d.get_xdata()) for d in dots] == [[20.0, 24.0, 25.0], [10.0], []]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["lr=1", "lr=2", "lr=3"]
