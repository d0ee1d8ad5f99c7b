"""label_smoothed_cross_entropy sums over non-ignored tokens and agrees with PyTorch's version;
linear_cross_entropy equals it on the projected logits, with and without autocast."""

import pytest
import torch
import torch.nn.functional as F

from rd_training import label_smoothed_cross_entropy, linear_cross_entropy


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


def _projection_case(dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(0)
    hidden = torch.randn(3, 7, 16, generator=gen, dtype=dtype, requires_grad=True)
    weight = torch.randn(23, 16, generator=gen, dtype=dtype, requires_grad=True)
    target = torch.randint(1, 23, (3, 7), generator=gen)
    target[0, 4:] = 0  # padding
    return hidden, weight, target


@pytest.mark.parametrize("epsilon", [0.0, 0.1])
@pytest.mark.parametrize("chunk_size", [None, 1, 4, 21, 100])
def test_linear_cross_entropy_matches_the_unfused_loss_and_gradients(
    epsilon: float, chunk_size: int | None
) -> None:
    hidden, weight, target = _projection_case()
    expected, n_expected = label_smoothed_cross_entropy(
        F.linear(hidden, weight), target, epsilon, ignore_index=0
    )
    grads_expected = torch.autograd.grad(expected * 0.5, (hidden, weight))
    loss, n = linear_cross_entropy(hidden, weight, target, epsilon, 0, chunk_size)
    grads = torch.autograd.grad(loss * 0.5, (hidden, weight))
    assert n.item() == n_expected.item() == 18
    torch.testing.assert_close(loss, expected)
    for got, want in zip(grads, grads_expected, strict=True):
        torch.testing.assert_close(got, want)
    assert grads[0][0, 4:].abs().sum() == 0  # padding positions get no gradient


def test_linear_cross_entropy_accumulates_into_a_tied_weight() -> None:
    hidden, weight, target = _projection_case()
    other_use = (weight**2).sum()  # the weight is also an embedding elsewhere in the graph
    loss, _ = linear_cross_entropy(hidden, weight, target, 0.1, 0)
    (loss + other_use).backward()
    expected = weight.grad.clone()
    weight.grad = hidden.grad = None
    unfused, _ = label_smoothed_cross_entropy(F.linear(hidden, weight), target, 0.1, 0)
    (unfused + (weight**2).sum()).backward()
    torch.testing.assert_close(expected, weight.grad)


def test_linear_cross_entropy_under_bf16_autocast_matches_f_linear_in_bf16() -> None:
    hidden, weight, target = _projection_case()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, _ = linear_cross_entropy(hidden, weight, target, 0.1, 0, chunk_size=5)
        expected, _ = label_smoothed_cross_entropy(F.linear(hidden, weight), target, 0.1, 0)
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-4)
    grads = torch.autograd.grad(loss, (hidden, weight))
    grads_expected = torch.autograd.grad(expected, (hidden, weight))
    for got, want in zip(grads, grads_expected, strict=True):
        assert got.dtype == torch.float32  # the parameters' dtype, as autocast gives it
        assert ((got - want).norm() / want.norm()).item() < 1e-2


def test_linear_cross_entropy_without_grad_only_computes_the_loss() -> None:
    hidden, weight, target = _projection_case()
    with torch.no_grad():
        loss, n = linear_cross_entropy(hidden, weight, target, 0.1, 0, chunk_size=2)
    expected, _ = label_smoothed_cross_entropy(F.linear(hidden, weight), target, 0.1, 0)
    assert not loss.requires_grad and n.item() == 18
    torch.testing.assert_close(loss, expected.detach())


def test_linear_cross_entropy_bad_arguments_raise_value_error() -> None:
    hidden, weight, target = _projection_case()
    with pytest.raises(ValueError, match="epsilon"):
        linear_cross_entropy(hidden, weight, target, epsilon=-0.1)
    with pytest.raises(ValueError, match="weight must be"):
        linear_cross_entropy(hidden, weight[:, :8], target)
    with pytest.raises(ValueError, match="target shape"):
        linear_cross_entropy(hidden, weight, target[:, :3])
    with pytest.raises(ValueError, match="chunk_size"):
        linear_cross_entropy(hidden, weight, target, chunk_size=0)


@pytest.mark.slow
def test_linear_cross_entropy_compiled_chunks_match_the_unfused_loss() -> None:
    hidden, weight, target = _projection_case()
    expected, _ = label_smoothed_cross_entropy(F.linear(hidden, weight), target, 0.1, 0)
    grads_expected = torch.autograd.grad(expected, (hidden, weight))
    # 21 rows in 3 chunks of 7: one compilation (a remainder chunk would add a dynamic one).
    loss, n = linear_cross_entropy(hidden, weight, target, 0.1, 0, 7, compile_chunks=True)
    grads = torch.autograd.grad(loss, (hidden, weight))
    assert n.item() == 18
    torch.testing.assert_close(loss, expected)
    for got, want in zip(grads, grads_expected, strict=True):
        torch.testing.assert_close(got, want)


def test_linear_cross_entropy_falls_back_to_eager_chunks_when_compiling_fails(monkeypatch) -> None:
    from rd_training import losses

    def broken_compile(fn):
        def compiled(*args):
            raise RuntimeError("Cannot find a working triton installation\nmore details")

        return compiled

    monkeypatch.setattr(losses, "_compiled_chunk", losses._CompiledChunk())
    monkeypatch.setattr(torch, "compile", broken_compile)
    hidden, weight, target = _projection_case()
    expected, _ = label_smoothed_cross_entropy(F.linear(hidden, weight), target, 0.1, 0)
    with pytest.warns(RuntimeWarning, match="torch.compile failed .*triton.*eagerly"):
        loss, _ = linear_cross_entropy(hidden, weight, target, 0.1, 0, 5, compile_chunks=True)
    torch.testing.assert_close(loss, expected)
    assert losses._compiled_chunk.failed  # later calls go straight to the eager chunks
    again, _ = linear_cross_entropy(hidden, weight, target, 0.1, 0, 5, compile_chunks=True)
    torch.testing.assert_close(again, expected)
