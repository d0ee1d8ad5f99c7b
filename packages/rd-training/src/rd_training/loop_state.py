"""`LoopState`: where the training loop is, as a checkpoint stores it for an exact resume."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from rd_training.checkpoint import CheckpointState


@dataclass
class EpochStart:
    """How the current epoch began: what a resumed run rewinds to before replaying its batches."""

    sampler_states: list[dict[str, Any] | None]
    """Each rank's sampler `state_dict()` after `set_epoch` (rank 0 saves them all)."""
    rng_tensors: dict[str, torch.Tensor]
    """torch/cuda generator states (they may drive shuffling and DataLoader workers' seeds)."""
    rng_json: dict[str, Any]
    """python/numpy generator states."""


@dataclass
class LoopState:
    """The Trainer's position: everything besides weights and optimizer that a resume restores."""

    step: int = 0
    """Optimizer steps completed."""
    epoch: int = 0
    """Passes over the training data completed (the current epoch's index)."""
    batches_in_epoch: int = 0
    """Batches of the current epoch consumed (replayed, without compute, on resume)."""
    best: dict[str, Any] | None = None
    """The best validation result so far: metric, mode, value, step, checkpoint."""
    epoch_start: EpochStart | None = None
    """How the current epoch began; None between epochs."""

    def checkpoint_payload(self) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """The JSON (`extra`) and tensors (`extra_tensors`) that `save_checkpoint` stores."""
        start = self.epoch_start
        extra = {
            "batches_in_epoch": self.batches_in_epoch if start is not None else 0,
            "best": self.best,
            "epoch_start": None
            if start is None
            else {"sampler_states": start.sampler_states, "rng": start.rng_json},
        }
        return extra, {} if start is None else dict(start.rng_tensors)

    @classmethod
    def from_checkpoint(cls, state: CheckpointState) -> LoopState:
        """The loop state a Trainer saved in the checkpoint `load_checkpoint` read.

        Raises:
            ValueError: the checkpoint holds no loop state (not written by this Trainer).
        """
        extra = state.extra
        if "epoch_start" not in extra or "batches_in_epoch" not in extra:
            raise ValueError(
                f"checkpoint {Path(state.path)} holds no Trainer loop state (written by another "
                "program or an older rd-training): its weights load, but it cannot be resumed"
            )
        start = extra["epoch_start"]
        return cls(
            step=state.step,
            epoch=state.epoch,
            batches_in_epoch=int(extra["batches_in_epoch"]),
            best=extra.get("best"),
            epoch_start=None
            if start is None
            else EpochStart(start["sampler_states"], state.extra_tensors, start["rng"]),
        )
