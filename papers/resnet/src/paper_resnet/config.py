"""The typed configuration of a paper-resnet run; `config.yaml` next to this file is the default.

`Config` holds the libraries' own dataclasses for the network (`rd_models.CifarResNetConfig`)
and the loop (`rd_training.TrainerConfig`) beside the paper's `data` and `optim` sections. Every
field carries a docstring (`resnet-train --help` lists them); a key a YAML file leaves out keeps
the embedded run's default; each dataclass checks itself (ARCHITECTURE.md, "The config
contract").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rd_models import CifarResNetConfig
from rd_training import TrainerConfig, check, check_positive

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The embedded run: ResNet-20 on scikit-learn's 8x8 digits, about a minute on 2 CPU cores."""

DIGITS = "digits"
"""`data.dataset` for scikit-learn's bundled handwritten digits (no download)."""


@dataclass
class DataConfig:
    dataset: str = DIGITS
    """`digits` (scikit-learn's 8x8 digits, saved to assets/ on first use) or a dataset saved with
    `rd-download-dataset`, e.g. `uoft-cs/cifar10`."""
    config: str | None = None
    """The dataset's config (subset), if it has several."""
    image_column: str = "img"
    """Column holding the images (CIFAR-10 on the Hub: `img`)."""
    label_column: str = "label"
    """Column holding the class ids."""
    train_split: str = "train"
    """Split trained on (the paper: all 50k CIFAR-10 training images)."""
    test_split: str = "test"
    """Split evaluated during training and at the end (the paper's test error)."""
    max_train_examples: int | None = None
    """Use only the first N training images (None: all); for quick runs."""
    batch_size: int = 128
    """Images per optimizer step (the paper: 128)."""
    eval_batch_size: int = 500
    """Images per batch when evaluating."""
    padding: int = 1
    """Pixels of zero padding before the random crop back to size (the paper: 4 on 32x32)."""
    flip: bool = False
    """Random horizontal flips (the paper: yes; not for digits, which are not mirror images)."""
    test_fraction: float = 0.2
    """digits: the share of the 1,797 images held out as the test split."""
    seed: int = 0
    """Seed of the digits split, the batch order and the augmentation."""

    def __post_init__(self) -> None:
        check_positive(self, "batch_size", "eval_batch_size")
        check_positive(self, "max_train_examples", allow_none=True)
        check(self.padding >= 0, self, "padding", ">= 0")
        check(0.0 < self.test_fraction < 1.0, self, "test_fraction", "in (0, 1)")


@dataclass
class OptimConfig:
    lr: float = 0.1
    """Learning rate of SGD until the first milestone (the paper: 0.1)."""
    momentum: float = 0.9
    """SGD momentum (the paper: 0.9)."""
    weight_decay: float = 1e-4
    """L2 weight decay of the convolution and linear weights (the paper: 1e-4)."""
    milestones: list[int] = field(default_factory=lambda: [1000, 1500])
    """Steps after which the rate is divided by 10 (the paper: 32k and 48k of 64k)."""
    warmup_steps: int = 0
    """The first steps at `warmup_lr` (the paper's ResNet-110: 400 steps at 0.01)."""
    warmup_lr: float = 0.01
    """Learning rate of the warm-up steps."""

    def __post_init__(self) -> None:
        for name in ("lr", "warmup_lr"):
            value = getattr(self, name)
            check(math.isfinite(value) and value > 0, self, name, "a finite number > 0")
        check(0.0 <= self.momentum < 1.0, self, "momentum", "in [0, 1)")
        check(self.weight_decay >= 0, self, "weight_decay", ">= 0")
        check(self.warmup_steps >= 0, self, "warmup_steps", ">= 0")
        ok = all(m >= 1 for m in self.milestones) and self.milestones == sorted(
            set(self.milestones)
        )
        check(ok, self, "milestones", "increasing positive steps")


def _training_defaults() -> TrainerConfig:
    """2,000 steps (about 180 epochs of the digits), test error and a checkpoint every 250."""
    return TrainerConfig(
        max_steps=2_000, log_every=100, eval_every=250, save_every=250, keep_last=2,
        best_metric="error",
    )  # fmt: skip


@dataclass
class Config:
    runtime_fields: ClassVar[dict[str, str]] = {
        "training.resume": "resnet-train --resume",
        "training.resume_hint": "resnet-train",
    }
    """Keys `resnet-train` fills in itself; a config file cannot set them."""

    data: DataConfig = field(default_factory=DataConfig)
    """The images, their split and augmentation, and the batches."""
    model: CifarResNetConfig = field(default_factory=CifarResNetConfig)
    """The network (rd_models.CifarResNetConfig): depth 20, 32, 44, 56 or 110; classes and
    channels come from the data."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """SGD and the step-decay schedule."""
    training: TrainerConfig = field(default_factory=_training_defaults)
    """The training loop (rd_training.TrainerConfig): steps, precision, evaluation, checkpoints."""

    def __post_init__(self) -> None:
        steps = self.training.max_steps
        if steps is not None and self.optim.milestones and self.optim.milestones[-1] >= steps:
            raise ValueError(
                f"optim.milestones ({self.optim.milestones}) must lie before training.max_steps "
                f"({steps}): the last rate would never be used"
            )
