"""Label-smoothed cross-entropy, summed over target tokens (the paper uses epsilon = 0.1)."""

from __future__ import annotations

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
