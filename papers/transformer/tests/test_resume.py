"""A run killed with SIGKILL and resumed with `--resume auto` ends exactly like an uninterrupted one."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from paper_transformer_testing import TINY, cli_command, cli_env, write_config
from safetensors.torch import load_file

pytestmark = pytest.mark.slow


def losses(run_dir: Path) -> dict[tuple[str, int], tuple[float | None, float | None]]:
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return {(r["split"], r["step"]): (r.get("loss"), r.get("bleu")) for r in records}


def test_kill_9_then_resume_auto_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    # With an EMA of the weights (what validation and the final model use) and early stopping
    # on the validation BLEU that evaluation greedy-decodes.
    training = {"max_steps": 120, "eval_every": 40, "ema_decay": 0.9, "patience": 2}
    training |= {"best_metric": "bleu", "best_mode": "max"}
    config = {**TINY, "training": {**TINY["training"], **training}}
    config_path = write_config(tmp_path / "resume.yaml", config)
    assets = tmp_path / "assets"
    args = ["--config", str(config_path), "--run-name"]
    env = cli_env(assets)

    subprocess.run(
        cli_command("train", *args, "straight"), env=env, check=True, capture_output=True
    )

    # Kill the second run as soon as its second checkpoint exists, mid-training.
    victim = subprocess.Popen(
        cli_command("train", *args, "killed"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_dir = assets / "outputs" / "transformer" / "killed"
    deadline = time.monotonic() + 120
    while not (run_dir / "checkpoints" / "step_00000020").is_dir():
        assert victim.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"
    assert not (run_dir / "model").exists()

    resumed = subprocess.run(
        cli_command("train", *args, "killed", "--resume", "auto"),
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr

    straight = assets / "outputs" / "transformer" / "straight"
    logged = losses(straight)
    assert logged[("valid", 40)][1] is not None  # valid/bleu was logged
    assert losses(run_dir) == logged  # every train step, valid and test record
    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(run_dir / "model" / "model.safetensors")
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
