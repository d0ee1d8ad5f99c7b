"""`train --sweep`: a grid of runs under one folder, resumable, summarised in a table and a plot."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

from paper_transformer.config import Config
from paper_transformer_testing import read_jsonl, run_cli
from safetensors.torch import load_file

from rd_training import load_config


def test_a_sweep_trains_each_point_then_continues_an_interrupted_one_exactly(
    tiny_config: Path, tmp_path: Path
) -> None:
    assets = tmp_path / "assets"
    command = ["--config", str(tiny_config), "--run-name", "seeds", "training.max_steps=30"]
    command += ["--sweep", "optim.lr_scale=2", "training.seed=0,1"]
    first = run_cli("train", *command, assets=assets)
    sweep = assets / "outputs" / "transformer" / "seeds"
    runs = [sweep / "lr_scale=2,seed=0", sweep / "lr_scale=2,seed=1"]
    for seed, run_dir in enumerate(runs):
        cfg = load_config(run_dir / "config.yaml", Config)
        assert (cfg.training.seed, cfg.optim.lr_scale, cfg.training.max_steps) == (seed, 2.0, 30)
    bleus = [[r for r in read_jsonl(d / "metrics.jsonl") if r["split"] == "test"][-1] for d in runs]
    mean, std = (
        statistics.fmean(b["bleu"] for b in bleus),
        statistics.stdev(b["bleu"] for b in bleus),
    )
    table = (sweep / "summary.txt").read_text()
    assert table.splitlines()[2].split() == ["lr_scale=2", f"{mean:.2f}", "±", f"{std:.2f}", "2"]
    assert f"sweep directory: {sweep}\n{table}" in first.stdout
    assert (sweep / "plots" / "sweep_bleu.png").stat().st_size > 0

    # Interrupt the second point after its step-20 checkpoint: the same command continues it.
    second = runs[1]
    finished = load_file(second / "model" / "model.safetensors")
    manifest = json.loads((second / "manifest.json").read_text())
    (second / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    shutil.rmtree(second / "checkpoints" / "step_00000030")
    shutil.rmtree(second / "model")
    again = run_cli("train", *command, assets=assets)
    assert "sweep [1/2] lr_scale=2,seed=0: finished before, skipped" in again.stdout
    assert "sweep [2/2] lr_scale=2,seed=1: continuing" in again.stdout
    resumed = load_file(second / "model" / "model.safetensors")
    assert resumed.keys() == finished.keys() and all(resumed[k].equal(finished[k]) for k in resumed)
    assert (sweep / "summary.txt").read_text() == table
