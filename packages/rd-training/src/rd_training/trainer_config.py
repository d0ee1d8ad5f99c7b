"""`TrainerConfig`: every knob of the training loop, each with a one-line docstring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rd_training.config import check, check_positive

Precision = Literal["fp32", "bf16", "fp16"]


@dataclass
class TrainerConfig:
    """Settings of `Trainer`. Invalid values raise `ValueError` naming the field."""

    runtime_fields: ClassVar[dict[str, str]] = {
        "resume": "the command line (e.g. --resume)",
        "resume_hint": "the command line that runs the Trainer",
    }
    """Fields a program sets (with `dataclasses.replace`), never a config file."""

    max_steps: int | None = None
    """Stop after this many optimizer steps (None: only `max_epochs` limits the run)."""
    max_epochs: int | None = None
    """Stop after this many passes over `train_data` (None: only `max_steps` limits the run)."""
    max_seconds: float | None = None
    """Stop once the loop of one `fit()` has run this many seconds, then evaluate and save as at
    `max_steps` (None: no time limit). For equal-time comparisons; the last step depends on the
    machine, so such a run is not reproducible step for step."""
    grad_accum_steps: int = 1
    """Micro-batches per optimizer step; the loss is normalised by all of their tokens."""
    clip_grad_norm: float | None = None
    """Clip the global gradient norm to this value (None: no clipping)."""
    precision: Precision = "fp32"
    """"fp32", "bf16" (autocast) or "fp16" (autocast plus dynamic loss scaling); on CPU these two
    also raise oneDNN's primitive cache (see the README)."""
    compile: bool = False
    """Wrap the model in `torch.compile` for training."""
    log_every: int = 100
    """Show a progress line / TensorBoard point every this many steps (metrics.jsonl gets every step)."""
    eval_every: int | None = None
    """Call `eval_fn` every this many steps (None: only at the end of training)."""
    save_every: int | None = 1000
    """Save a checkpoint every this many steps (None: only at the end and when interrupted)."""
    keep_last: int = 5
    """Keep this many most recent checkpoints (plus the best one)."""
    best_metric: str | None = None
    """Validation metric selecting the best checkpoint, e.g. "loss" or "bleu" ("valid/" prefix optional)."""
    best_mode: Literal["min", "max"] = "min"
    """Whether a lower ("min") or higher ("max") `best_metric` is better."""
    patience: int | None = None
    """Stop when `best_metric` has not improved for this many evaluations (fairseq's
    `--patience`; None: never stop early)."""
    ema_decay: float | None = None
    """Keep an exponential moving average of the weights with this decay (e.g. 0.999), evaluate
    it instead of the trained weights and checkpoint it (None: no average)."""
    seed: int = 0
    """Seed for python, numpy and torch, set when the Trainer is created."""
    deterministic: bool = False
    """Use deterministic torch algorithms (slower; for exact reproducibility on GPU)."""
    device: str = "auto"
    """"auto" (cuda > mps > cpu), or an explicit device such as "cpu" or "cuda:1"."""
    resume: str | None = None
    """None (fresh run), "auto" (newest complete checkpoint in out_dir, if any) or a checkpoint path."""
    resume_hint: str = "Run again with resume='auto' to continue."
    """The last sentence of the message an interrupted run (SIGINT/SIGTERM) logs: how to continue
    it. A command-line program names its own command, e.g. `"Continue with: train --resume auto
    --run-name X"`."""
    count_unit: str = "tok"
    """What `loss_fn`'s count counts, as progress lines show it per second ("tok/s", "img/s")."""
    progress_bar: bool = True
    """Show a tqdm bar on a TTY (plain log lines otherwise); False shows neither."""
    tensorboard: bool = True
    """Also write TensorBoard events to `<out_dir>/tensorboard` when tensorboard is installed."""

    def __post_init__(self) -> None:
        check_positive(self, "max_steps", "max_epochs", "eval_every", "save_every", allow_none=True)
        check_positive(self, "grad_accum_steps", "log_every", "keep_last")
        limit = self.max_seconds
        check(limit is None or (isinstance(limit, (int, float)) and limit > 0), self,
              "max_seconds", "> 0 or None")  # fmt: skip
        if self.max_steps is None and self.max_epochs is None and limit is None:
            raise ValueError(
                "TrainerConfig.max_steps, TrainerConfig.max_epochs or TrainerConfig.max_seconds "
                "must be set"
            )
        clip = self.clip_grad_norm
        check(clip is None or clip > 0, self, "clip_grad_norm", "> 0 or None")
        check(self.precision in ("fp32", "bf16", "fp16"), self, "precision", "fp32, bf16 or fp16")
        check(self.best_mode in ("min", "max"), self, "best_mode", "'min' or 'max'")
        if self.best_metric is not None:
            self.best_metric = self.best_metric.removeprefix("valid/")
        check_positive(self, "patience", allow_none=True)
        if self.patience is not None and self.best_metric is None:
            raise ValueError("TrainerConfig.patience needs TrainerConfig.best_metric (to improve)")
        decay = self.ema_decay
        check(decay is None or 0 < decay < 1, self, "ema_decay", "in (0, 1) or None")
