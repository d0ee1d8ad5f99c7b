"""tokenize_dataset (batched map, worker processes, cached on disk) and example_lengths."""

from __future__ import annotations

import numpy as np
import pytest

from rd_data import BPETokenizer, dataset_texts, example_lengths, tokenize_dataset

datasets = pytest.importorskip("datasets")

PAIRS = {
    "translation": [
        {"en": "the house", "de": "das Haus"},
        {"en": "the small house is old", "de": "das kleine Haus ist alt"},
        {"en": "one", "de": "eins"},
        {"en": "two three", "de": "zwei drei"},
    ]
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A DatasetDict saved to disk and loaded back (so it has arrow files to cache next to)."""
    folder = tmp_path_factory.mktemp("ds") / "pairs"
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(PAIRS)}).save_to_disk(str(folder))
    ds = datasets.load_from_disk(str(folder))
    tok = BPETokenizer.train(dataset_texts(ds["train"], ["translation.en", "translation.de"]), 80)
    return folder, ds, tok


COLUMNS = {"src": "translation.en", "tgt": "translation.de"}


def test_dataset_texts_yields_both_sides(saved) -> None:
    _, ds, _ = saved
    texts = list(dataset_texts(ds["train"], ["translation.en", "translation.de"]))
    assert "the house" in texts and "das Haus" in texts and len(texts) == 8


def test_tokenize_dataset_replaces_text_by_ids(saved) -> None:
    folder, ds, tok = saved
    out = tokenize_dataset(ds, tok, COLUMNS, num_proc=2, batch_size=2)

    assert out["train"].column_names == ["src", "tgt"]
    assert out["train"][0]["src"] == tok.encode("the house")
    assert tok.decode(out["train"][1]["tgt"]) == "das kleine Haus ist alt"
    assert list(folder.glob("train/tokenized-*.arrow"))  # cached next to the data


def test_tokenize_dataset_reuses_its_cache(saved) -> None:
    _, ds, tok = saved
    first = tokenize_dataset(ds["train"], tok, COLUMNS)
    second = tokenize_dataset(ds["train"], tok, COLUMNS)

    assert second.cache_files == first.cache_files
    assert second._fingerprint == first._fingerprint


def test_example_lengths_per_column(saved) -> None:
    _, ds, tok = saved
    out = tokenize_dataset(ds["train"], tok, COLUMNS)
    lengths = example_lengths(out, ("src", "tgt"))

    assert lengths.shape == (4, 2)
    assert lengths[2].tolist() == [len(tok.encode("one")), len(tok.encode("eins"))]
    np.testing.assert_array_equal(example_lengths(out, ("src",)), lengths[:, 0])
