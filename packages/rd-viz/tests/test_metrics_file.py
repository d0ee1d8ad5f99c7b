"""read_metrics: records in file order; clear errors naming file and line; cut-off tail skipped."""

from __future__ import annotations

import warnings

import pytest

from rd_viz import MetricsError, MetricsFileNotFoundError, TruncatedLineWarning, read_metrics


def test_reads_a_run_directory_and_the_file_itself(make_run, make_records):
    run_dir = make_run()
    records = read_metrics(run_dir)
    assert records == make_records()
    assert read_metrics(run_dir / "metrics.jsonl") == records


def test_blank_lines_are_ignored(make_run):
    run_dir = make_run(records=[{"step": 1, "split": "train", "loss": 1.0}], tail="\n  \n")
    assert len(read_metrics(run_dir)) == 1


def test_run_directory_without_metrics_names_the_directory(tmp_path):
    (tmp_path / "empty-run").mkdir()
    with pytest.raises(MetricsFileNotFoundError, match=r"empty-run: no metrics\.jsonl"):
        read_metrics(tmp_path / "empty-run")


def test_missing_path_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_metrics(tmp_path / "nope")


def test_malformed_line_in_the_middle_names_file_and_line(make_run):
    run_dir = make_run(records=[{"step": 1, "split": "train"}])
    path = run_dir / "metrics.jsonl"
    path.write_text(path.read_text() + "{oops\n" + '{"step": 3, "split": "train"}\n')
    with pytest.raises(MetricsError, match=r"metrics\.jsonl:2: not valid JSON"):
        read_metrics(run_dir)


def test_malformed_last_line_that_ends_in_newline_is_an_error(make_run):
    run_dir = make_run(records=[{"step": 1, "split": "train"}], tail='{"step": 2,\n')
    with pytest.raises(MetricsError, match=r":2: not valid JSON"):
        read_metrics(run_dir)


def test_cut_off_last_line_is_skipped_with_a_warning(make_run, make_records):
    run_dir = make_run(tail='{"step": 50, "split": "tra')
    with pytest.warns(TruncatedLineWarning, match=r"metrics\.jsonl:\d+: skipping an incomplete"):
        records = read_metrics(run_dir)
    assert records == make_records()


def test_complete_last_line_without_newline_is_kept(make_run):
    run_dir = make_run(records=[], tail='{"step": 7, "split": "valid", "bleu": 1.5}')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_metrics(run_dir) == [{"step": 7, "split": "valid", "bleu": 1.5}]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"split": "train"}', "'step' must be an integer"),
        ('{"step": "3", "split": "train"}', "'step' must be an integer"),
        ('{"step": 3}', "'split' must be a string"),
    ],
)
def test_records_need_integer_step_and_string_split(make_run, line, why):
    run_dir = make_run(records=[{"step": 1, "split": "train"}], tail=line + "\n")
    with pytest.raises(MetricsError, match=rf":2: {why}"):
        read_metrics(run_dir)


def test_float_steps_that_are_integers_are_accepted(make_run):
    run_dir = make_run(records=[{"step": 4.0, "split": "train"}])
    (record,) = read_metrics(run_dir)
    assert record["step"] == 4 and isinstance(record["step"], int)
