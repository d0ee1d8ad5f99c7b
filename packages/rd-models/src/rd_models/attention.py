"""Multi-head scaled dot-product attention (Vaswani et al., 2017, section 3.2)."""

from __future__ import annotations

import math
from contextlib import nullcontext

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# A per-layer key/value cache: {"k": [B, H, T, d_head], "v": [B, H, T, d_head]}.
KVCache = dict[str, Tensor]


class MultiHeadAttention(nn.Module):
    """Multi-head attention for self- and cross-attention, on ``F.scaled_dot_product_attention``.

    The query/key/value projections are one packed ``[3 * d_model, d_model]`` matrix (the layout
    of ``torch.nn.MultiheadAttention``): self-attention projects with a single matmul, cross-
    attention uses its first third for the queries and the rest for keys and values in one matmul.

    Masks use PyTorch's convention: ``key_padding_mask`` is ``[B, S]`` with True at padding.

    Args:
        d_model: Model width.
        n_heads: Number of heads; must divide ``d_model``.
        dropout: Dropout on the attention probabilities (training only).
        bias: Whether the projections have biases.

    Raises:
        ValueError: If ``d_model`` is not divisible by ``n_heads``.
    """

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, bias: bool = True) -> None:
        super().__init__()
        if n_heads <= 0 or d_model % n_heads != 0:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.d_model = d_model
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.dropout = dropout
        self.in_proj_weight = nn.Parameter(torch.empty(3 * d_model, d_model))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * d_model)) if bias else None
        self.out_proj = nn.Linear(d_model, d_model, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform weights and zero biases (as ``torch.nn.MultiheadAttention``)."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.xavier_uniform_(self.out_proj.weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
        if self.out_proj.bias is not None:
            nn.init.zeros_(self.out_proj.bias)

    def _split_heads(self, x: Tensor, n: int) -> tuple[Tensor, ...]:
        # [B, T, n * d_model] -> n tensors [B, H, T, d_head] (views; SDPA accepts the strides).
        b, t, _ = x.shape
        x = x.view(b, t, n, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        return x.unbind(0)

    def forward(
        self,
        query: Tensor,
        memory: Tensor | None = None,
        *,
        key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
        need_weights: bool = False,
        cache: KVCache | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to itself (``memory=None``) or to ``memory``.

        Args:
            query: ``[B, T, d_model]``.
            memory: ``[B, S, d_model]`` for cross-attention; None for self-attention.
            key_padding_mask: ``[B, S]`` bool, True where the key is padding.
            is_causal: Position t attends only to keys <= t. With a cache the new queries are the
                last ones, so the mask is aligned to the bottom right.
            need_weights: Also return the attention probabilities ``[B, H, T, S]`` (computed
                explicitly instead of by the fused kernel).
            cache: A dict filled in place for incremental decoding: self-attention appends the new
                keys/values, cross-attention computes them from ``memory`` once and reuses them.

        Returns:
            ``(output [B, T, d_model], weights or None)``.
        """
        # Under CPU autocast the projections run in bf16/fp16 but attention itself in fp32: the
        # CPU flash kernel is slower in bf16 than in fp32 at these sizes.
        fp32_attention = query.device.type == "cpu" and torch.is_autocast_enabled("cpu")
        q, k, v = self._project(query, memory, cache, fp32_attention)
        mask = _build_mask(key_padding_mask, is_causal, q.shape[2], k.shape[2], q.device)
        # SDPA's own causal mask is aligned to the top left; it is right only without a cache.
        causal_in_kernel = is_causal and mask is None and q.shape[2] == k.shape[2]
        with torch.autocast("cpu", enabled=False) if fp32_attention else nullcontext():
            out, weights = self._attend(q, k, v, mask, causal_in_kernel, need_weights)
        b, h, t, dh = out.shape
        out = out.transpose(1, 2).reshape(b, t, h * dh)
        return self.out_proj(out), weights

    def _project(
        self, query: Tensor, memory: Tensor | None, cache: KVCache | None, to_fp32: bool
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Queries, keys and values ``[B, H, T, d_head]``, with the cache read and updated."""
        w, b, d = self.in_proj_weight, self.in_proj_bias, self.d_model

        def project(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
            out = F.linear(x, w, b)  # one cast of each packed projection, not one per head
            return out.float() if to_fp32 else out

        if memory is None:
            q, k, v = self._split_heads(project(query, w, b), 3)
            if cache is not None:
                if "k" in cache:
                    k = torch.cat([cache["k"], k], dim=2)
                    v = torch.cat([cache["v"], v], dim=2)
                cache["k"], cache["v"] = k, v
            return q, k, v
        (q,) = self._split_heads(project(query, w[:d], None if b is None else b[:d]), 1)
        if cache is not None and "k" in cache:
            return q, cache["k"], cache["v"]
        k, v = self._split_heads(project(memory, w[d:], None if b is None else b[d:]), 2)
        if cache is not None:
            cache["k"], cache["v"] = k, v
        return q, k, v

    def _attend(
        self,
        q: Tensor,
        k: Tensor,
        v: Tensor,
        mask: Tensor | None,
        causal_in_kernel: bool,
        need_weights: bool,
    ) -> tuple[Tensor, Tensor | None]:
        """Fused SDPA, or the explicit product when the probabilities are asked for."""
        dropout_p = self.dropout if self.training else 0.0
        if not need_weights:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=dropout_p, is_causal=causal_in_kernel
            )
            return out, None
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(self.d_head)
        if causal_in_kernel:
            mask = _causal_mask(q.shape[2], k.shape[2], q.device)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = scores.softmax(dim=-1)
        return F.dropout(weights, dropout_p, self.training) @ v, weights


def _build_mask(
    key_padding_mask: Tensor | None, is_causal: bool, t_q: int, t_k: int, device: torch.device
) -> Tensor | None:
    """A bool mask for SDPA (True = may attend), broadcastable to ``[B, H, T_q, T_k]``, or None."""
    mask = None
    if key_padding_mask is not None:
        mask = ~key_padding_mask[:, None, None, :]
    # A causal mask is needed explicitly only when it cannot be left to the kernel: with padding,
    # or when the queries are the last t_q of t_k positions (incremental decoding). A single new
    # query may see every cached key, so it needs none.
    if is_causal and t_q > 1 and (mask is not None or t_q != t_k):
        causal = _causal_mask(t_q, t_k, device)
        mask = causal if mask is None else mask & causal
    return mask


def _causal_mask(t_q: int, t_k: int, device: torch.device) -> Tensor:
    """``[T_q, T_k]`` bool, True where query i (the last T_q of T_k positions) may attend."""
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril(t_k - t_q)
