"""Classification: a summed loss the Trainer can normalise, and an evaluation that counts right."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rd_training import classification_loss, evaluate_classifier


class Fixed(nn.Module):
    """Answers with given logits, one row per input (the input is its row index)."""

    def __init__(self, logits: torch.Tensor) -> None:
        super().__init__()
        self.logits = nn.Parameter(logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits[x]


def test_the_loss_is_summed_over_the_batch_with_its_size() -> None:
    logits, labels = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    loss, n = classification_loss(logits, labels)
    assert n == 5
    torch.testing.assert_close(loss / n, F.cross_entropy(logits, labels))


def test_evaluation_gives_loss_accuracy_error_and_the_confusion_matrix() -> None:
    logits = torch.tensor([[3.0, 0, 0], [0, 3.0, 0], [0, 0, 3.0], [3.0, 0, 0]])
    model = Fixed(logits).train()
    batches = [
        {"image": torch.tensor([0, 1]), "label": torch.tensor([0, 1])},
        {"image": torch.tensor([2, 3]), "label": torch.tensor([2, 1])},  # the last one is wrong
    ]
    result = evaluate_classifier(model, batches, num_classes=3)
    assert result.confusion == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert result.accuracy == 0.75 and result.error == 0.25
    expected = F.cross_entropy(logits, torch.tensor([0, 1, 2, 1])).item()
    assert result.metrics() == pytest.approx({"loss": expected, "accuracy": 0.75, "error": 0.25})
    assert model.training  # its mode is restored
    with pytest.raises(ValueError, match="no batches"):
        evaluate_classifier(model, [], num_classes=3)
