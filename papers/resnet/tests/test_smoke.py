"""Smoke tests: the default pipeline trains, saves and evaluates in a few seconds."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import paper_resnet
import pytest
from paper_resnet.evaluate import main as evaluate
from paper_resnet.train import main as train


def test_version_matches_metadata() -> None:
    dist = "paper-resnet"
    assert paper_resnet.__version__ == version(dist)


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert train(["--out-dir", str(run), "training.max_steps=30", "task.train_size=256"]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) >= 30
    for name in ["config.yaml", "manifest.json", "checkpoints", "model"]:
        assert (run / name).exists(), name
    assert (run / "plots" / "loss.png").is_file()
    assert evaluate([str(run)]) == 0
    assert "exact match" in capsys.readouterr().out


def test_help_lists_every_config_key_and_print_config_the_resolved_yaml(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        train(["--help"])
    assert exit_info.value.code == 0
    help_text = capsys.readouterr().out
    for key in ["task.seq_len", "model.d_model", "optim.lr", "training.max_steps"]:
        assert key in help_text
    assert train(["--print-config", "optim.lr=0.01"]) == 0
    assert "lr: 0.01" in capsys.readouterr().out


def test_bad_override_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train(["--out-dir", str(tmp_path / "run"), "training.no_such_key=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no_such_key" in err
    assert not (tmp_path / "run").exists()


def test_evaluate_refuses_a_folder_that_is_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert evaluate([str(tmp_path)]) == 2
    assert "not a finished run" in capsys.readouterr().err
