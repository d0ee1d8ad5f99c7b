"""The embedded default task: translate German number words into English number words.

Numbers are drawn without replacement from a seeded RNG, so train, valid and test hold disjoint
numbers. German writes numbers below a million as one compound ("achthundertfünfundachtzigtausend")
and puts units before tens ("fünfundachtzig" -> "eighty-five"), so a model has to learn subword
segmentation and local reordering, as in real translation, yet the task fits in a laptop minute.
"""

from __future__ import annotations

import random

from num2words import num2words

MAX_NUMBER = 1_000_000
"""Numbers are drawn from [0, MAX_NUMBER)."""


def number_pair(n: int) -> dict[str, str]:
    """The German source and English target for one number."""
    return {"de": num2words(n, lang="de"), "en": num2words(n, lang="en")}


def generate_splits(sizes: dict[str, int], seed: int = 0) -> dict[str, list[dict[str, object]]]:
    """Draw disjoint numbers for each split and write them out in both languages.

    Args:
        sizes: examples per split, e.g. `{"train": 50_000, "validation": 1_000, "test": 1_000}`.
        seed: seed of the number draw; the same seed gives the same splits.

    Returns:
        Split name -> list of `{"number", "de", "en"}` rows.

    Raises:
        ValueError: more examples asked for than there are numbers.
    """
    total = sum(sizes.values())
    if total > MAX_NUMBER:
        raise ValueError(f"data sizes ask for {total} numbers but only {MAX_NUMBER} exist")
    numbers = random.Random(seed).sample(range(MAX_NUMBER), total)
    splits: dict[str, list[dict[str, object]]] = {}
    start = 0
    for name, size in sizes.items():
        splits[name] = [{"number": n, **number_pair(n)} for n in numbers[start : start + size]]
        start += size
    return splits
