"""The typed configuration of a paper-resnet run; `config.yaml` next to this file is the default.

`Config` holds the libraries' own dataclasses (`rd_training.TrainerConfig` for the loop, the
model's config from `model.py`) beside this member's sections (`task`, `optim`). Every field
carries a docstring, which `resnet-train --help` lists; a key a YAML file leaves out keeps its
default; each dataclass checks its own values in `__post_init__` (ARCHITECTURE.md, "The config
contract").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from paper_resnet.model import ModelConfig, model_defaults
from paper_resnet.task import TaskConfig
from rd_training import TrainerConfig, check

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The default run: the synthetic task, a few seconds on a CPU."""


@dataclass
class OptimConfig:
    lr: float = 3e-3
    """Learning rate of AdamW."""

    def __post_init__(self) -> None:
        check(math.isfinite(self.lr) and self.lr > 0, self, "lr", "a finite number > 0")


def _training_defaults() -> TrainerConfig:
    """400 steps on the CPU, one checkpoint at the end, quiet (the result is printed last)."""
    return TrainerConfig(
        max_steps=400, log_every=50, save_every=None, keep_last=1, device="cpu",
        progress_bar=False, tensorboard=False,
        resume_hint="resnet-train does not resume: train again under a new --run-name.",
    )  # fmt: skip


@dataclass
class Config:
    """A run's settings: `config.yaml` (or `--config`), then the command line's overrides."""

    runtime_fields: ClassVar[dict[str, str]] = {"model.max_len": "task.seq_len"}
    """Keys the program fills in itself; a config file cannot set them."""
    task: TaskConfig = field(default_factory=TaskConfig)
    """The synthetic task (task.py)."""
    model: ModelConfig = field(default_factory=model_defaults)
    """The model's shape (model.py)."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """The optimizer."""
    training: TrainerConfig = field(default_factory=_training_defaults)
    """The training loop (rd_training.TrainerConfig): steps, device, logging, checkpoints."""
