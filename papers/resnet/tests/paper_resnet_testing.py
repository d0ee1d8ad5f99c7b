"""Helpers for this member's tests (importable because conftest.py puts this folder on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# The embedded run's code path (digits, the paper's recipe) at a size that trains in seconds:
# ResNet-8 (n = 1), 60 steps with the rate divided at 40, test error every 20 steps.
TINY = [
    "model.depth=8",
    "training.max_steps=60",
    "training.eval_every=20",
    "training.save_every=20",
    "training.log_every=20",
    "optim.milestones=[40]",
    "data.batch_size=64",
]


def cli_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"paper_resnet.{module}", *args]


def cli_env(assets: Path) -> dict[str, str]:
    return {**os.environ, "RD_ASSETS_DIR": str(assets), "OMP_NUM_THREADS": "1"}


def run_cli(
    module: str, *args: str, assets: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `python -m paper_resnet.<module> ARGS` in a subprocess with its own assets root."""
    result = subprocess.run(
        cli_command(module, *args), capture_output=True, text=True, env=cli_env(assets)
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
