"""Data for the paper: the dataset on disk, the shared BPE vocabulary and token-budget batches.

Every dataset has a `translation` column of `{source_lang: ..., target_lang: ...}` dicts, the
format of the Hub's WMT datasets, so the generated number-words task and WMT14 go through the
same code.
"""

from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict, load_from_disk
from torch.utils.data import DataLoader

from paper_transformer.config import DataConfig
from paper_transformer.errors import UserError
from paper_transformer.number_words import generate_splits
from rd_data import (
    BPETokenizer,
    PadCollator,
    TokenBudgetBatchSampler,
    dataset_dir,
    dataset_texts,
    example_lengths,
    load_local_dataset,
    save_dataset,
    tokenize_dataset,
)

NUMBER_WORDS = "number_words"


def number_words_dir(cfg: DataConfig) -> Path:
    """`assets/datasets/number_words/<sizes>-seed<seed>`: one folder per generated variant."""
    variant = f"{cfg.train_size}-{cfg.valid_size}-{cfg.test_size}-seed{cfg.seed}"
    return dataset_dir(NUMBER_WORDS, variant)


def materialise_number_words(cfg: DataConfig) -> Path:
    """Generate the number-words dataset once and save it; later calls return the saved folder.

    `rd_data.save_dataset` writes it beside the target and renames it into place when complete,
    so an interrupted run leaves nothing half-written in assets/.
    """
    target = number_words_dir(cfg)
    if (target / "dataset_dict.json").is_file():
        return target
    # Always these split names (the folder is shared by every config with the same sizes);
    # data.valid_split / data.test_split choose among them.
    sizes = {"train": cfg.train_size, "validation": cfg.valid_size, "test": cfg.test_size}
    print(
        f"generating the number-words task ({sum(sizes.values()):,} pairs) into {target}",
        file=sys.stderr,
        flush=True,
    )
    rows = generate_splits(sizes, seed=cfg.seed)
    splits = DatasetDict(
        {
            name: Dataset.from_dict(
                {
                    "number": [r["number"] for r in split],
                    "translation": [{"de": r["de"], "en": r["en"]} for r in split],
                }
            )
            for name, split in rows.items()
        }
    )
    return save_dataset(splits, target)


def load_splits(cfg: DataConfig) -> DatasetDict:
    """The raw dataset with its train, validation and test splits (no network).

    Raises:
        rd_data.AssetNotFoundError: a Hub dataset has not been downloaded yet (the message says how).
        UserError: the dataset lacks a configured split (and no fraction to cut it) or language.
    """
    dataset = _load_dataset(cfg)
    _check_languages(dataset, cfg)
    for key, split in (("valid", cfg.valid_split), ("test", cfg.test_split)):
        fraction = getattr(cfg, f"{key}_fraction")
        if split in dataset:
            continue
        if fraction is None:
            raise UserError(
                f"data.{key}_split: dataset {cfg.dataset!r} has no split {split!r} "
                f"(it has: {', '.join(dataset)}); or set data.{key}_fraction to cut it from train"
            )
        dataset = hold_out(dataset, split, fraction, cfg)
    if cfg.max_train_examples is not None:
        n = min(cfg.max_train_examples, len(dataset["train"]))
        dataset["train"] = dataset["train"].select(range(n))
    return dataset


