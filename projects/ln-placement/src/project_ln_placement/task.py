"""The synthetic task: reverse a random sequence of symbols (generated in memory, no download).

Reversal is a small seq2seq problem a 2-layer Transformer solves in a few hundred steps on a CPU,
and it needs attention to look far away (the first output token is the last input token), so
it shows optimisation differences rather than capacity differences.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rd_training import check_positive

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3


@dataclass
class ReversalTask:
    """Random sequences of `num_symbols` symbols, `min_len`..`max_len` long; target = reversed.

    Raises:
        ValueError: a size below 1, or `min_len` above `max_len`.
    """

    num_symbols: int = 10
    """Distinct symbols (ids 3 .. 3 + num_symbols - 1; 0-2 are pad, bos, eos)."""
    min_len: int = 4
    """Shortest source sequence."""
    max_len: int = 12
    """Longest source sequence."""

    def __post_init__(self) -> None:
        check_positive(self, "num_symbols", "min_len", "max_len")
        if self.min_len > self.max_len:
            name = type(self).__name__
            raise ValueError(
                f"{name}.min_len ({self.min_len}) must be <= {name}.max_len ({self.max_len})"
            )

    @property
    def vocab_size(self) -> int:
        return FIRST_SYMBOL + self.num_symbols

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """`n` examples as padded `(src [n, max_len], tgt [n, max_len + 1])`; tgt ends with EOS."""
        lengths = torch.randint(self.min_len, self.max_len + 1, (n,), generator=generator)
        symbols = torch.randint(
            FIRST_SYMBOL, self.vocab_size, (n, self.max_len), generator=generator
        )
        src = torch.full((n, self.max_len), PAD, dtype=torch.long)
        tgt = torch.full((n, self.max_len + 1), PAD, dtype=torch.long)
        for i, length in enumerate(lengths.tolist()):
            src[i, :length] = symbols[i, :length]
            tgt[i, :length] = symbols[i, :length].flip(0)
            tgt[i, length] = EOS
        return src, tgt

    def batches(
        self, num_batches: int, batch_size: int, seed: int
    ) -> list[dict[str, torch.Tensor]]:
        """A fixed list of `num_batches` batches `{"src", "tgt"}` drawn with `seed`."""
        generator = torch.Generator().manual_seed(seed)
        out = []
        for _ in range(num_batches):
            src, tgt = self.sample(batch_size, generator)
            out.append({"src": src, "tgt": tgt})
        return out
