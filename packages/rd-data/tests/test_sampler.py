"""TokenBudgetBatchSampler: budget counting padding, bucketing, determinism, resume, DDP."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rd_data import TokenBudgetBatchSampler

RNG = np.random.default_rng(0)
LENGTHS = RNG.integers(1, 60, size=500)
PAIRS = np.stack([LENGTHS, np.clip(LENGTHS + RNG.integers(-5, 6, size=500), 1, None)], axis=1)


def _padded_size(batch: list[int], lengths: np.ndarray) -> int:
    return len(batch) * int(np.max(lengths[batch]))


@pytest.mark.parametrize("lengths", [LENGTHS, PAIRS], ids=["one-column", "src-tgt"])
def test_every_batch_fits_the_budget_counting_padding(lengths: np.ndarray) -> None:
    sampler = TokenBudgetBatchSampler(lengths, max_tokens=256, seed=1)
    batches = list(sampler)

    assert all(_padded_size(b, lengths) <= 256 for b in batches)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert len(batches) == len(sampler)


def test_batches_hold_similar_lengths_so_little_is_padding() -> None:
    batches = list(TokenBudgetBatchSampler(LENGTHS, max_tokens=512, seed=0))
    padded = sum(_padded_size(b, LENGTHS) for b in batches)
    assert 1 - LENGTHS.sum() / padded < 0.05


def test_same_seed_and_epoch_give_the_same_batches() -> None:
    a = TokenBudgetBatchSampler(LENGTHS, max_tokens=256, seed=3)
    b = TokenBudgetBatchSampler(LENGTHS, max_tokens=256, seed=3)
    assert list(a) == list(b)
    assert list(a) == list(b)  # both advanced to epoch 1 together


def test_each_epoch_shuffles_batches_and_ties_but_keeps_the_count() -> None:
    sampler = TokenBudgetBatchSampler(LENGTHS, max_tokens=256, seed=3)
    epoch0, epoch1 = list(sampler), list(sampler)
    assert sampler.epoch == 2
    assert epoch0 != epoch1
    assert len(epoch0) == len(epoch1)
    sampler.set_epoch(0)
    assert list(sampler) == epoch0


def test_without_shuffle_batches_come_in_ascending_length() -> None:
    batches = list(TokenBudgetBatchSampler(LENGTHS, max_tokens=256, shuffle=False))
    maxima = [int(LENGTHS[b].max()) for b in batches]
    assert maxima == sorted(maxima)


def test_resume_mid_epoch_continues_exactly() -> None:
    sampler = TokenBudgetBatchSampler(PAIRS, max_tokens=200, seed=7)
    list(sampler)  # finish epoch 0
    reference = list(TokenBudgetBatchSampler(PAIRS, max_tokens=200, seed=7).batches(epoch=1))

    iterator = iter(sampler)
    seen = [next(iterator) for _ in range(5)]
    state = json.loads(json.dumps(sampler.state_dict()))  # checkpoints store it as JSON

    resumed = TokenBudgetBatchSampler(PAIRS, max_tokens=200, seed=7)
    resumed.load_state_dict(state)
    resumed.set_epoch(1)  # a trainer re-announcing the same epoch keeps the position
    rest = list(resumed)

    assert state["epoch"] == 1 and state["position"] == 5
    assert seen + rest == [b.tolist() for b in reference]
    assert resumed.epoch == 2


def test_state_from_different_settings_is_refused() -> None:
    state = TokenBudgetBatchSampler(LENGTHS, max_tokens=256).state_dict()
    with pytest.raises(ValueError, match="max_tokens"):
        TokenBudgetBatchSampler(LENGTHS, max_tokens=128).load_state_dict(state)


@pytest.mark.parametrize("world", [2, 3])
def test_ddp_ranks_get_equal_disjoint_shares(world: int) -> None:
    samplers = [
        TokenBudgetBatchSampler(LENGTHS, max_tokens=256, seed=5, num_replicas=world, rank=r)
        for r in range(world)
    ]
    shares = [list(s) for s in samplers]
    everything = list(TokenBudgetBatchSampler(LENGTHS, max_tokens=256, seed=5))

    assert len({len(share) for share in shares}) == 1
    assert all(len(share) == len(samplers[0]) for share in shares)
    flat = [tuple(b) for share in shares for b in share]
    assert {tuple(b) for b in everything} == set(flat)  # all batches, the padding repeats some
    assert len(flat) - len(everything) < world


def test_too_long_examples_are_an_error_unless_dropped() -> None:
    with pytest.raises(ValueError, match="longer than max_tokens"):
        TokenBudgetBatchSampler([3, 50, 4], max_tokens=10)
    sampler = TokenBudgetBatchSampler([3, 50, 4], max_tokens=10, drop_long=True)
    assert sorted(i for b in sampler for i in b) == [0, 2]
    assert sampler.num_dropped == 1


def test_max_batch_size_caps_examples_per_batch() -> None:
    batches = list(TokenBudgetBatchSampler([1] * 100, max_tokens=1000, max_batch_size=16))
    assert max(len(b) for b in batches) == 16


def test_works_as_a_dataloader_batch_sampler() -> None:
    torch = pytest.importorskip("torch")
    from rd_data import PadCollator

    data = [{"src": [5] * int(n), "tgt": [6] * int(n)} for n in LENGTHS[:64]]
    sampler = TokenBudgetBatchSampler(LENGTHS[:64], max_tokens=128, seed=0)
    loader = torch.utils.data.DataLoader(data, batch_sampler=sampler, collate_fn=PadCollator())

    batches = list(loader)
    assert sum(b["src"].shape[0] for b in batches) == 64
    assert all(b["src"].numel() <= 128 for b in batches)
