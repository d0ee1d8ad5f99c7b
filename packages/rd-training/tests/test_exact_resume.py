"""Exact resume: a run killed with SIGKILL and resumed matches an uninterrupted run bit for bit."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from rd_training_testkit import make_trainer
from safetensors.torch import load_file

KIT = Path(__file__).with_name("rd_training_testkit.py")


def train_records(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == "train"]


def last_step(run: Path) -> int:
    try:
        lines = (run / "metrics.jsonl").read_text().splitlines()
        return max((json.loads(line)["step"] for line in lines[:-1]), default=0)
    except (OSError, ValueError):
        return 0


def test_sigkill_mid_run_then_resume_auto_is_bit_identical(tmp_path: Path, caplog) -> None:
    run = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(KIT), "train", str(run), "--max-steps", "30", "--sleep", "0.04"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while last_step(run) < 12:  # checkpoints at steps 5 and 10 exist by now
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "the training subprocess made no progress"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)  # a real kill -9: no handler, no cleanup
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    killed_at = last_step(run)
    assert 12 <= killed_at < 30
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "running"  # the killed process never got to update it

    # Damage the newest checkpoint too: resume="auto" must skip it with a warning.
    checkpoints = sorted((run / "checkpoints").glob("step_*"))
    newest = checkpoints[-1]
    (newest / "model.safetensors").write_bytes(b"garbage")
    summary = make_trainer(run, max_steps=30, resume="auto").fit()
    assert f"{newest.name} is incomplete or corrupt" in caplog.text
    assert summary["status"] == "completed" and summary["step"] == 30

    reference = tmp_path / "reference"
    make_trainer(reference, max_steps=30).fit()

    resumed, expected = train_records(run), train_records(reference)
    assert [r["step"] for r in resumed] == list(
        range(1, 31)
    )  # steps after the checkpoint re-logged once
    for got, want in zip(resumed, expected, strict=True):
        assert (got["step"], got["loss"], got["lr"], got["tokens"]) == (
            want["step"],
            want["loss"],
            want["lr"],
            want["tokens"],
        )
    final = "checkpoints/step_00000030"
    for name in ("model.safetensors", "optimizer.safetensors"):
        a, b = load_file(str(run / final / name)), load_file(str(reference / final / name))
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    assert json.loads((run / "manifest.json").read_text())["status"] == "completed"
