"""Helpers for this member's tests (importable because conftest.py puts this folder on sys.path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A model and task small enough that a whole run (data, training, beam search, plots) takes a
# few seconds on one CPU core, yet the code path is the default run's.
TINY = {
    "data": {
        "train_size": 800,
        "valid_size": 60,
        "test_size": 40,
        "vocab_size": 120,
        "max_tokens": 1024,
    },
    "model": {
        "d_model": 32,
        "n_heads": 2,
        "num_encoder_layers": 1,
        "num_decoder_layers": 1,
        "d_ff": 64,
    },
    "optim": {"lr_scale": 2.0, "warmup_steps": 20},
    "training": {
        "max_steps": 40,
        "log_every": 10,
        "eval_every": 20,
        "save_every": 10,
        "keep_last": 5,
    },
    "eval": {"beam_size": 2, "batch_sentences": 64, "attention_examples": 1},
}


def write_config(path: Path, config: dict) -> Path:
    """Write a YAML config (JSON is valid YAML)."""
    path.write_text(json.dumps(config, indent=1))
    return path


def cli_command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"paper_transformer.{module}", *args]


def cli_env(assets: Path) -> dict[str, str]:
    return {**os.environ, "RD_ASSETS_DIR": str(assets), "OMP_NUM_THREADS": "1"}


def run_cli(
    module: str, *args: str, assets: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `python -m paper_transformer.<module> ARGS` in a subprocess with its own assets root."""
    result = subprocess.run(
        cli_command(module, *args), capture_output=True, text=True, env=cli_env(assets)
    )
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
