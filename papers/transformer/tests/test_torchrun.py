"""`train` under torchrun: two gloo ranks on the CPU, each on its own shard of the batches."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

from paper_transformer.config import Config
from paper_transformer.data import load_splits, make_batches
from paper_transformer_testing import cli_env, read_jsonl

from rd_data import BPETokenizer
from rd_training import load_config

RANKS_EXIT_WITHIN_S = 120
"""Both ranks set up, train 16 tiny steps, and rank 0 decodes, in ~10 s; later means a hang."""


def torchrun_train(*args: str, assets: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]
    command += ["--standalone", "-m", "paper_transformer.train", *args]  # a free port
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=cli_env(assets),
        timeout=RANKS_EXIT_WITHIN_S,
    )


def test_two_ranks_train_disjoint_shards_and_rank_0_alone_writes_the_run(
    tiny_config: Path, assets: Path
) -> None:
    result = torchrun_train(
        "--config", str(tiny_config), "--run-name", "ddp", "training.max_steps=16", assets=assets
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = assets / "outputs" / "transformer" / "ddp"
    assert result.stdout.count("Trained 16 steps") == 1  # rank 0 reports; rank 1 says nothing
    assert f"run directory: {run_dir}" in result.stdout
    assert len((run_dir / "hypotheses.test.txt").read_text().splitlines()) == 40
    assert (run_dir / "model" / "model.safetensors").is_file()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert (manifest["status"], manifest["world_size"]) == ("completed", 2)

    # Sharded: each rank has half of the epoch's batches, so epoch 1 starts after half as many
    # steps as one process would take (its batches counted here, in this process).
    cfg = load_config(run_dir / "config.yaml", Config)
    tokenizer = BPETokenizer.load(run_dir / "tokenizer.json")
    whole = len(make_batches(load_splits(cfg.data), tokenizer, cfg.data).train_loader)
    per_rank = math.ceil(whole / 2)
    assert re.search(rf"in {per_rank} batches per rank \(2 ranks\)", result.stderr)
    train = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "train"]
    assert [r["step"] for r in train] == list(range(1, 17))  # logged once, by rank 0
    first_of_epoch_1 = next(r["step"] for r in train if r["epoch"] == 1)
    assert first_of_epoch_1 == per_rank + 1 < whole + 1


def test_a_user_error_under_torchrun_is_rank_0s_one_line(tiny_config: Path, assets: Path) -> None:
    blocker = assets.parent / "a-file"
    blocker.write_text("")
    result = torchrun_train(
        "--config", str(tiny_config), "--out-dir", str(blocker / "run"), assets=assets
    )
    assert result.returncode != 0
    assert f"train: error: cannot create the run directory {blocker / 'run'}" in result.stderr
    assert not (assets / "outputs").exists()
