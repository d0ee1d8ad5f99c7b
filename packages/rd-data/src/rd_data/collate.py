"""Pad a list of examples into a batch of LongTensors (the only module that needs torch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["PadCollator", "collate_padded"]


def collate_padded(
    examples: Sequence[Mapping[str, Any]],
    pad_id: int | Mapping[str, int] = 0,
    pad_to_multiple_of: int | None = None,
) -> dict[str, torch.Tensor]:
    """Pad every key to the longest sequence of the batch and stack into `[B, T]` LongTensors.

    Args:
        examples: Dicts of token-id sequences (lists, numpy arrays or tensors); scalar values
            (e.g. an example id) are stacked into a `[B]` tensor.
        pad_id: Padding id, or one per key (e.g. `{"labels": -100}`; missing keys use 0).
        pad_to_multiple_of: Round the padded length up to a multiple of this (8 helps tensor cores).

    Returns:
        `{key: LongTensor[B, T_key]}` with the same keys as the examples.

    Raises:
        ValueError: No examples.
    """
    import torch

    if not examples:
        raise ValueError("cannot collate an empty batch")
    batch: dict[str, torch.Tensor] = {}
    for key in examples[0]:
        values = [example[key] for example in examples]
        if np.ndim(values[0]) == 0:
            batch[key] = torch.as_tensor(np.asarray(values, dtype=np.int64))
            continue
        pad = pad_id.get(key, 0) if isinstance(pad_id, Mapping) else pad_id
        longest = max(len(v) for v in values)
        if pad_to_multiple_of:
            longest = -(-longest // pad_to_multiple_of) * pad_to_multiple_of
        out = np.full((len(values), longest), pad, dtype=np.int64)
        for row, value in enumerate(values):
            out[row, : len(value)] = np.asarray(value)
        batch[key] = torch.from_numpy(out)
    return batch


@dataclass(frozen=True)
class PadCollator:
    """Picklable `collate_fn` for a DataLoader (also with worker processes).

    Example:
        >>> loader = DataLoader(ds, batch_sampler=sampler, collate_fn=PadCollator(pad_id=0, multiple_of=8))
    """

    pad_id: int = 0
    """Padding id for every key."""
    multiple_of: int | None = None
    """Round padded lengths up to a multiple of this (None: the batch maximum)."""

    def __call__(self, examples: Sequence[Mapping[str, Any]]) -> dict[str, torch.Tensor]:
        return collate_padded(examples, self.pad_id, self.multiple_of)
