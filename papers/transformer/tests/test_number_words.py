"""The embedded task: German number words to English number words, disjoint seeded splits."""

from paper_transformer.number_words import generate_splits, number_pair


def test_pairs_are_german_compounds_and_english_words() -> None:
    assert number_pair(85) == {"de": "fünfundachtzig", "en": "eighty-five"}
    assert number_pair(885_000)["de"] == "achthundertfünfundachtzigtausend"


def test_splits_are_disjoint_sized_and_reproducible() -> None:
    sizes = {"train": 300, "validation": 50, "test": 50}
    splits = generate_splits(sizes, seed=3)
    assert {k: len(v) for k, v in splits.items()} == sizes
    numbers = [{row["number"] for row in rows} for rows in splits.values()]
    assert sum(map(len, numbers)) == len(set().union(*numbers)) == 400
    assert generate_splits(sizes, seed=3) == splits
    assert generate_splits(sizes, seed=4) != splits
