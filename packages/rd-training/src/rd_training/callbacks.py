"""Callbacks: typed hooks into `Trainer.fit`, and the built-in ones (early stopping, EMA).

A callback overrides the events it needs. Every rank runs every callback, in the order given;
evaluation metrics are rank 0's on every rank, so a decision taken on them (stop now) is the
same everywhere. State that a resumed run needs (a counter, averaged weights) goes into every
checkpoint through `state_dict` / `state_tensors` and comes back through `load_state`.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

if TYPE_CHECKING:
    from rd_training.trainer import StepResult, Trainer

logger = logging.getLogger(__name__)


class Callback:
    """A hook into `Trainer.fit`; every method is optional (the defaults do nothing)."""

    @property
    def name(self) -> str:
        """The key of this callback's state in a checkpoint (unique among a Trainer's)."""
        return type(self).__name__

    def on_fit_start(self, trainer: Trainer) -> None:
        """Before the first step of `fit()`, after a resume restored the checkpoint."""

    def on_step_end(self, trainer: Trainer, result: StepResult) -> None:
        """After optimizer step `trainer.step` (already counted) was applied and logged."""

    def on_eval_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        """After `eval_fn` ran at `trainer.step` (rank 0's metrics, on every rank)."""

    def on_save(self, trainer: Trainer, checkpoint: Path) -> None:
        """On rank 0, after `checkpoint` was written."""

    def on_fit_end(self, trainer: Trainer, summary: dict[str, Any]) -> None:
        """After a `fit()` that completed (not after an interruption), with its summary."""

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state to checkpoint (default: none)."""
        return {}

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Tensors to checkpoint (default: none)."""
        return {}

    def load_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Take back what `state_dict` and `state_tensors` returned (on resume)."""


def _improved(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    """Stop when `metric` has not improved for `patience` evaluations (fairseq's `--patience`).

    Args:
        metric: a validation metric `eval_fn` returns ("valid/" prefix optional).
        mode: "min" when lower is better, "max" when higher is.
        patience: evaluations without improvement that end the run (>= 1).
        min_delta: an improvement smaller than this does not count.
    """

    def __init__(
        self, metric: str, mode: Literal["min", "max"] = "min", patience: int = 5,
        min_delta: float = 0.0,
    ) -> None:  # fmt: skip
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping mode must be 'min' or 'max', got {mode!r}")
        if not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping patience must be an integer >= 1, got {patience!r}")
        self.metric, self.mode = metric.removeprefix("valid/"), mode
        self.patience, self.min_delta = patience, min_delta
        self.best: float | None = None
        self.bad_evals = 0

    def on_eval_end(self, trainer: Trainer, metrics: dict[str, float]) -> None:
        if self.metric not in metrics:
            raise ValueError(
                f"EarlyStopping metric {self.metric!r} is not among eval_fn's metrics "
                f"{sorted(metrics)}"
            )
        value = metrics[self.metric]
        if math.isfinite(value) and _improved(value, self.best, self.mode, self.min_delta):
            self.best, self.bad_evals = value, 0
            return
        self.bad_evals += 1
        if self.bad_evals >= self.patience:
            best = "no finite value" if self.best is None else f"{self.best:.6g}"
            trainer.request_stop(
                f"early stopping: valid/{self.metric} has not improved on {best} in "
                f"{self.bad_evals} evaluation{'s' if self.bad_evals > 1 else ''}"
            )

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "bad_evals": self.bad_evals}

    def load_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        self.best, self.bad_evals = state["best"], int(state["bad_evals"])


class EMA(Callback):
    """An exponential moving average of the weights, updated after every optimizer step.

    torch's `AveragedModel` with `get_ema_multi_avg_fn(decay)`, over parameters and buffers.
    The Trainer evaluates the average instead of the trained weights, and every
    checkpoint holds it, so a resumed run continues the same average.

    Args:
        decay: weight of the old average at each update, in (0, 1), e.g. 0.999.
    """

    def __init__(self, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay!r}")
        self.decay = decay
        self.averaged: AveragedModel | None = None

    @property
    def module(self) -> nn.Module:
        """The averaged weights as a plain module (created by the first `fit()`)."""
        if self.averaged is None:
            raise RuntimeError("EMA.module exists once Trainer.fit() has started")
        return self.averaged.module

    def attach(self, model: nn.Module) -> None:
        """Start the average from `model`'s current weights (the Trainer calls this once)."""
        if self.averaged is None:
            self.averaged = AveragedModel(
                model, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=True
            )

    def on_step_end(self, trainer: Trainer, result: StepResult) -> None:
        assert self.averaged is not None
        self.averaged.update_parameters(trainer.model)

    def state_tensors(self) -> dict[str, torch.Tensor]:
        assert self.averaged is not None
        return {k: v.detach().clone() for k, v in self.averaged.state_dict().items()}

    def load_state(self, state: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        assert self.averaged is not None
        self.averaged.load_state_dict(tensors)
