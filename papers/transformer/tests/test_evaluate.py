"""`evaluate` decodes a finished run again, with checkpoint averaging and other beam settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from paper_transformer.evaluate import main as evaluate_main
from paper_transformer_testing import read_jsonl, run_cli


@pytest.fixture
def run_copy(finished_run: tuple[Path, str], tmp_path: Path) -> Path:
    """A private copy of the shared tiny run (evaluate appends to its files)."""
    source, _ = finished_run
    assets = tmp_path / "assets"
    shutil.copytree(source.parents[2], assets)
    return assets / source.relative_to(source.parents[2])


def test_evaluate_averages_checkpoints_and_logs_test_metrics(run_copy: Path) -> None:
    run_dir = run_copy
    assets = run_dir.parents[2]
    result = run_cli("evaluate", str(run_dir), "--average-last", "3", "--beam", "1", assets=assets)
    assert f"{run_dir} [test]: sacreBLEU" in result.stdout
    last = read_jsonl(run_dir / "metrics.jsonl")[-1]
    assert last["split"] == "test" and last["averaged_checkpoints"] == 3
    assert last["beam_size"] == 1 and last["step"] == 40
    assert f"sacreBLEU {last['bleu']:.2f}" in result.stdout


def test_evaluate_says_when_the_run_kept_fewer_checkpoints_than_asked(run_copy: Path) -> None:
    result = run_cli("evaluate", str(run_copy), "--average-last", "9", "--beam", "1",
                     assets=run_copy.parents[2])  # fmt: skip
    assert (
        "evaluate: note: the run has 4 checkpoints (training.keep_last: 5): "
        "averaging those, not 9\n"
    ) in result.stderr
    assert read_jsonl(run_copy / "metrics.jsonl")[-1]["averaged_checkpoints"] == 4


@pytest.mark.parametrize(
    ("device", "message"),
    [
        ("tpu", "--device: unknown device 'tpu' (auto, cpu, cuda, cuda:N or mps)"),
        pytest.param(
            "cuda",
            "--device: device 'cuda' requested but CUDA is not available",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA"),
        ),
    ],
)
def test_evaluate_refuses_a_device_that_is_not_there(
    finished_run: tuple[Path, str], device: str, message: str, capsys: pytest.CaptureFixture
) -> None:
    run_dir, _ = finished_run
    assert evaluate_main([str(run_dir), "--device", device]) == 2
    assert capsys.readouterr().err == f"evaluate: error: {message}\n"


def test_evaluate_names_a_run_of_another_paper(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "config.yaml").write_text("task: vit\n")
    assert evaluate_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evaluate: error: {tmp_path} is not a paper-transformer run")


def test_evaluate_one_checkpoint_on_the_validation_split(run_copy: Path) -> None:
    run_dir = run_copy
    checkpoint = run_dir / "checkpoints" / "step_00000020"
    result = run_cli(
        "evaluate", str(checkpoint), "--split", "validation", assets=run_dir.parents[2]
    )
    assert "[validation]" in result.stdout
    assert len((run_dir / "hypotheses.validation.txt").read_text().splitlines()) == 60
    last = read_jsonl(run_dir / "metrics.jsonl")[-1]
    assert (last["split"], last["step"], last["averaged_checkpoints"]) == ("valid", 20, 1)


def test_evaluate_refuses_a_path_that_is_not_a_run(tmp_path: Path) -> None:
    result = run_cli("evaluate", str(tmp_path), assets=tmp_path / "assets", check=False)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"evaluate: error: {tmp_path} is neither a run directory, a checkpoint of one, nor a "
        "model folder (config.json, model.safetensors, tokenizer.json, config.yaml)"
    )
