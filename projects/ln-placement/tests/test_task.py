"""The reversal task: targets are the reversed sources followed by EOS, padding is PAD."""

from __future__ import annotations

import pytest
import torch
from project_ln_placement.task import EOS, PAD, ReversalTask


def test_target_is_the_reversed_source_then_eos() -> None:
    task = ReversalTask(num_symbols=5, min_len=2, max_len=6)
    src, tgt = task.sample(32, torch.Generator().manual_seed(0))
    assert src.shape == (32, 6) and tgt.shape == (32, 7)
    for s, t in zip(src.tolist(), tgt.tolist(), strict=True):
        symbols = [x for x in s if x != PAD]
        assert 2 <= len(symbols) <= 6
        assert t[: len(symbols) + 1] == [*reversed(symbols), EOS]
        assert all(x == PAD for x in t[len(symbols) + 1 :])
        assert all(3 <= x < task.vocab_size for x in symbols)


def test_batches_depend_only_on_the_seed() -> None:
    task = ReversalTask()
    a, b = task.batches(2, 4, seed=7), task.batches(2, 4, seed=7)
    assert all(torch.equal(x["src"], y["src"]) for x, y in zip(a, b, strict=True))
    assert not torch.equal(a[0]["src"], task.batches(1, 4, seed=8)[0]["src"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_symbols": 0}, "num_symbols must be a positive integer"),
        ({"min_len": 0}, "min_len must be a positive integer"),
        (
            {"min_len": 5, "max_len": 4},
            r"ReversalTask.min_len \(5\) must be <= ReversalTask.max_len \(4\)",
        ),
    ],
)
def test_bad_task_sizes_raise(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReversalTask(**kwargs)
