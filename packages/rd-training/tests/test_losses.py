"""label_smoothed_cross_entropy sums over non-ignored tokens and agrees with PyTorch's version."""

import pytest
import torch
import torch.nn.functional as F

from rd_training import label_smoothed_cross_entropy


@pytest.mark.parametrize("epsilon", [0.0, 0.1, 0.3])
def test_matches_torch_cross_entropy_with_label_smoothing(epsilon: float) -> None:
    torch.manual_seed(0)
    logits = torch.randn(3, 5, 11)
    target = torch.randint(1, 11, (3, 5))
    target[0, 3:] = 0  # padding
    target[2, 1] = 0
    loss_sum, ntokens = label_smoothed_cross_entropy(logits, target, epsilon, ignore_index=0)
    expected = F.cross_entropy(
        logits.reshape(-1, 11),
        target.reshape(-1),
        ignore_index=0,
        label_smoothing=epsilon,
        reduction="sum",
    )
    assert ntokens.item() == (target != 0).sum().item() == 12
    torch.testing.assert_close(loss_sum, expected)
    mean = F.cross_entropy(
        logits.reshape(-1, 11), target.reshape(-1), ignore_index=0, label_smoothing=epsilon
    )
    torch.testing.assert_close(loss_sum / ntokens, mean)


def test_gradient_flows_and_ignored_positions_get_none() -> None:
    logits = torch.randn(2, 4, 7, requires_grad=True)
    target = torch.tensor([[1, 2, -100, -100], [3, -100, 4, 5]])
    loss_sum, ntokens = label_smoothed_cross_entropy(logits, target, 0.1)
    loss_sum.backward()
    assert ntokens.item() == 5
    assert logits.grad is not None
    assert logits.grad[0, 2].abs().sum() == 0 and logits.grad[1, 1].abs().sum() == 0
    assert logits.grad[0, 0].abs().sum() > 0


def test_low_precision_logits_are_computed_in_fp32() -> None:
    logits = torch.randn(4, 9).to(torch.bfloat16)
    target = torch.tensor([1, 2, 3, 4])
    loss_sum, _ = label_smoothed_cross_entropy(logits, target, 0.1)
    assert loss_sum.dtype == torch.float32
    expected = F.cross_entropy(logits.float(), target, label_smoothing=0.1, reduction="sum")
    torch.testing.assert_close(loss_sum, expected)


def test_bad_arguments_raise_value_error() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        label_smoothed_cross_entropy(torch.randn(2, 3), torch.tensor([0, 1]), epsilon=1.0)
    with pytest.raises(ValueError, match="shape"):
        label_smoothed_cross_entropy(torch.randn(2, 3), torch.tensor([0, 1, 2]))
