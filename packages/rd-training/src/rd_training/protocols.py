"""The small protocols the Trainer relies on, so it never imports a data or model library."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn


@runtime_checkable
class StatefulSampler(Protocol):
    """A data sampler whose position can be saved and restored (e.g. rd_data.TokenBudgetBatchSampler).

    The Trainer calls `set_epoch(epoch)` before each epoch and stores `state_dict()` (taken right
    after `set_epoch`, before the epoch's first batch) in every checkpoint. On resume it restores
    that state and replays the data iterator up to the saved batch, so the sampler only has to be
    deterministic given its state; prefetching DataLoader workers cannot shift the position.
    """

    def state_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable description of the sampler's state."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state returned by `state_dict`."""
        ...

    def set_epoch(self, epoch: int) -> None:
        """Select the shuffle order of `epoch` (0-based)."""
        ...


class LossFn(Protocol):
    """`loss_fn(model, batch) -> (loss_sum, num_tokens)`.

    `loss_sum` is the loss *summed* over the batch's target tokens (a scalar tensor with grad);
    `num_tokens` is how many target tokens it covers (int or scalar tensor). The Trainer divides the
    gradients by the token count of all micro-batches of an optimizer step (across all ranks), so
    gradient accumulation and DDP give the same update as one big batch.
    """

    def __call__(self, model: nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor | int]:
        """Compute the summed loss and the number of target tokens of one micro-batch."""
        ...


class EvalFn(Protocol):
    """`eval_fn(model, step) -> {"loss": ..., "bleu": ...}`, logged with split "valid".

    Called on every rank with the unwrapped model in eval mode under `torch.no_grad()`; return the
    same numbers on every rank (rank 0's are logged and used for the best checkpoint).
    """

    def __call__(self, model: nn.Module, step: int) -> dict[str, float]:
        """Evaluate the model after optimizer step `step`."""
        ...
