"""plot_training_curves: one panel per metric; train/valid lines with the logged data on them."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rd_viz import MetricsError, ema, plot_training_curves
from rd_viz.curves import LOG_SCALE_RATIO


def lines_by_label(ax):
    """Visible, labelled lines of an axes (legend entries), by label."""
    return {line.get_label(): line for line in ax.lines if not line.get_label().startswith("_")}


def xy(line):
    return np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)


def test_one_run_train_and_valid_loss(make_run):
    fig = plot_training_curves(make_run("base"))
    (ax,) = fig.axes
    lines = lines_by_label(ax)
    assert set(lines) == {"base (train)", "base (valid)"}
    x, y = xy(lines["base (train)"])
    np.testing.assert_allclose(x, [10, 20, 30, 40])
    np.testing.assert_allclose(y, [1.0, 0.5, 10 / 30, 0.25])
    x, y = xy(lines["base (valid)"])
    np.testing.assert_allclose(x, [20, 40])
    np.testing.assert_allclose(y, [1.0, 0.5])
    assert lines["base (train)"].get_linestyle() == "-"
    assert lines["base (valid)"].get_linestyle() == "--"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("loss", "step", "loss")
    assert fig.get_suptitle() == "base"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["base (train)", "base (valid)"]


def test_one_panel_per_metric_in_the_order_given(make_run):
    fig = plot_training_curves(make_run(), metrics=["lr", "loss", "tokens_per_s"])
    assert [ax.get_title() for ax in fig.axes] == ["lr", "loss", "tokens_per_s"]
    assert list(lines_by_label(fig.axes[0])) == ["run-a (train)"]  # lr is logged in train only


def test_a_metric_string_is_one_metric(make_run):
    assert len(plot_training_curves(make_run(), metrics="loss").axes) == 1


def test_split_prefix_draws_that_split_only(make_run):
    fig = plot_training_curves(make_run(), metrics=["valid/loss"])
    assert list(lines_by_label(fig.axes[0])) == ["run-a (valid)"]
    assert fig.axes[0].get_ylabel() == "loss"


def test_several_runs_are_named_by_directory_and_coloured_apart(make_run, make_records):
    runs = [make_run("small"), make_run("big", make_records(scale=2.0))]
    fig = plot_training_curves(runs)
    lines = lines_by_label(fig.axes[0])
    assert set(lines) == {"small (train)", "small (valid)", "big (train)", "big (valid)"}
    np.testing.assert_allclose(xy(lines["big (train)"])[1], [2.0, 1.0, 20 / 30, 0.5])
    assert lines["small (train)"].get_color() != lines["big (train)"].get_color()
    assert lines["small (train)"].get_color() == lines["small (valid)"].get_color()
    assert fig.get_suptitle() == ""


def test_runs_as_mapping_or_records_and_clashing_names(tmp_path, make_run, make_records):
    fig = plot_training_curves({"mine": make_records(), "theirs": make_run()})
    assert {"mine (train)", "theirs (train)"} <= set(lines_by_label(fig.axes[0]))
    fig = plot_training_curves([make_records(), make_records()])
    assert {"run 1 (train)", "run 2 (train)"} <= set(lines_by_label(fig.axes[0]))


def test_test_split_is_drawn_as_markers(make_run, make_records):
    records = [*make_records(), {"step": 40, "split": "test", "time": 0.0, "loss": 0.7}]
    line = lines_by_label(plot_training_curves(make_run(records=records)).axes[0])["run-a (test)"]
    assert line.get_linestyle() == "None" and line.get_marker() == "s"
    np.testing.assert_allclose(xy(line)[1], [0.7])


def test_resumed_run_keeps_the_last_value_of_a_repeated_step(make_run):
    records = [
        {"step": 1, "split": "train", "loss": 3.0},
        {"step": 2, "split": "train", "loss": 2.0},
        {"step": 2, "split": "train", "loss": 1.5},  # re-logged after resuming
        {"step": 3, "split": "train", "loss": 1.0},
    ]
    line = lines_by_label(plot_training_curves(records).axes[0])["run 1 (train)"]
    np.testing.assert_allclose(xy(line)[0], [1, 2, 3])
    np.testing.assert_allclose(xy(line)[1], [3.0, 1.5, 1.0])


def test_x_time_counts_wall_clock_from_the_first_record(make_run):
    ax = plot_training_curves(make_run(), x="time").axes[0]
    np.testing.assert_allclose(xy(lines_by_label(ax)["run-a (train)"])[0], [0, 10, 20, 30])
    assert ax.get_xlabel() == "time (s)"


def test_x_time_switches_to_minutes_and_hours(make_records):
    minutes = [{"step": s, "split": "train", "time": 60.0 * s, "loss": 1.0} for s in (1, 5)]
    ax = plot_training_curves(minutes, x="time").axes[0]
    assert ax.get_xlabel() == "time (min)"
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [1, 5])
    hours = [{"step": s, "split": "train", "time": 3600.0 * s, "loss": 1.0} for s in (1, 3)]
    assert plot_training_curves(hours, x="time").axes[0].get_xlabel() == "time (h)"


def test_x_time_without_time_field_is_an_error():
    with pytest.raises(MetricsError, match="x='time'"):
        plot_training_curves([{"step": 1, "split": "train", "loss": 1.0}], x="time")


def test_x_tokens_from_a_cumulative_tokens_field():
    records = [
        {"step": 1, "split": "train", "tokens": 1000, "loss": 2.0},
        {"step": 2, "split": "train", "tokens": 2500, "loss": 1.0},
        {"step": 2, "split": "valid", "loss": 1.2},
    ]
    ax = plot_training_curves(records, x="tokens").axes[0]
    lines = lines_by_label(ax)
    np.testing.assert_allclose(xy(lines["run 1 (train)"])[0], [1000, 2500])
    np.testing.assert_allclose(xy(lines["run 1 (valid)"])[0], [2500])
    assert ax.get_xlabel() == "tokens"


def test_x_tokens_integrates_tokens_per_second(make_run):
    # Train records 10 s apart at 100 tokens/s, the first 10 s after the start: 1000 tokens each.
    lines = lines_by_label(plot_training_curves(make_run(), x="tokens").axes[0])
    np.testing.assert_allclose(xy(lines["run-a (train)"])[0], [0, 1000, 2000, 3000])
    np.testing.assert_allclose(xy(lines["run-a (valid)"])[0], [1000, 3000])


def test_x_tokens_without_token_counts_is_an_error():
    with pytest.raises(MetricsError, match="x='tokens' needs"):
        plot_training_curves([{"step": 1, "split": "train", "loss": 1.0}], x="tokens")


def test_smoothing_draws_the_ema_over_a_faint_raw_curve(make_run):
    ax = plot_training_curves(make_run(), smooth=0.5).axes[0]
    lines = lines_by_label(ax)
    raw = [line for line in ax.lines if line.get_label() == "_run-a (train) raw"]
    assert len(raw) == 1 and raw[0].get_alpha() < 0.5
    np.testing.assert_allclose(xy(lines["run-a (train)"])[1], ema(xy(raw[0])[1], 0.5))
    np.testing.assert_allclose(xy(lines["run-a (valid)"])[1], [1.0, 0.5])  # valid stays raw


def test_ema_is_debiased_and_skips_nan():
    np.testing.assert_allclose(ema([4.0, 4.0, 4.0], 0.9), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(ema([1.0, 3.0], 0.0), [1.0, 3.0])
    # Weight 0.5: the averages 1.0, 2.5 divided by the bias corrections 0.5, 0.75.
    np.testing.assert_allclose(ema([2.0, 4.0], 0.5), [2.0, 2.5 / 0.75])
    smoothed = ema([1.0, np.nan, 1.0], 0.9)
    assert np.isnan(smoothed[1]) and smoothed[2] == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema([1.0], 1.0)


def test_log_scale_when_values_span_a_wide_range():
    wide = [{"step": s, "split": "train", "loss": v} for s, v in [(1, 100.0), (2, 1.0)]]
    narrow = [{"step": s, "split": "train", "loss": v} for s, v in [(1, 3.0), (2, 2.0)]]
    assert LOG_SCALE_RATIO <= 100
    assert plot_training_curves(wide).axes[0].get_yscale() == "log"
    assert plot_training_curves(narrow).axes[0].get_yscale() == "linear"
    assert plot_training_curves(narrow, log_y=True).axes[0].get_yscale() == "log"
    assert plot_training_curves(wide, log_y=False).axes[0].get_yscale() == "linear"


def test_unknown_metric_names_the_file_and_what_is_available(make_run):
    with pytest.raises(MetricsError, match=r"metrics\.jsonl: unknown metric 'bleu'.*loss, lr"):
        plot_training_curves(make_run(), metrics=["loss", "bleu"])
    with pytest.raises(MetricsError, match="unknown metric 'lr' in split 'valid'") as info:
        plot_training_curves(make_run(), metrics=["valid/lr"])
    # What that split has, and where the metric is logged instead.
    assert "(split 'valid' has: " in str(info.value)
    assert str(info.value).endswith("; 'lr' is logged as train/lr)")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": "epoch"}, "x must be one of"),
        ({"smooth": 1.5}, r"smooth must be in \[0, 1\)"),
        ({"metrics": []}, "metrics is empty"),
    ],
)
def test_bad_arguments(make_run, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_training_curves(make_run(), **kwargs)


@pytest.mark.parametrize(
    ("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")]
)
def test_saves_in_the_format_of_the_extension(make_run, tmp_path, suffix, magic):
    out = tmp_path / "plots" / f"curves{suffix}"
    plot_training_curves(make_run(), out=out)
    assert out.read_bytes().startswith(magic)
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left


def test_unknown_extension_is_an_error(make_run, tmp_path):
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        plot_training_curves(make_run(), out=tmp_path / "curves")


def render(fig):
    """Draw the figure (Agg, in memory) so that tick labels and offset texts are computed."""
    fig.savefig(io.BytesIO(), format="png")


def test_scores_near_100_are_labelled_without_an_offset():
    # BLEU/chrF of a nearly solved task: matplotlib's default labels these ticks 0.0000 ...
    # 0.0025 with a "+9.996e1" offset in the corner.
    records = [
        {"step": s, "split": "valid", "bleu": b, "loss": 1.0 + 1e-5 * s}
        for s, b in [(100, 99.9601), (200, 99.9612), (300, 99.9619), (400, 99.9624)]
    ]
    records += [
        {"step": s, "split": "train", "loss": 1.0 + 1e-5 * s} for s in range(100_000, 100_004)
    ]
    fig = plot_training_curves(records, metrics=["bleu", "loss"], log_y=False)
    render(fig)
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_major_formatter().get_useOffset() is False
            assert axis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert labels and all(99.95 < float(label) < 99.97 for label in labels)  # "99.9600"


def test_log_and_token_axes_keep_their_formatters(make_run):
    ax = plot_training_curves(make_run(), x="tokens", log_y=True).axes[0]
    assert type(ax.xaxis.get_major_formatter()).__name__ == "EngFormatter"
    assert type(ax.yaxis.get_major_formatter()).__name__ == "LogFormatterSciNotation"
