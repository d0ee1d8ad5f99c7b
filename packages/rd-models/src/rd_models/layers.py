"""Encoder and decoder layers: attention and feed-forward sub-layers with residuals and LayerNorm.

Post-LN (the paper): ``x = LayerNorm(x + Dropout(Sublayer(x)))``.
Pre-LN (``norm_first=True``): ``x = x + Dropout(Sublayer(LayerNorm(x)))``; trains more stably
without warm-up and needs a final LayerNorm after the stack (the Transformer adds it).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from rd_models.attention import KVCache, MultiHeadAttention
from rd_models.feed_forward import PositionWiseFeedForward


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each wrapped in residual + LayerNorm.

    Args:
        d_model: Model width.
        n_heads: Attention heads.
        d_ff: Feed-forward hidden width.
        dropout: Residual dropout on each sub-layer output.
        attention_dropout: Dropout on attention probabilities.
        activation_dropout: Dropout after the feed-forward ReLU.
        norm_first: Pre-LN instead of the paper's post-LN.
        layer_norm_eps: LayerNorm epsilon.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        activation_dropout: float = 0.0,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.ff = PositionWiseFeedForward(d_model, d_ff, activation_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = dropout
        self.norm_first = norm_first

    def forward(
        self, x: Tensor, key_padding_mask: Tensor | None = None, need_weights: bool = False
    ) -> tuple[Tensor, Tensor | None]:
        """Map ``[B, S, d_model]`` to the same shape; also return the attention weights if asked."""
        drop = self.dropout if self.training else 0.0
        if self.norm_first:
            h, w = self.self_attn(
                self.norm1(x), key_padding_mask=key_padding_mask, need_weights=need_weights
            )
            x = x + F.dropout(h, drop, self.training)
            x = x + F.dropout(self.ff(self.norm2(x)), drop, self.training)
        else:
            h, w = self.self_attn(x, key_padding_mask=key_padding_mask, need_weights=need_weights)
            x = self.norm1(x + F.dropout(h, drop, self.training))
            x = self.norm2(x + F.dropout(self.ff(x), drop, self.training))
        return x, w


class DecoderLayer(nn.Module):
    """Causal self-attention, cross-attention to the encoder output, then feed-forward.

    Target padding needs no mask in the self-attention: padding is at the end, so a real token,
    which only sees earlier positions, never sees it (outputs at padded positions are ignored).

    Args: as :class:`EncoderLayer`.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float = 0.1,
        attention_dropout: float = 0.0,
        activation_dropout: float = 0.0,
        norm_first: bool = False,
        layer_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.cross_attn = MultiHeadAttention(d_model, n_heads, attention_dropout)
        self.ff = PositionWiseFeedForward(d_model, d_ff, activation_dropout)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm3 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout = dropout
        self.norm_first = norm_first

    def forward(
        self,
        x: Tensor,
        memory: Tensor,
        memory_key_padding_mask: Tensor | None = None,
        cache: dict[str, KVCache] | None = None,
        need_weights: bool = False,
    ) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """Map ``[B, T, d_model]`` to the same shape.

        Args:
            x: Target states ``[B, T, d_model]`` (only the new positions when ``cache`` is given).
            memory: Encoder output ``[B, S, d_model]``.
            memory_key_padding_mask: ``[B, S]``, True at source padding.
            cache: ``{"self": {...}, "cross": {...}}`` key/value caches, filled in place.
            need_weights: Also return self- and cross-attention weights.

        Returns:
            ``(x, self_attention_weights, cross_attention_weights)``; weights are None unless
            ``need_weights``.
        """
        drop = self.dropout if self.training else 0.0
        self_cache = None if cache is None else cache.setdefault("self", {})
        cross_cache = None if cache is None else cache.setdefault("cross", {})

        def self_block(h: Tensor) -> tuple[Tensor, Tensor | None]:
            return self.self_attn(h, is_causal=True, need_weights=need_weights, cache=self_cache)

        def cross_block(h: Tensor) -> tuple[Tensor, Tensor | None]:
            return self.cross_attn(
                h,
                memory,
                key_padding_mask=memory_key_padding_mask,
                need_weights=need_weights,
                cache=cross_cache,
            )

        if self.norm_first:
            h, w_self = self_block(self.norm1(x))
            x = x + F.dropout(h, drop, self.training)
            h, w_cross = cross_block(self.norm2(x))
            x = x + F.dropout(h, drop, self.training)
            x = x + F.dropout(self.ff(self.norm3(x)), drop, self.training)
        else:
            h, w_self = self_block(x)
            x = self.norm1(x + F.dropout(h, drop, self.training))
            h, w_cross = cross_block(x)
            x = self.norm2(x + F.dropout(h, drop, self.training))
            x = self.norm3(x + F.dropout(self.ff(x), drop, self.training))
        return x, w_self, w_cross
