"""The CIFAR-10 configs hold the paper's recipe and train through the default run's code path,
here on a tiny stand-in saved with the Hub dataset's schema (no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from datasets import ClassLabel, Dataset, DatasetDict, Features, Image
from paper_resnet.config import Config
from paper_resnet_testing import read_jsonl, run_cli

from rd_data import save_dataset
from rd_training import load_config

CONFIGS = Path(__file__).parents[1] / "configs"
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


@pytest.mark.parametrize(
    ("name", "depth", "warmup"), [("resnet20", 20, 0), ("resnet110", 110, 400)]
)
def test_the_configs_are_the_papers_recipe(name: str, depth: int, warmup: int) -> None:
    cfg = load_config(CONFIGS / f"cifar10_{name}.yaml", Config)
    assert (cfg.data.dataset, cfg.data.image_column, cfg.data.label_column) == (
        "uoft-cs/cifar10", "img", "label",
    )  # fmt: skip
    assert (cfg.data.batch_size, cfg.data.padding, cfg.data.flip) == (128, 4, True)
    assert cfg.model.depth == depth
    o = cfg.optim
    assert (o.lr, o.momentum, o.weight_decay, o.milestones) == (0.1, 0.9, 1e-4, [32000, 48000])
    assert (o.warmup_steps, cfg.training.max_steps) == (warmup, 64000)


def cifar_stand_in(n_train: int = 96, n_test: int = 40) -> DatasetDict:
    """Random 32x32 RGB images with CIFAR-10's columns (`img`, `label`) and class names."""
    rng = np.random.default_rng(0)
    features = Features({"img": Image(), "label": ClassLabel(names=CLASSES)})

    def split(n: int) -> Dataset:
        images = list(rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8))
        return Dataset.from_dict(
            {"img": images, "label": rng.integers(0, 10, n).tolist()}, features=features
        )

    return DatasetDict({"train": split(n_train), "test": split(n_test)})


def test_the_cifar10_config_trains_on_a_dataset_with_the_hubs_schema(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    save_dataset(cifar_stand_in(), assets / "datasets" / "uoft-cs__cifar10")  # dataset_dir's name
    tiny = ["model.depth=8", "training.max_steps=6", "training.eval_every=3", "training.save_every=3",
            "optim.milestones=[4]", "data.batch_size=32", "data.eval_batch_size=16"]  # fmt: skip
    config = str(CONFIGS / "cifar10_resnet20.yaml")
    result = run_cli("train", "--config", config, *tiny, "--run-name", "c10", assets=assets)
    run_dir = assets / "outputs" / "resnet" / "c10"
    assert "test (40 images): error" in result.stdout
    (test,) = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "test"]
    assert 0.0 <= test["error"] <= 1.0
    saved = load_config(run_dir / "config.yaml", Config)
    assert (saved.data.padding, saved.data.flip, saved.data.dataset) == (4, True, "uoft-cs/cifar10")
    evaluated = run_cli("evaluate", str(run_dir), assets=assets)
    assert evaluated.stdout.startswith("test (40 images): error")
