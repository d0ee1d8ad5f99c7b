"""Tokenise Hugging Face datasets into id columns, cached on disk, and measure their lengths.

`tokenize_dataset` runs `Dataset.map(batched=True, num_proc=...)` with an explicit cache file
whose name hashes the dataset fingerprint, the tokenizer and the options: a second run (or a
second process) loads the result instead of tokenising again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rd_data.tokenizer import BPETokenizer

if TYPE_CHECKING:
    from datasets import Dataset, DatasetDict

__all__ = ["dataset_texts", "example_lengths", "tokenize_dataset"]


def _get(row_or_batch: Mapping[str, Any], path: str) -> Any:
    """`batch["translation"]` for "translation", then `[t["de"] for t in ...]` for "translation.de"."""
    head, _, rest = path.partition(".")
    value = row_or_batch[head]
    for key in rest.split(".") if rest else []:
        value = [v[key] for v in value]
    return value


class _Encode:
    """Picklable batch function for `Dataset.map` (sent to worker processes with num_proc > 1)."""

    def __init__(
        self, tokenizer: BPETokenizer, columns: Mapping[str, str], add_bos: bool, add_eos: bool
    ) -> None:
        self.tokenizer_json = tokenizer.tokenizer.to_str()
        self.columns = dict(columns)
        self.add_bos, self.add_eos = add_bos, add_eos
        self._tokenizer: BPETokenizer | None = tokenizer

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_tokenizer": None}

    def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[list[int]]]:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            self._tokenizer = BPETokenizer(Tokenizer.from_str(self.tokenizer_json))
        return {
            out: self._tokenizer.encode_batch(_get(batch, src), self.add_bos, self.add_eos)
            for out, src in self.columns.items()
        }


def tokenize_dataset(
    dataset: Dataset | DatasetDict,
    tokenizer: BPETokenizer,
    columns: Mapping[str, str],
    *,
    num_proc: int | None = None,
    batch_size: int = 1000,
    add_bos: bool = False,
    add_eos: bool = True,
    cache_dir: str | Path | None = None,
) -> Dataset | DatasetDict:
    """Replace text columns by token-id columns with `.map(batched=True, num_proc=...)`.

    Args:
        dataset: A `Dataset` or `DatasetDict` (every split is tokenised).
        tokenizer: The tokenizer.
        columns: Output column -> input column; a dotted input reaches into dicts, e.g.
            `{"src": "translation.en", "tgt": "translation.de"}`.
        num_proc: Worker processes for `map` (None: this process only).
        batch_size: Rows per `map` batch.
        add_bos: Start every sequence with `<s>`.
        add_eos: End every sequence with `</s>`.
        cache_dir: Folder for the cached result; default: next to the dataset's own arrow
            files (for a dataset loaded from disk). With neither, nothing is cached.

    Returns:
        The same kind of object holding only the output columns (lists of ints).
    """
    encode = _Encode(tokenizer, columns, add_bos, add_eos)
    from datasets import DatasetDict

    if isinstance(dataset, DatasetDict):
        return DatasetDict(
            {
                name: _tokenize_split(split, encode, num_proc, batch_size, cache_dir)
                for name, split in dataset.items()
            }
        )
    return _tokenize_split(dataset, encode, num_proc, batch_size, cache_dir)


def _tokenize_split(
    dataset: Dataset, encode: _Encode, num_proc: int | None, batch_size: int, cache_dir: Any
) -> Dataset:
    key = json.dumps(
        [
            dataset._fingerprint,
            encode.tokenizer_json,
            encode.columns,
            encode.add_bos,
            encode.add_eos,
        ],
        sort_keys=True,
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    cache_file = None
    if cache_dir is None and dataset.cache_files:
        cache_dir = Path(dataset.cache_files[0]["filename"]).parent
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        cache_file = str(Path(cache_dir) / f"tokenized-{digest}.arrow")
    return dataset.map(
        encode,
        batched=True,
        batch_size=batch_size,
        num_proc=num_proc,
        remove_columns=dataset.column_names,
        cache_file_name=cache_file,
        new_fingerprint=digest,
        desc="Tokenising",
    )


def dataset_texts(
    dataset: Dataset, columns: Sequence[str], batch_size: int = 1000
) -> Iterator[str]:
    """Yield the texts of `columns` (dotted paths allowed), e.g. to train one shared BPE vocab.

    Example:
        >>> texts = dataset_texts(ds["train"], ["translation.en", "translation.de"])
        >>> tok = BPETokenizer.train(texts, vocab_size=37000)
    """
    heads = sorted({c.partition(".")[0] for c in columns})
    for start in range(0, len(dataset), batch_size):
        batch = dataset.select_columns(heads)[start : start + batch_size]
        for column in columns:
            yield from _get(batch, column)


def example_lengths(dataset: Dataset, columns: Sequence[str] = ("src", "tgt")) -> np.ndarray:
    """Token counts per example: shape `[N]` for one column, `[N, len(columns)]` for several.

    Feed the result to `TokenBudgetBatchSampler` (it budgets by the longest column of each row).
    Computed from the Arrow list offsets, without reading the ids into Python.
    """
    table = dataset.with_format("arrow")[:]  # a pyarrow.Table (memory-mapped, no copy)
    arrays = [
        np.concatenate(
            [np.zeros(0, np.int64)]
            + [
                chunk.value_lengths().to_numpy(zero_copy_only=False).astype(np.int64)
                for chunk in table.column(c).chunks
            ]
        )
        for c in columns
    ]
    return arrays[0] if len(arrays) == 1 else np.stack(arrays, axis=1)
