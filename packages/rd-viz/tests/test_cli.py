"""rd-plot: writes <run>/plots/rd-plot-*.png by default; bad input: one stderr line, exit 2."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import rd_viz.curves
from rd_viz.cli import build_parser, main


def test_default_writes_curves_and_lr_into_each_run(make_run, capsys):
    runs = [make_run("a"), make_run("b")]
    assert main([str(r) for r in runs]) == 0
    names = ("rd-plot-curves.png", "rd-plot-lr.png")
    for run in runs:
        assert (run / "plots" / names[0]).read_bytes().startswith(b"\x89PNG")
        assert (run / "plots" / names[1]).is_file()
        assert sorted(p.name for p in (run / "plots").iterdir()) == sorted(names)
    out = capsys.readouterr().out.splitlines()
    assert out == [str(run / "plots" / n) for run in runs for n in names]


def test_out_overlays_all_runs_in_one_file_and_summary(make_run, tmp_path, capsys):
    out, summary = tmp_path / "cmp.svg", tmp_path / "summary.pdf"
    args = [str(make_run("a")), str(make_run("b")), "--metrics", "loss", "--out", str(out)]
    assert main([*args, "--summary", str(summary), "--x", "time", "--smooth", "0.5"]) == 0
    assert out.read_bytes().startswith(b"<?xml")
    assert summary.read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "outputs" / "a" / "plots").exists()


def test_format_option_and_a_metrics_file_argument(make_run):
    run = make_run()
    assert main([str(run / "metrics.jsonl"), "--format", "svg", "--metrics", "valid/loss"]) == 0
    assert (run / "plots" / "rd-plot-curves.svg").is_file()


@pytest.mark.parametrize(
    ("setup", "extra", "expected"),
    [
        ("missing", [], r"no metrics\.jsonl in this run directory"),
        ("malformed", [], r"metrics\.jsonl:2: not valid JSON"),
        ("ok", ["--metrics", "loss,bleu"], "unknown metric 'bleu'"),
        ("ok", ["--smooth", "2"], r"--smooth must be in \[0, 1\)"),
        ("ok", ["--out", "plot.bmpx"], "cannot tell the image format"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    make_run, tmp_path, capsys, setup, extra, expected
):
    if setup == "missing":
        run = tmp_path / "no-metrics"
        run.mkdir()
    elif setup == "malformed":
        run = make_run(records=[{"step": 1, "split": "train", "loss": 1.0}], tail="{bad\n{}\n")
    else:
        run = make_run()
    assert main([str(run), *extra]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert err.startswith("rd-plot: error: ")
    assert re.search(expected, err)


def test_run_still_writing_warns_and_plots(make_run, capsys):
    run = make_run(tail='{"step": 50, "spl')
    assert main([str(run)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("rd-plot: warning: ") and "incomplete last line" in err
    assert (run / "plots" / "rd-plot-curves.png").is_file()


def test_console_script_help_does_not_load_matplotlib_or_numpy():
    code = (
        "import sys; from rd_viz.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "print('matplotlib' in sys.modules, 'numpy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "rd-plot" in result.stdout
    assert result.stdout.strip().endswith("False False")


def test_figures_are_headless_and_not_registered_with_pyplot(make_run):
    code = (
        "import sys; import rd_viz\n"
        f"fig = rd_viz.plot_training_curves({str(make_run())!r})\n"
        "print(type(fig.canvas).__name__, 'matplotlib.pyplot' in sys.modules)"
    )
    env = {"MPLBACKEND": "TkAgg", "DISPLAY": "", "PATH": ""}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["FigureCanvasBase", "False"]


def test_run_with_nothing_logged_yet_names_the_file(make_run, capsys):
    run = make_run(records=[])
    assert main([str(run)]) == 2
    assert capsys.readouterr().err.strip().endswith("metrics.jsonl: no metrics logged yet")


def test_bad_input_in_a_later_run_leaves_no_plots_behind(make_run, make_records, capsys):
    with_bleu = [*make_records(), {"step": 40, "split": "valid", "bleu": 20.0}]
    first, second = make_run("a", with_bleu), make_run("b")
    assert main([str(first), str(second), "--metrics", "loss,bleu"]) == 2
    assert "outputs/b/metrics.jsonl: unknown metric 'bleu'" in capsys.readouterr().err
    assert not (first / "plots").exists()


def test_default_names_leave_the_plots_a_paper_wrote_itself_alone(make_run, capsys):
    # paper-transformer writes plots/loss.png and plots/lr.png into its run directory; the
    # README's example writes plots/curves.png. rd-plot must not overwrite any of them.
    run = make_run()
    theirs = {
        name: f"not rd-plot's {name}".encode() for name in ("lr.png", "loss.png", "curves.png")
    }
    for name, content in theirs.items():
        (run / "plots" / name).parent.mkdir(exist_ok=True)
        (run / "plots" / name).write_bytes(content)
    for _ in range(2):  # a rerun replaces rd-plot's own files and still leaves the rest alone
        assert main([str(run)]) == 0
        for name, content in theirs.items():
            assert (run / "plots" / name).read_bytes() == content
    written = capsys.readouterr().out.split()
    assert written == [str(run / "plots" / n) for n in ("rd-plot-curves.png", "rd-plot-lr.png")] * 2


def test_help_names_the_default_files():
    help_text = " ".join(build_parser().format_help().split())
    assert "<run>/plots/rd-plot-curves.png" in help_text
    assert "<run>/plots/rd-plot-lr.png" in help_text
    assert "averaged_checkpoints, beam_size" in help_text


PAPER_RECORDS = [
    *[
        {
            "step": s,
            "split": "train",
            "time": 1.0 * s,
            "loss": 4.0 / s,
            "lr": 1e-4 * s,
            "tokens": 4000,
            "epoch": 0,
            "tokens_per_s": 8000.0,
            "grad_norm": 1.5,
        }
        for s in (1, 2, 3)
    ],
    {"step": 3, "split": "valid", "time": 3.5, "loss": 1.4},
    # What paper-transformer's `evaluate` appends: scores plus the settings they were made with.
    {
        "step": 3,
        "split": "test",
        "time": 4.0,
        "bleu": 99.9621,
        "chrf": 99.9874,
        "exact_match": 99.6,
        "averaged_checkpoints": 5,
        "beam_size": 4,
        "num_sentences": 1000,
    },
]


def plotted_metrics(monkeypatch):
    """Record the metrics rd-plot passes to plot_training_curves, one list per figure."""
    calls = []
    real = rd_viz.curves.plot_training_curves

    def spy(runs, metrics, *args, **kwargs):
        calls.append(list(metrics))
        return real(runs, metrics, *args, **kwargs)

    monkeypatch.setattr(rd_viz.curves, "plot_training_curves", spy)
    return calls


def test_evaluation_settings_and_counts_are_not_plotted_as_metrics(make_run, monkeypatch):
    calls = plotted_metrics(monkeypatch)
    assert main([str(make_run(records=PAPER_RECORDS))]) == 0
    assert calls == [["loss", "tokens_per_s", "grad_norm", "bleu", "chrf", "exact_match"]]


def test_settings_can_still_be_plotted_by_name(make_run, monkeypatch):
    calls = plotted_metrics(monkeypatch)
    assert main([str(make_run(records=PAPER_RECORDS)), "--metrics", "bleu,beam_size"]) == 0
    assert calls == [["bleu", "beam_size"]]
