"""A tiny experiment runs end to end: one run directory per variant, results.json and plots."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import project_ln_placement
import pytest
from project_ln_placement.cli import main
from project_ln_placement.config import DEFAULT_CONFIG, ExperimentConfig

from rd_training import load_config

TINY = [
    "max_steps=6",
    "eval_every=3",
    "task.train_batches=2",
    "task.batch_size=8",
    "task.valid_size=16",
    "task.test_size=8",
    "model.num_layers=1",
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


@pytest.mark.parametrize(
    ("override", "message"),
    [("variants=[mid-ln]", "unknown ['mid-ln']"), ("optim.learning_rate=1", "learning_rate")],
)
def test_bad_config_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    assert main(["--out-dir", str(tmp_path / "run"), override]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "run").exists()


def test_default_config_file_matches_the_dataclass_defaults() -> None:
    assert load_config(DEFAULT_CONFIG, ExperimentConfig) == ExperimentConfig()
