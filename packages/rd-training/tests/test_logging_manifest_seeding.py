"""metrics.jsonl, progress output, the run manifest, seeding and device selection."""

import contextlib
import io
import json
import logging
import random
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from rd_training import (
    MetricsLogger,
    seed_everything,
    select_device,
    setup_logger,
    update_manifest,
    write_manifest,
)
from rd_training.logging_utils import ProgressReporter


def test_metrics_logger_writes_one_flushed_json_object_per_line(tmp_path: Path) -> None:
    metrics = MetricsLogger(tmp_path)  # a directory means <dir>/metrics.jsonl
    metrics.log(1, "train", loss=2.5, lr=1e-3)
    metrics.log(1, "test", bleu=27.3, loss=float("nan"))
    # Readable before close: every line is flushed as it is written.
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["step"] == 1 and lines[0]["split"] == "train" and lines[0]["loss"] == 2.5
    assert isinstance(lines[0]["time"], float)
    assert lines[1] == {**lines[1], "split": "test", "bleu": 27.3, "loss": None}
    metrics.close()


def test_truncate_after_drops_later_steps_and_torn_lines(tmp_path: Path) -> None:
    metrics = MetricsLogger(tmp_path / "m.jsonl")
    for step in range(1, 6):
        metrics.log(step, "train", loss=float(step))
    metrics.close()
    with open(tmp_path / "m.jsonl", "a") as f:
        f.write('{"step": 6, "spl')  # torn by a kill
    metrics.truncate_after(3)
    steps = [json.loads(x)["step"] for x in (tmp_path / "m.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]
    metrics.log(4, "train", loss=0.0)
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 4


def test_progress_prints_plain_lines_when_not_a_tty(caplog) -> None:
    log = logging.getLogger("rd_training.test_progress")
    progress = ProgressReporter(total=10, initial=0, logger=log, log_every=2)
    assert progress.bar is None  # pytest's stderr is not a TTY
    with caplog.at_level(logging.INFO, logger=log.name):
        progress.update(1, {"loss": 1.0, "lr": 3e-4, "tokens": 300, "epoch": 0})
        progress.update(2, {"loss": 2.0, "lr": 3e-4, "tokens": 100, "epoch": 0})
        progress.log_eval(2, {"loss": 1.5, "bleu": 20.0})
        progress.update(3, {"loss": 9.0, "lr": 3e-4, "tokens": 100, "epoch": 1})
    # The line shows the window's token-weighted loss: (1.0 * 300 + 2.0 * 100) / 400.
    assert len(caplog.messages) == 2
    assert re.fullmatch(
        r"step 2/10 \| epoch 0 \| loss 1\.2500 \| lr 0\.0003 \| \d+ tok/s", caplog.messages[0]
    )
    assert caplog.messages[1] == "step 2 | valid | loss 1.5 | bleu 20"
    progress.close()


def test_progress_lines_name_what_the_loss_counts(caplog) -> None:
    log = logging.getLogger("rd_training.test_progress_unit")
    progress = ProgressReporter(total=None, initial=0, logger=log, log_every=1, unit="img")
    with caplog.at_level(logging.INFO, logger=log.name):
        progress.update(1, {"loss": 1.0, "lr": 0.1, "tokens": 128, "epoch": 0})
    assert re.fullmatch(
        r"step 1 \| epoch 0 \| loss 1\.0000 \| lr 0\.1 \| \d+ img/s", caplog.messages[0]
    )
    progress.close()


def test_setup_logger_follows_sys_stderr_and_keeps_one_log_file(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    log = setup_logger("rd_training_test_two_runs", log_file=tmp_path / "first.log")
    log.info("first run")
    capsys.readouterr()
    # A second run in the same process (or the next test, with a new captured sys.stderr).
    setup_logger("rd_training_test_two_runs", log_file=tmp_path / "second.log")
    with contextlib.redirect_stderr(io.StringIO()) as swapped:
        log.info("second run")
    assert "second run" in swapped.getvalue()
    assert "second run" not in capsys.readouterr().err
    assert "second run" not in (tmp_path / "first.log").read_text()
    assert "second run" in (tmp_path / "second.log").read_text()
    assert sum(isinstance(h, logging.FileHandler) for h in log.handlers) == 1


def test_setup_logger_is_idempotent_and_quiet_on_other_ranks(tmp_path: Path) -> None:
    log = setup_logger("rd_training_test_logger", log_file=tmp_path / "train.log")
    again = setup_logger("rd_training_test_logger", log_file=tmp_path / "train.log")
    assert log is again and len(log.handlers) == 2
    log.info("hello")
    assert "hello" in (tmp_path / "train.log").read_text()
    assert setup_logger("rd_training_test_rank1", rank=1).level == logging.WARNING


def test_manifest_records_code_environment_and_status(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path / "run", seed=7, note="x")
    saved = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert saved == json.loads(json.dumps(manifest))
    for key in (
        "git_sha",
        "git_dirty",
        "git_diff_sha256",
        "uv_lock_sha256",
        "python",
        "torch",
        "cuda",
        "gpus",
        "cpu_count",
        "argv",
        "start_time",
        "end_time",
    ):
        assert key in saved, key
    assert saved["status"] == "running" and saved["seed"] == 7 and saved["note"] == "x"
    assert "rd-training" in saved["packages"]
    assert update_manifest(tmp_path / "run", status="completed")["status"] == "completed"
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["seed"] == 7


def test_seed_everything_makes_all_generators_repeat() -> None:
    seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(2))
    seed_everything(3)
    second = (random.random(), np.random.rand(), torch.rand(2))
    assert first[:2] == second[:2] and torch.equal(first[2], second[2])


def test_deterministic_mode_switches_torch_to_deterministic_algorithms() -> None:
    try:
        seed_everything(0, deterministic=True)
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


def test_select_device() -> None:
    assert select_device("cpu") == torch.device("cpu")
    assert select_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            select_device("cuda")
    else:
        with pytest.raises(ValueError, match="CUDA device"):
            select_device(f"cuda:{torch.cuda.device_count()}")


@pytest.mark.parametrize("name", ["tpu", "CPU", "", "meta", "xla"])
def test_select_device_refuses_names_that_are_not_training_devices(name: str) -> None:
    with pytest.raises(ValueError, match=f"unknown device {name!r}"):
        select_device(name)