def _load_dataset(cfg: DataConfig) -> DatasetDict:
    """number_words, a folder path, or a dataset name under assets/datasets/."""
    if cfg.dataset == NUMBER_WORDS:
        materialise_number_words(cfg)
        dataset = load_local_dataset(NUMBER_WORDS, number_words_dir(cfg).name)
    elif cfg.dataset.startswith(("/", ".", "~")):
        folder = Path(cfg.dataset).expanduser()
        if not ((folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file()):
            raise UserError(f"data.dataset: {folder} is not a folder saved by datasets")
        dataset = load_from_disk(str(folder))
    else:
        dataset = load_local_dataset(cfg.dataset, cfg.config)
    if isinstance(dataset, Dataset):
        dataset = DatasetDict({"train": dataset})
    if "train" not in dataset:
        raise UserError(
            f"data.dataset {cfg.dataset!r} has no train split (it has: {', '.join(dataset)})"
        )
    return dataset


def hold_out(dataset: DatasetDict, split: str, fraction: float, cfg: DataConfig) -> DatasetDict:
    """Cut `split` from train: `fraction` of its distinct sources, one pair each, chosen by
    `cfg.seed`; every training pair with a held-out source leaves train, so none is seen."""
    train = dataset["train"]
    sources = [pair[cfg.source_lang] for pair in train["translation"]]
    first: dict[str, int] = {}
    for index, source in enumerate(sources):
        first.setdefault(source, index)
    count = max(1, round(fraction * len(first)))
    if count >= len(first):
        raise UserError(
            f"data: {fraction} of {len(first)} distinct sources leaves no training data"
        )
    order = random.Random(f"{cfg.seed}-{split}").sample(sorted(first.values()), count)
    held = {sources[i] for i in order}
    kept = [i for i, source in enumerate(sources) if source not in held]
    print(
        f"data: {count:,} {split} pairs held out of {len(train):,} training pairs "
        f"({fraction:g} of {len(first):,} distinct sources, seed {cfg.seed}); "
        f"{len(train) - len(kept) - count:,} more pairs with those sources left train",
        file=sys.stderr,
        flush=True,
    )
    return DatasetDict({**dataset, "train": train.select(kept), split: train.select(sorted(order))})


def _check_languages(dataset: DatasetDict, cfg: DataConfig) -> None:
    languages = _languages(dataset["train"].features.get("translation"))
    for key in ("source_lang", "target_lang"):
        lang = getattr(cfg, key)
        if languages is not None and lang not in languages:
            raise UserError(
                f"data.{key}: dataset {cfg.dataset!r} has no language {lang!r} "
                f"(it has: {', '.join(languages)})"
            )


def _languages(feature: Any) -> list[str] | None:
    """The languages of a `translation` column (a dict of strings, or `datasets.Translation`)."""
    if isinstance(feature, dict):
        return list(feature)
    languages = getattr(feature, "languages", None)
    return list(languages) if languages is not None else None


def train_tokenizer(dataset: DatasetDict, cfg: DataConfig) -> BPETokenizer:
    """One BPE vocabulary shared by source and target, learned on the training split (the paper)."""
    columns = [f"translation.{cfg.source_lang}", f"translation.{cfg.target_lang}"]
    return BPETokenizer.train(dataset_texts(dataset["train"], columns), cfg.vocab_size)


@dataclass
class Batches:
    """Tokenised splits and the training loader."""

    tokenized: DatasetDict
    """Splits with `src` and `tgt` id columns (each ending with `</s>`)."""
    train_loader: DataLoader
    """Token-budget batches of the training split (its sampler is checkpointed)."""
    collate: PadCollator
    """Pads `src` and `tgt` to the batch maximum."""


def make_batches(
    dataset: DatasetDict, tokenizer: BPETokenizer, cfg: DataConfig, rank: int = 0, world: int = 1
) -> Batches:
    """Tokenise every split (cached on disk) and build the training loader."""
    columns = {"src": f"translation.{cfg.source_lang}", "tgt": f"translation.{cfg.target_lang}"}
    num_proc = min(os.cpu_count() or 1, 8) if len(dataset["train"]) > 200_000 else None
    tokenized = tokenize_dataset(dataset, tokenizer, columns, num_proc=num_proc)
    assert isinstance(tokenized, DatasetDict)
    return batches_of(tokenized, tokenizer.pad_id, cfg, rank, world)


def batches_of(
    tokenized: DatasetDict, pad_id: int, cfg: DataConfig, rank: int = 0, world: int = 1
) -> Batches:
    """The training loader over already tokenised splits: pairs longer than `max_length` are
    dropped, the rest go into length-grouped batches of at most `max_tokens` padded tokens."""
    train = tokenized["train"]
    lengths = example_lengths(train, ("src", "tgt"))
    keep = (lengths.max(axis=1) <= cfg.max_length).nonzero()[0]
    if len(keep) == 0:
        raise ValueError(
            f"no training pair is at most data.max_length ({cfg.max_length}) tokens long "
            f"(the shortest has {int(lengths.max(axis=1).min())})"
        )
    if len(keep) < len(train):
        train = tokenized["train"] = train.select(keep)
        lengths = lengths[keep]
    sampler = TokenBudgetBatchSampler(
        lengths, cfg.max_tokens, seed=cfg.seed, num_replicas=world, rank=rank
    )
    collate = PadCollator(pad_id=pad_id)
    loader = DataLoader(train, batch_sampler=sampler, collate_fn=collate)  # type: ignore[arg-type, unused-ignore]
    return Batches(tokenized, loader, collate)


def eval_batches(split: Dataset, collate: PadCollator, max_tokens: int) -> list[dict[str, Any]]:
    """A split in length-sorted token-budget batches, in a fixed order (for validation loss)."""
    lengths = example_lengths(split, ("src", "tgt"))
    sampler = TokenBudgetBatchSampler(lengths, max_tokens, shuffle=False, drop_long=True)
    batches = []
    for indices in sampler:
        rows = split[list(indices)]
        examples = [{"src": s, "tgt": t} for s, t in zip(rows["src"], rows["tgt"], strict=True)]
        batches.append(collate(examples))
    return batches
