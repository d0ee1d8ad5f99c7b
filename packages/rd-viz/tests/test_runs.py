"""metric_names: which record fields are metrics, i.e. what is plotted when none are named."""

from __future__ import annotations

from rd_viz.runs import BOOKKEEPING_KEYS, metric_names


def test_coordinates_and_evaluation_settings_are_not_metrics():
    records = [
        {"step": 1, "split": "train", "time": 1.0, "epoch": 0, "tokens": 4000, "loss": 2.0},
        {"step": 2, "split": "test", "time": 2.0, "bleu": 99.96, "chrf": 99.98,
         "averaged_checkpoints": 5.0, "beam_size": 4.0},
    ]  # fmt: skip
    assert metric_names(records) == ["loss", "bleu", "chrf"]
    assert {"step", "split", "time", "epoch", "tokens"} <= set(BOOKKEEPING_KEYS)
    assert {"averaged_checkpoints", "beam_size"} <= set(BOOKKEEPING_KEYS)


def test_a_metric_needs_one_float_value():
    records = [
        {"step": 1, "split": "train", "seed": 7, "num_layers": 6, "loss": 3, "flag": True},
        {"step": 2, "split": "train", "seed": 7, "num_layers": 6, "loss": 2.5, "name": "x"},
        {"step": 3, "split": "valid", "sentences": 1000, "exact_match": float("nan")},
    ]
    # loss is a metric (2.5), listed where it first appeared; exact_match is a float (NaN);
    # seed, num_layers and sentences are only ever integers; bools and strings are not numbers.
    assert metric_names(records) == ["loss", "exact_match"]
