"""The experiment's typed configuration; `config.yaml` next to this file is the default run.

`ExperimentConfig` holds the libraries' own dataclasses for the model (`TransformerConfig`) and
the loop (`TrainerConfig`); each variant fills in `model.norm_first` and each seed
`training.seed` (`dataclasses.replace`), so a config file sets neither.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from project_ln_placement.task import ReversalTask
from rd_models import TransformerConfig
from rd_training import TrainerConfig, check, check_positive

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The default experiment: about a minute on 2 CPU cores."""

PLACEMENTS = {"post-ln": False, "pre-ln": True}
"""Placement -> `TransformerConfig.norm_first`."""
VARIANTS = (*PLACEMENTS, *(f"{p}-warmup" for p in PLACEMENTS))
"""Every run name: a placement, optionally with learning-rate warm-up."""


@dataclass
class TaskConfig(ReversalTask):
    """The reversal task (its symbols and lengths) and how much of it the experiment draws."""

    batch_size: int = 64
    """Sequences per optimizer step."""
    train_batches: int = 200
    """Distinct training batches (cycled through as epochs)."""
    valid_size: int = 512
    """Validation sequences (teacher-forced loss and token accuracy)."""
    test_size: int = 512
    """Test sequences decoded greedily at the end (exact-match accuracy)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self, "batch_size", "train_batches", "valid_size", "test_size")


@dataclass
class OptimConfig:
    lr: float = 3e-3
    """Learning rate of Adam (constant after any warm-up)."""
    warmup_steps: int = 100
    """Linear warm-up steps of the "-warmup" variants; the others start at full `lr`."""
    beta2: float = 0.98
    """Adam beta2 (the Transformer paper's value)."""

    def __post_init__(self) -> None:
        check(math.isfinite(self.lr) and self.lr > 0, self, "lr", "a finite number > 0")
        check(self.warmup_steps >= 0, self, "warmup_steps", ">= 0")
        check(0.0 <= self.beta2 < 1.0, self, "beta2", "in [0, 1)")


def _model_defaults() -> TransformerConfig:
    """6 + 6 layers of width 64: depth is where the placement matters."""
    return TransformerConfig(
        d_model=64, n_heads=4, num_encoder_layers=6, num_decoder_layers=6, d_ff=128, dropout=0.0
    )


def _training_defaults() -> TrainerConfig:
    """400 steps, validation every 25, one checkpoint at the end, quiet (a table comes last)."""
    return TrainerConfig(
        max_steps=400, eval_every=25, log_every=25, save_every=None, keep_last=1, device="cpu",
        progress_bar=False, tensorboard=False,
        resume_hint="ln-placement does not resume: run the experiment again under a new --run-name.",
    )  # fmt: skip


@dataclass
class ExperimentConfig:
    runtime_fields: ClassVar[dict[str, str]] = {
        "model.norm_first": "each variant's placement (variants)",
        "model.max_len": "the task (task.max_len)",
        "training.seed": "the list of seeds (seeds)",
    }
    """Keys each run fills in; a config file cannot set them."""

    variants: list[str] = field(default_factory=lambda: ["post-ln", "pre-ln", "post-ln-warmup"])
    """Runs to compare: "post-ln" (the paper), "pre-ln", and either with "-warmup" appended."""
    seeds: list[int] = field(default_factory=lambda: [0])
    """One run per variant and seed; every variant sees the same data and initial seed."""
    threads: int = 1
    """torch CPU threads; one is fastest for a model this small and leaves the other cores free."""
    target_accuracy: float = 0.9
    """Report the first step at which validation token accuracy reaches this value."""
    task: TaskConfig = field(default_factory=TaskConfig)
    """The synthetic reversal task."""
    model: TransformerConfig = field(default_factory=_model_defaults)
    """Transformer shape, shared by the variants (rd_models.TransformerConfig)."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Adam and the warm-up of the "-warmup" variants (shared by the variants)."""
    training: TrainerConfig = field(default_factory=_training_defaults)
    """The loop of each run (rd_training.TrainerConfig): steps, evaluation, clipping, device."""

    def __post_init__(self) -> None:
        unknown = sorted(set(self.variants) - set(VARIANTS))
        if unknown:
            raise ValueError(f"variants: unknown {unknown} (choose from {', '.join(VARIANTS)})")
        check(len(self.variants) > 0, self, "variants", "a non-empty list")
        check(len(set(self.variants)) == len(self.variants), self, "variants", "free of repeats")
        check(len(self.seeds) > 0, self, "seeds", "a non-empty list")
        check(len(set(self.seeds)) == len(self.seeds), self, "seeds", "free of repeats")
        # torch generators take at most 64 bits; numpy's seed is 32-bit.
        check(all(0 <= s < 2**32 for s in self.seeds), self, "seeds", "integers in [0, 2**32)")
        check_positive(self, "threads")
        check(0.0 <= self.target_accuracy <= 1.0, self, "target_accuracy", "in [0, 1]")
        self._check_across_sections()

    def _check_across_sections(self) -> None:
        m, steps, warmup = self.model, self.training.max_steps, self.optim.warmup_steps
        if min(m.num_encoder_layers, m.num_decoder_layers) < 1:  # TransformerConfig allows 0
            raise ValueError(
                "model.num_encoder_layers and model.num_decoder_layers must be at least 1: a "
                "Transformer without layers has no LayerNorm to place"
            )
        if steps is None:
            raise ValueError("training.max_steps must be set: the warm-up schedule needs it")
        if any(v.endswith("-warmup") for v in self.variants) and warmup > steps:
            raise ValueError(
                f"optim.warmup_steps ({warmup}) must be <= training.max_steps ({steps}): the "
                "-warmup variants would never reach optim.lr"
            )
