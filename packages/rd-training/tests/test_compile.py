"""`TrainerConfig(compile=True)` trains through torch.compile (inductor) like the eager model."""

import json
from pathlib import Path

import pytest
import torch
from rd_training_testkit import TinyLM, collate, loss_fn, make_dataset
from safetensors.torch import load_file

from rd_training import Trainer, TrainerConfig

pytestmark = pytest.mark.slow  # inductor compiles C++ kernels: ~20-30 s on 2 CPU cores


def train(out: Path, compile: bool) -> list[float]:
    torch.manual_seed(0)
    model = TinyLM(dropout=0.0)
    batches = [collate(make_dataset()[i : i + 4]) for i in range(0, 12, 4)]
    config = TrainerConfig(
        max_steps=3, compile=compile, device="cpu", progress_bar=False, tensorboard=False
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    Trainer(
        model, config, train_data=batches, loss_fn=loss_fn, optimizer=optimizer, out_dir=out
    ).fit()
    lines = (out / "metrics.jsonl").read_text().splitlines()
    return [r["loss"] for r in map(json.loads, lines) if r["split"] == "train"]


def test_compiled_training_matches_eager_and_saves_plain_keys(tmp_path: Path) -> None:
    eager = train(tmp_path / "eager", compile=False)
    compiled = train(tmp_path / "compiled", compile=True)
    assert compiled == pytest.approx(eager, rel=1e-4)
    weights = load_file(
        tmp_path / "compiled" / "checkpoints" / "step_00000003" / "model.safetensors"
    )
    assert weights and not any("_orig_mod" in key for key in weights)
