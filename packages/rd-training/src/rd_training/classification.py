"""Classification: the summed cross-entropy a `LossFn` returns, and evaluation with a confusion
matrix (loss, accuracy and error as `eval_fn` metrics)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rd_training.trainer import move_to_device


def classification_loss(
    logits: Tensor, labels: Tensor, label_smoothing: float = 0.0
) -> tuple[Tensor, int]:
    """`(cross-entropy summed over the batch, batch size)`: what a `LossFn` returns, so the
    Trainer's per-example mean is right across micro-batches and ranks."""
    loss = F.cross_entropy(logits.float(), labels, reduction="sum", label_smoothing=label_smoothing)
    return loss, labels.numel()


@dataclass
class ClassifierEvaluation:
    """What `evaluate_classifier` measured on a split."""

    loss: float
    """Mean cross-entropy per example."""
    accuracy: float
    """Share of examples classified correctly, in [0, 1]."""
    confusion: list[list[int]]
    """`confusion[true][predicted]` counts."""

    @property
    def error(self) -> float:
        """Share of examples classified wrongly (the paper's "error")."""
        return 1.0 - self.accuracy

    def metrics(self) -> dict[str, float]:
        """`{"loss", "accuracy", "error"}`, e.g. as an `eval_fn`'s return value."""
        return {"loss": self.loss, "accuracy": self.accuracy, "error": self.error}


def evaluate_classifier(
    model: nn.Module,
    batches: Iterable[Any],
    num_classes: int,
    *,
    input_key: str = "image",
    label_key: str = "label",
) -> ClassifierEvaluation:
    """Loss, accuracy and confusion matrix of `model` over `batches` (dicts of tensors).

    The model runs in eval mode without gradients on the device of its parameters; its
    training mode is restored afterwards.

    Raises:
        ValueError: `batches` is empty.
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    total_loss, count = 0.0, 0
    with torch.inference_mode():
        for batch in batches:
            batch = move_to_device(batch, device)
            logits = model(batch[input_key])
            loss, n = classification_loss(logits, batch[label_key])
            total_loss, count = total_loss + loss.item(), count + n
            pairs = batch[label_key].cpu() * num_classes + logits.argmax(-1).cpu()
            confusion += torch.bincount(pairs, minlength=num_classes**2).view_as(confusion)
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate_classifier got no batches")
    accuracy = confusion.diagonal().sum().item() / count
    return ClassifierEvaluation(total_loss / count, accuracy, confusion.tolist())
