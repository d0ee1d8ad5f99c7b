"""A run killed with SIGKILL and resumed with `--resume auto` ends exactly like an uninterrupted one."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from paper_resnet_testing import TINY, cli_command, cli_env
from safetensors.torch import load_file

pytestmark = pytest.mark.slow

# Long enough to be killed mid-epoch (22 batches of 64 an epoch), with the augmentation on,
# and an EMA of the weights (and BatchNorm statistics): what validation and model/ use.
LONGER = [*TINY, "training.max_steps=90", "training.save_every=15", "optim.milestones=[60]"]
LONGER += ["training.ema_decay=0.9"]


def records(run_dir: Path) -> list[tuple[str, int, float | None]]:
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [(r["split"], r["step"], r.get("loss")) for r in map(json.loads, lines)]


def test_kill_9_then_resume_auto_reproduces_the_uninterrupted_run(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    env = cli_env(assets)
    runs = assets / "outputs" / "resnet"
    subprocess.run(
        cli_command("train", *LONGER, "--run-name", "straight"), env=env, check=True,
        capture_output=True,
    )  # fmt: skip

    victim = subprocess.Popen(
        cli_command("train", *LONGER, "--run-name", "killed"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    run_dir = runs / "killed"
    deadline = time.monotonic() + 120
    while not (run_dir / "checkpoints" / "step_00000030").is_dir():  # epoch 1, batch 8 of 22
        assert victim.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait() == -signal.SIGKILL
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "running"
    assert not (run_dir / "model").exists()

    resumed = subprocess.run(
        cli_command("train", "--run-name", "killed", "--resume", "auto"),
        env=env,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resumed from" in resumed.stderr and "Continued from step" in resumed.stdout

    straight = runs / "straight"
    assert records(run_dir) == records(straight)  # every train step, test error and final test
    a = load_file(straight / "model" / "model.safetensors")
    b = load_file(run_dir / "model" / "model.safetensors")
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)  # BN statistics too
    ema = load_file(straight / "checkpoints" / "step_00000090" / "extra.safetensors")
    prefix = "extra.callback.EMA.module."
    assert all(a[k].equal(ema[prefix + k]) for k in a)  # model/ holds the average
    trained = load_file(straight / "checkpoints" / "step_00000090" / "model.safetensors")
    assert not all(a[k].equal(trained[k]) for k in a)
