"""Positional encodings: the paper's sinusoids (section 3.5) or learned position embeddings."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class PositionalEncoding(nn.Module):
    """Adds a position signal to token embeddings ``[B, T, d_model]``.

    Sinusoidal (the paper): ``PE[pos, 2i] = sin(pos / 10000^(2i/d))``,
    ``PE[pos, 2i+1] = cos(pos / 10000^(2i/d))``. The table is a non-persistent buffer (it is not
    saved with the weights) and grows on demand past ``max_len``. Learned: an ``nn.Embedding`` of
    ``max_len`` positions, for which ``max_len`` is a hard limit.

    Args:
        d_model: Embedding width (even for sinusoids).
        max_len: Positions prepared up front (learned: the maximum).
        learned: Use learned position embeddings instead of sinusoids.

    Raises:
        ValueError: If ``d_model`` is odd for sinusoids or ``max_len`` is not positive.
    """

    pe: Tensor

    def __init__(self, d_model: int, max_len: int = 1024, learned: bool = False) -> None:
        super().__init__()
        if max_len <= 0:
            raise ValueError(f"max_len must be positive, got {max_len}")
        if not learned and d_model % 2 != 0:
            raise ValueError(f"d_model must be even for sinusoidal positions, got {d_model}")
        self.d_model = d_model
        self.max_len = max_len
        self.learned = learned
        if learned:
            self.embedding: nn.Embedding | None = nn.Embedding(max_len, d_model)
            nn.init.normal_(self.embedding.weight, std=d_model**-0.5)
            self.register_buffer("pe", torch.empty(0), persistent=False)
        else:
            self.embedding = None
            self.register_buffer("pe", sinusoids(max_len, d_model), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """Return ``x + PE[offset : offset + T]``.

        Args:
            x: ``[B, T, d_model]`` embeddings.
            offset: Position of the first element (the cache length in incremental decoding).

        Raises:
            ValueError: If learned positions run past ``max_len``.
        """
        end = offset + x.shape[1]
        if self.embedding is not None:
            if end > self.max_len:
                raise ValueError(f"position {end - 1} exceeds max_len={self.max_len}")
            positions = torch.arange(offset, end, device=x.device)
            return x + self.embedding(positions).to(x.dtype)
        if end > self.pe.shape[0]:
            self.pe = sinusoids(max(end, 2 * self.pe.shape[0]), self.d_model).to(self.pe.device)
        return x + self.pe[offset:end].to(x.dtype)


def sinusoids(length: int, d_model: int) -> Tensor:
    """The ``[length, d_model]`` sinusoidal position table of Vaswani et al. (2017)."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    inv_freq = torch.exp(
        torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
    )
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * inv_freq)
    table[:, 1::2] = torch.cos(position * inv_freq)
    return table
