"""A tiny experiment runs end to end: one run directory per variant, results.json and plots."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import project_ln_placement
import pytest
import torch
from project_ln_placement.cli import main
from project_ln_placement.config import DEFAULT_CONFIG, ExperimentConfig
from project_ln_placement.experiment import check_device, run_experiment

from rd_training import load_config

TINY = [
    "training.max_steps=6",
    "training.eval_every=3",
    "task.train_batches=2",
    "task.batch_size=8",
    "task.valid_size=16",
    "task.test_size=8",
    "model.num_encoder_layers=1",
    "model.num_decoder_layers=1",
    "model.d_model=16",
    "model.d_ff=32",
    "optim.warmup_steps=2",
]


def test_version_matches_metadata() -> None:
    assert project_ln_placement.__version__ == version("project-ln-placement")
    assert all(hasattr(project_ln_placement, name) for name in project_ln_placement.__all__)


def test_tiny_experiment_writes_runs_results_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out-dir", str(tmp_path), *TINY]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [r["variant"] for r in rows] == ["post-ln", "pre-ln", "post-ln-warmup"]
    for row in rows:
        run = tmp_path / f"{row['variant']}-seed0"
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        assert {r["split"] for r in records} == {"train", "valid", "test"}
        assert row["steps"] == 6 and 0.0 <= row["test_exact_match"] <= 1.0
        assert (run / "manifest.json").is_file()
    assert (tmp_path / "plots" / "curves.png").stat().st_size > 0
    assert (tmp_path / "plots" / "final.png").stat().st_size > 0
    table = capsys.readouterr().out
    assert "post-ln-warmup-seed0" in table and "test exact" in table


def test_variants_differ_only_in_layer_norm_placement_and_warmup(tmp_path: Path) -> None:
    """Same data and seed: the first training loss of post-ln and post-ln-warmup is identical."""
    main(["--out-dir", str(tmp_path), "variants=[post-ln,post-ln-warmup]", *TINY])

    def first_loss(name: str) -> float:
        line = (tmp_path / f"{name}-seed0" / "metrics.jsonl").read_text().splitlines()[0]
        return json.loads(line)["loss"]

    assert first_loss("post-ln") == first_loss("post-ln-warmup")


BAD_INPUTS = [
    ("variants=[mid-ln]", "unknown ['mid-ln']"),
    ("optim.learning_rate=1", "unknown key 'optim.learning_rate'"),
    ("optim.lr=-1", "optim.lr must be a finite number > 0, got -1.0"),
    ("optim.lr=.inf", "optim.lr must be a finite number > 0, got inf"),
    ("optim.beta2=1", "optim.beta2 must be in [0, 1), got 1.0"),
    ("optim.warmup_steps=-1", "optim.warmup_steps must be >= 0"),
    ("optim.warmup_steps=7", "optim.warmup_steps (7) must be <= training.max_steps (6)"),
    ("training.clip_grad_norm=0", "training.clip_grad_norm must be > 0 or None"),
    ("model.dropout=2", "model.dropout must be in [0, 1)"),
    ("model.n_heads=3", "divisible by n_heads"),
    ("model.num_encoder_layers=0", "model.num_encoder_layers and model.num_decoder_layers"),
    ("model.norm_first=true", "model.norm_first cannot be set in a config: it comes from each"),
    ("training.seed=3", "training.seed cannot be set in a config: it comes from the list of seeds"),
    ("training.max_steps=0", "training.max_steps must be a positive integer"),
    ("training.eval_every=0", "training.eval_every must be a positive integer"),
    ("task.batch_size=0", "task.batch_size must be a positive integer"),
    ("task.min_len=13", "task.min_len (13) must be <= task.max_len (12)"),
    ("task.num_symbols=0", "task.num_symbols must be a positive integer"),
    ("threads=0", "threads must be a positive integer"),
    ("target_accuracy=2", "target_accuracy must be in [0, 1]"),
    ("seeds=[]", "seeds must be a non-empty list"),
    ("seeds=[1,1]", "seeds must be free of repeats"),
    ("seeds=[-1]", "seeds must be integers in [0, 2**32)"),
    ("variants=[]", "variants must be a non-empty list"),
    (
        "training.device=tpu",
        "training.device: unknown device 'tpu' (auto, cpu, cuda, cuda:N or mps)",
    ),
    ("training.device=meta", "training.device: unknown device 'meta'"),
]


def assert_one_line_error(err: str, message: str) -> None:
    assert err.startswith("ln-placement: error: ") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(("override", "message"), BAD_INPUTS)
def test_bad_config_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    """Checked before the run directory is created: nothing is trained or written."""
    assert main(["--out-dir", str(tmp_path / "run"), *TINY, override]) == 2
    assert_one_line_error(capsys.readouterr().err, message)
    assert not (tmp_path / "run").exists()


def test_bad_config_creates_no_default_run_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path))
    assert main(["--run-name", "bad", "optim.lr=-1"]) == 2
    assert_one_line_error(capsys.readouterr().err, "optim.lr must be a finite number > 0")
    assert not (tmp_path / "outputs" / "ln-placement" / "bad").exists()


def test_cuda_without_cuda_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["--out-dir", str(tmp_path / "run"), *TINY, "training.device=cuda"]) == 2
    assert_one_line_error(capsys.readouterr().err, "CUDA is not available")
    assert not (tmp_path / "run").exists()


def test_output_directory_must_be_new_or_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second run into a used directory would append to the first one's metrics."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "results.json").write_text("[]\n")
    (tmp_path / "file").write_text("")
    assert main(["--out-dir", str(tmp_path / "old"), *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "is not empty")
    assert [p.name for p in (tmp_path / "old").iterdir()] == ["results.json"]
    assert main(["--out-dir", str(tmp_path / "file"), *TINY]) == 2
    assert_one_line_error(capsys.readouterr().err, "is a file")


def test_run_experiment_checks_the_device_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cfg = load_config(DEFAULT_CONFIG, ExperimentConfig, [*TINY, "training.device=cuda"])
    with pytest.raises(ValueError, match=r"training\.device: device 'cuda' requested"):
        run_experiment(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    check_device(ExperimentConfig())  # the default experiment passes


def test_default_config_file_matches_the_dataclass_defaults() -> None:
    assert load_config(DEFAULT_CONFIG, ExperimentConfig) == ExperimentConfig()
