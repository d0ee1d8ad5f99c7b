"""Label-smoothed cross-entropy, summed over target tokens (the paper uses epsilon = 0.1)."""

from __future__ import annotations

import warnings
from typing import Any

import torch
import torch.nn.functional as F


def label_smoothed_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    epsilon: float = 0.1,
    ignore_index: int = -100,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy against a target smoothed towards the uniform distribution.

    The smoothed target puts `1 - epsilon + epsilon / V` on the gold token and `epsilon / V` on every
    other one (the convention of `F.cross_entropy(label_smoothing=epsilon)`). The loss is summed over
    non-ignored tokens; divide by the returned count for the per-token mean. It is computed in fp32
    whatever the logits' dtype.

    Args:
        logits: `[..., V]` unnormalised scores.
        target: `[...]` gold token ids; positions equal to `ignore_index` do not count.
        epsilon: smoothing mass in `[0, 1)`.
        ignore_index: target value to skip (e.g. the pad id).

    Returns:
        `(loss_sum, num_tokens)`: the summed loss (scalar tensor) and the number of counted tokens
        (scalar long tensor, on the logits' device).

    Raises:
        ValueError: if epsilon is outside `[0, 1)` or the shapes do not match.
    """
    if not 0.0 <= epsilon < 1.0:
        raise ValueError(f"epsilon must be in [0, 1), got {epsilon}")
    if logits.shape[:-1] != target.shape:
        raise ValueError(
            f"logits shape {tuple(logits.shape)} does not match target shape {tuple(target.shape)}"
        )
    vocab = logits.size(-1)
    lprobs = F.log_softmax(logits.reshape(-1, vocab).float(), dim=-1)
    target = target.reshape(-1)
    keep = target != ignore_index
    # Gather with a valid index everywhere, then zero the ignored positions out.
    safe_target = torch.where(keep, target, torch.zeros_like(target))
    nll = -lprobs.gather(-1, safe_target.unsqueeze(-1)).squeeze(-1)
    smooth = -lprobs.mean(dim=-1)  # = -(1/V) * sum_v log p_v
    per_token = (1.0 - epsilon) * nll + epsilon * smooth
    loss_sum = (per_token * keep).sum()
    return loss_sum, keep.sum()


def linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    target: torch.Tensor,
    epsilon: float = 0.1,
    ignore_index: int = -100,
    chunk_size: int | None = None,
    compile_chunks: bool | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`label_smoothed_cross_entropy(F.linear(hidden, weight), target, ...)` without the logits.

    The output projection and the loss are computed a chunk of rows at a time, and each chunk's
    gradients with respect to `hidden` and `weight` are computed right there (the backward pass
    only scales them), so the `[N, V]` logits, their fp32 copy and their gradient never exist
    at full size: at 30-token sentences and a 37k vocabulary those are the largest tensors of a
    Transformer's training step. Same FLOPs as the unfused version, a fraction of the memory
    traffic and peak memory; the loss is the same up to floating-point summation order.

    Under autocast the matrix products run in the autocast dtype (as `F.linear` would) and the
    softmax in fp32. Gradients are computed during the forward pass whenever autograd records
    it (so call it under `torch.no_grad()` for evaluation).

    Args:
        hidden: `[..., d]` features before the output projection (e.g. a Transformer's
            `model(src, tgt_in, features_only=True)`).
        weight: `[V, d]` output projection weight (e.g. `model.output_weight`).
        target: `[...]` gold token ids, `hidden.shape[:-1]`; `ignore_index` positions do not count.
        epsilon: label-smoothing mass in `[0, 1)`.
        ignore_index: target value to skip (e.g. the pad id).
        chunk_size: rows per chunk; None picks about 128M logits per chunk (256 MB in bf16).
        compile_chunks: run each chunk's softmax, loss and logit gradient as one
            `torch.compile`d function (two passes over the chunk's logits instead of about ten);
            None: on CUDA only (compiling costs seconds once per process; on CPU it rarely pays).

    Returns:
        `(loss_sum, num_tokens)` as `label_smoothed_cross_entropy` returns them.

    Raises:
        ValueError: if epsilon is outside `[0, 1)`, the shapes do not match or chunk_size < 1.
    """
    if not 0.0 <= epsilon < 1.0:
        raise ValueError(f"epsilon must be in [0, 1), got {epsilon}")
    if weight.dim() != 2 or hidden.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"weight must be [V, {hidden.shape[-1]}] for hidden {tuple(hidden.shape)}, "
            f"got {tuple(weight.shape)}"
        )
    if hidden.shape[:-1] != target.shape:
        raise ValueError(
            f"hidden shape {tuple(hidden.shape)} does not match target shape {tuple(target.shape)}"
        )
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    device_type = hidden.device.type
    dtype = hidden.dtype
    if torch.is_autocast_enabled(device_type):
        dtype = torch.get_autocast_dtype(device_type)
    chunk = chunk_size or max(1, 2**27 // weight.shape[0])
    if compile_chunks is None:
        compile_chunks = device_type == "cuda"
    h = hidden.reshape(-1, hidden.shape[-1]).to(dtype)
    return _LinearCrossEntropy.apply(
        h, weight.to(dtype), target.reshape(-1), epsilon, ignore_index, chunk, compile_chunks
    )


def _chunk_loss_and_grad(
    logits: torch.Tensor, target: torch.Tensor, keep: torch.Tensor, epsilon: float, grad: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One chunk's summed loss and d(loss)/d(logits), written for `torch.compile` to fuse."""
    x = logits.float()
    lse = torch.logsumexp(x, dim=-1, keepdim=True)
    gold = x.gather(1, target)
    # (1 - eps) * (lse - gold) + eps * (lse - mean(logits))
    per_token = (lse - (1.0 - epsilon) * gold).squeeze(1) - epsilon * x.mean(dim=-1)
    loss = (per_token * keep).sum()
    if not grad:
        return loss, None
    vocab = x.shape[1]
    onehot = torch.arange(vocab, device=x.device).unsqueeze(0) == target
    d_logits = torch.exp(x - lse) - epsilon / vocab - (1.0 - epsilon) * onehot
    return loss, (d_logits * keep.unsqueeze(1)).to(logits.dtype)


class _CompiledChunk:
    """`torch.compile(_chunk_loss_and_grad)`, falling back to the eager chunk for good (with one
    warning) if compiling fails, e.g. where the GPU build has no Triton: slower, never wrong. An
    error of the computation itself is raised again by the eager chunk."""

    def __init__(self) -> None:
        self.compiled: Any = None
        self.failed = False

    def __call__(self, *args: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.failed:
            return _eager_chunk_loss_and_grad(*args)
        if self.compiled is None:
            self.compiled = torch.compile(_chunk_loss_and_grad)
        try:
            return self.compiled(*args)
        except torch.OutOfMemoryError:
            raise
        except Exception as err:
            self.failed = True
            first_line = str(err).splitlines()[0] if str(err) else ""
            warnings.warn(
                f"linear_cross_entropy: torch.compile failed ({type(err).__name__}: "
                f"{first_line}); computing the chunks eagerly",
                RuntimeWarning,
                stacklevel=2,
            )
            return _eager_chunk_loss_and_grad(*args)


_compiled_chunk = _CompiledChunk()


def _eager_chunk_loss_and_grad(
    logits: torch.Tensor, target: torch.Tensor, keep: torch.Tensor, epsilon: float, grad: bool
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """`_chunk_loss_and_grad` for eager mode: in place, one fp32 copy of the chunk's logits."""
    x = logits.float()
    lse = torch.logsumexp(x, dim=-1)
    gold = x.gather(1, target).squeeze(1)
    per_token = lse - (1.0 - epsilon) * gold - epsilon * x.mean(dim=-1)
    loss = (per_token * keep).sum()
    if not grad:
        return loss, None
    # d per_token / d logits = softmax - (1 - eps) * onehot(gold) - eps / V
    d_logits = x.sub_(lse.unsqueeze(1)).exp_().sub_(epsilon / x.shape[1])
    d_logits.scatter_add_(1, target, torch.full_like(gold, epsilon - 1.0).unsqueeze(1))
    return loss, d_logits.mul_(keep.unsqueeze(1)).to(logits.dtype)


class _LinearCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any,
        h: torch.Tensor,
        w: torch.Tensor,
        target: torch.Tensor,
        epsilon: float,
        ignore_index: int,
        chunk: int,
        compile_chunks: bool,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        keep = target != ignore_index
        safe_target = torch.where(keep, target, torch.zeros_like(target)).unsqueeze(1)
        loss = torch.zeros((), dtype=torch.float32, device=h.device)
        grad_h = torch.empty_like(h) if need_h else None
        grad_w = torch.zeros(w.shape, dtype=torch.float32, device=w.device) if need_w else None
        loss_and_grad = _compiled_chunk if compile_chunks else _eager_chunk_loss_and_grad
        with torch.autocast(h.device.type, enabled=False):
            for start in range(0, h.shape[0], chunk):
                rows = slice(start, start + chunk)
                chunk_loss, d_logits = loss_and_grad(
                    h[rows] @ w.T, safe_target[rows], keep[rows], epsilon, need_h or need_w
                )
                loss += chunk_loss
                if d_logits is None:
                    continue
                if grad_h is not None:
                    torch.mm(d_logits, w, out=grad_h[rows])
                if grad_w is not None:
                    grad_w += d_logits.T @ h[rows]
        ctx.save_for_backward(grad_h, grad_w)
        ctx.w_dtype = w.dtype
        ctx.mark_non_differentiable(keep)
        return loss, keep.sum()

    @staticmethod
    def backward(
        ctx: Any, grad_loss: torch.Tensor, _grad_count: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, ...]:
        grad_h, grad_w = ctx.saved_tensors
        dh = grad_h * grad_loss.to(grad_h.dtype) if ctx.needs_input_grad[0] else None
        dw = (grad_w * grad_loss).to(ctx.w_dtype) if ctx.needs_input_grad[1] else None
        return dh, dw, None, None, None, None, None
