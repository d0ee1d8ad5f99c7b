"""The synthetic task: reverse a sequence of random symbols. Replace it with the paper's data.

`uv run rd-download-dataset ...` and `uv run rd-link papers/resnet ...` put a real dataset at
`papers/resnet/data`; `rd_data.load_local_dataset` reads it back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from rd_data import collate_padded
from rd_training import check_positive

PAD, BOS, EOS = 0, 1, 2
FIRST_SYMBOL = 3

Example = dict[str, list[int]]


@dataclass
class TaskConfig:
    """The `task` section of the config: how much of the task to draw, and the batch size."""

    seq_len: int = 6
    """Symbols per sequence."""
    num_symbols: int = 8
    """Distinct symbols (token ids 3 and up; 0, 1, 2 are pad, bos, eos)."""
    train_size: int = 2048
    """Training sequences."""
    test_size: int = 256
    """Test sequences (drawn with another seed)."""
    batch_size: int = 64
    """Sequences per optimizer step."""

    def __post_init__(self) -> None:
        check_positive(self, "seq_len", "num_symbols", "train_size", "test_size", "batch_size")

    @property
    def vocab_size(self) -> int:
        """Token ids: pad, bos, eos, then the symbols."""
        return FIRST_SYMBOL + self.num_symbols


def make_examples(task: TaskConfig, n: int, seed: int) -> list[Example]:
    """`n` examples `{"src": symbols, "tgt": reversed symbols + [EOS]}`."""
    rng = random.Random(seed)
    examples = []
    for _ in range(n):
        src = [rng.randrange(FIRST_SYMBOL, task.vocab_size) for _ in range(task.seq_len)]
        examples.append({"src": src, "tgt": [*reversed(src), EOS]})
    return examples


def make_batches(examples: list[Example], batch_size: int) -> list[dict[str, torch.Tensor]]:
    """Padded batches of LongTensors `{"src": [B, S], "tgt": [B, T]}`."""
    return [
        collate_padded(examples[i : i + batch_size], pad_id=PAD)
        for i in range(0, len(examples), batch_size)
    ]
