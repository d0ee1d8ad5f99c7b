"""`resnet-train` end to end on the digits, its run directory, `resnet-evaluate`, user errors."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import paper_resnet
import pytest
from paper_resnet.evaluate import main as evaluate
from paper_resnet.train import main, parse_args
from paper_resnet_testing import read_jsonl, run_cli

from rd_models import CifarResNet


def test_version_matches_metadata() -> None:
    assert paper_resnet.__version__ == version("paper-resnet")


def test_run_directory_holds_everything_a_researcher_needs(finished_run: tuple[Path, str]) -> None:
    run_dir, _ = finished_run
    for name in ["config.yaml", "manifest.json", "metrics.jsonl", "train.log"]:
        assert (run_dir / name).is_file(), name
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("step_*"))[-1] == "step_00000060"
    for plot in ["loss.png", "error.png", "lr.png", "confusion_test.png"]:
        assert (run_dir / "plots" / plot).stat().st_size > 1000, plot
    model = CifarResNet.from_pretrained(run_dir / "model")
    assert (model.config.depth, model.config.in_channels, model.config.num_classes) == (8, 1, 10)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed" and "paper-resnet" in manifest["packages"]


def test_it_learns_the_digits_and_reports_the_test_error_it_logged(
    finished_run: tuple[Path, str],
) -> None:
    run_dir, stdout = finished_run
    records = read_jsonl(run_dir / "metrics.jsonl")
    train = [r for r in records if r["split"] == "train"]
    valid = [r for r in records if r["split"] == "valid"]
    (test,) = [r for r in records if r["split"] == "test"]
    assert [r["step"] for r in train] == list(range(1, 61))
    assert [r["lr"] for r in train[38:42]] == pytest.approx([0.1, 0.1, 0.01, 0.01])
    assert [r["step"] for r in valid] == [20, 40, 60]
    assert test["error"] < 0.25 and test["error"] == pytest.approx(1 - test["accuracy"])
    assert train[-1]["loss"] < train[0]["loss"] / 3
    assert (
        stdout.strip()
        .splitlines()[-1]
        .startswith(f"test (359 images): error {100 * test['error']:.2f}%")
    )


def test_evaluate_prints_the_same_test_error_and_draws_where_asked(
    finished_run: tuple[Path, str], tmp_path: Path
) -> None:
    run_dir, stdout = finished_run
    result = run_cli(
        "evaluate", str(run_dir), "--confusion", str(tmp_path / "cm.png"),
        assets=run_dir.parents[2],
    )  # fmt: skip
    assert result.stdout.strip() == stdout.strip().splitlines()[-1]
    assert (tmp_path / "cm.png").stat().st_size > 1000


def test_evaluate_refuses_a_folder_that_is_no_run(tmp_path: Path, capsys) -> None:
    assert evaluate([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a finished run" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["model.dpth=20"], "unknown key 'model.dpth' (did you mean 'model.depth'?)"),
        (["model.depth=21"], "model.depth must be 6n + 2 with n >= 1"),
        (["model.num_classes=3"], "model.num_classes cannot be set in a config: it comes from"),
        (["optim.lr=0"], "optim.lr must be a finite number > 0, got 0.0"),
        (["optim.milestones=[9,3]"], "optim.milestones must be increasing positive steps"),
        (["optim.milestones=[5000]"], "optim.milestones ([5000]) must lie before training.max"),
        (["data.batch_size=0"], "data.batch_size must be a positive integer, got 0"),
        (["training.precision=fp8"], "training.precision: expected one of"),
        (["training.device=tpu"], "training.device: unknown device 'tpu'"),
        (["data.dataset=uoft-cs/cifar10"], "rd-download-dataset --name uoft-cs/cifar10"),
        (["data.test_split=valid"], "data.test_split: dataset 'digits' has no split 'valid'"),
        (["data.image_column=image"], "data.image_column: dataset 'digits' has no column"),
        (["--config", "nowhere.yaml"], "config file not found: nowhere.yaml"),
        (["--run-name", "../x"], "--run-name '../x' must be a plain folder name"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2_and_leave_no_run(
    argv: list[str], message: str, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()[-1]  # after the digits' one line, if saved now
    assert err.startswith("resnet-train: error: ") and message in err, err
    assert not (assets / "outputs").exists()


def test_a_used_run_name_is_refused(finished_run: tuple[Path, str]) -> None:
    run_dir, _ = finished_run
    result = run_cli("train", "--run-name", "tiny", assets=run_dir.parents[2], check=False)
    assert result.returncode == 2
    assert "already holds a run: continue it with --resume auto" in result.stderr


def test_help_lists_every_key_and_print_config_the_resolved_yaml(assets: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    out = capsys.readouterr().out
    for key in [
        "data.padding (int, default 1)",
        "model.depth (int, default 20)",
        "optim.milestones",
    ]:
        assert f"\n  {key}" in out
    assert "model.num_classes" not in out and "training.resume" not in out
    assert main(["--print-config", "model.depth=56"]) == 0
    assert "  depth: 56\n" in capsys.readouterr().out
    probe = "import sys; from paper_resnet import train; print('torch' in sys.modules)"
    imports = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert imports.stdout == "False\n", imports.stderr
