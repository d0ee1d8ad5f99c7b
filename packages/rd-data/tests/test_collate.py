"""collate_padded / PadCollator: pad each key to the batch maximum."""

from __future__ import annotations

import pickle

import pytest

from rd_data import PadCollator, collate_padded

torch = pytest.importorskip("torch")


def test_each_key_is_padded_to_its_own_maximum() -> None:
    batch = collate_padded([{"src": [5, 6, 7], "tgt": [8]}, {"src": [9], "tgt": [1, 2]}], pad_id=0)

    assert batch["src"].tolist() == [[5, 6, 7], [9, 0, 0]]
    assert batch["tgt"].tolist() == [[8, 0], [1, 2]]
    assert batch["src"].dtype == torch.long


def test_pad_to_a_multiple_of_8() -> None:
    batch = collate_padded([{"src": list(range(1, 10))}], pad_id=0, pad_to_multiple_of=8)
    assert batch["src"].shape == (1, 16)
    assert batch["src"][0, 9:].eq(0).all()


def test_per_key_pad_ids_and_scalars() -> None:
    batch = collate_padded(
        [{"labels": [1], "id": 7}, {"labels": [1, 2], "id": 8}], {"labels": -100}
    )
    assert batch["labels"].tolist() == [[1, -100], [1, 2]]
    assert batch["id"].tolist() == [7, 8]


def test_pad_collator_is_picklable_and_collates() -> None:
    collator = pickle.loads(pickle.dumps(PadCollator(pad_id=1, multiple_of=4)))
    batch = collator([{"src": [5]}, {"src": [5, 6]}])
    assert batch["src"].tolist() == [[5, 1, 1, 1], [5, 6, 1, 1]]


def test_empty_batch_is_an_error() -> None:
    with pytest.raises(ValueError):
        collate_padded([])
