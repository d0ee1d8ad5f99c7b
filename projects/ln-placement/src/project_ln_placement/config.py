"""The experiment's typed configuration; `config.yaml` next to this file is the default run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The default experiment: about a minute on 2 CPU cores."""


@dataclass
class TaskConfig:
    num_symbols: int = 10
    """Distinct symbols in the sequences."""
    min_len: int = 4
    """Shortest source sequence."""
    max_len: int = 12
    """Longest source sequence."""
    batch_size: int = 64
    """Sequences per optimizer step."""
    train_batches: int = 200
    """Distinct training batches (cycled through as epochs)."""
    valid_size: int = 512
    """Validation sequences (teacher-forced loss and token accuracy)."""
    test_size: int = 512
    """Test sequences decoded greedily at the end (exact-match accuracy)."""


@dataclass
class ModelConfig:
    d_model: int = 64
    """Width of the residual stream."""
    n_heads: int = 4
    """Attention heads."""
    num_layers: int = 6
    """Encoder layers, and as many decoder layers."""
    d_ff: int = 128
    """Inner width of the feed-forward blocks."""
    dropout: float = 0.0
    """Residual dropout (0: the two variants see exactly the same computation graph shape)."""


@dataclass
class OptimConfig:
    lr: float = 3e-3
    """Learning rate of Adam (constant after any warm-up)."""
    warmup_steps: int = 100
    """Linear warm-up steps of the "-warmup" variants; the others start at full `lr`."""
    beta2: float = 0.98
    """Adam beta2 (the Transformer paper's value)."""
    clip_grad_norm: float | None = None
    """Clip the global gradient norm (None: no clipping)."""


@dataclass
class ExperimentConfig:
    variants: list[str] = field(default_factory=lambda: ["post-ln", "pre-ln", "post-ln-warmup"])
    """Runs to compare: "post-ln" (the paper), "pre-ln", and either with "-warmup" appended."""
    seeds: list[int] = field(default_factory=lambda: [0])
    """One run per variant and seed; every variant sees the same data and initial seed."""
    max_steps: int = 400
    """Optimizer steps per run."""
    eval_every: int = 25
    """Validation every N steps."""
    device: str = "cpu"
    """auto (cuda > mps > cpu), cuda, mps or cpu; cpu by default, the model is tiny."""
    threads: int = 1
    """torch CPU threads; one is fastest for a model this small and leaves the other cores free."""
    target_accuracy: float = 0.9
    """Report the first step at which validation token accuracy reaches this value."""
    task: TaskConfig = field(default_factory=TaskConfig)
    """The synthetic reversal task."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Transformer shape (shared by the variants)."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Optimizer and schedule (shared by the variants)."""
