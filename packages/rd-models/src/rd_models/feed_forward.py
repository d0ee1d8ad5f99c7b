"""Position-wise feed-forward network (Vaswani et al., 2017, section 3.3)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class PositionWiseFeedForward(nn.Module):
    """``FFN(x) = max(0, x W1 + b1) W2 + b2``, applied to every position independently.

    Args:
        d_model: Input and output width.
        d_ff: Hidden width.
        activation_dropout: Dropout after the ReLU (the paper has none; torch.nn.Transformer does).
    """

    def __init__(self, d_model: int, d_ff: int, activation_dropout: float = 0.0) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.activation_dropout = activation_dropout
        nn.init.xavier_uniform_(self.linear1.weight)
        nn.init.xavier_uniform_(self.linear2.weight)
        nn.init.zeros_(self.linear1.bias)
        nn.init.zeros_(self.linear2.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``[..., d_model]`` to ``[..., d_model]``."""
        h = F.relu(self.linear1(x))
        if self.activation_dropout > 0.0:
            h = F.dropout(h, self.activation_dropout, self.training)
        return self.linear2(h)
