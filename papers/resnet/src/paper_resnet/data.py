"""The images: scikit-learn's digits or a dataset on disk, as the paper's batches.

Both go through one path: a `DatasetDict` with an image column and a label column (the Hub's
CIFAR-10 layout, `img` and `label`), decoded once into uint8 tensors, then `rd_data.ImageBatches`
with the per-pixel mean of the training images subtracted.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasets import ClassLabel, Dataset, DatasetDict, Features, Image

from paper_resnet.config import DIGITS, DataConfig
from paper_resnet.errors import UserError
from rd_data import ImageBatches, dataset_dir, images_and_labels, load_local_dataset, save_dataset

DIGITS_FOLDER = "sklearn_digits"


def digits_dir(cfg: DataConfig) -> Path:
    """`assets/datasets/sklearn_digits/test<fraction>-seed<seed>`: one folder per split."""
    return dataset_dir(DIGITS_FOLDER, f"test{cfg.test_fraction:g}-seed{cfg.seed}")


def materialise_digits(cfg: DataConfig) -> Path:
    """Save scikit-learn's 1,797 digits once as train/test splits with CIFAR-10's columns.

    The 0..16 grey levels become 0..255 (x 255/16); the split is a seeded shuffle.
    `rd_data.save_dataset` renames the folder into place when complete.
    """
    target = digits_dir(cfg)
    if (target / "dataset_dict.json").is_file():
        return target
    from sklearn.datasets import load_digits

    print(f"saving scikit-learn's digits into {target}", file=sys.stderr, flush=True)
    digits = load_digits()
    pixels = np.round(digits.images * (255 / 16)).astype(np.uint8)
    order = np.random.default_rng(cfg.seed).permutation(len(pixels))
    n_test = round(cfg.test_fraction * len(pixels))
    features = Features({"img": Image(), "label": ClassLabel(names=[str(d) for d in range(10)])})

    def split(indices: np.ndarray) -> Dataset:
        rows = {"img": [pixels[i] for i in indices], "label": digits.target[indices].tolist()}
        return Dataset.from_dict(rows, features=features)

    return save_dataset(
        DatasetDict({"train": split(order[n_test:]), "test": split(order[:n_test])}), target
    )


def load_splits(cfg: DataConfig) -> DatasetDict:
    """The dataset `cfg` names, checked for its splits and columns (a UserError names the key).

    Raises:
        UserError: a missing split or column.
        rd_data.AssetNotFoundError: a Hub dataset that was never downloaded (names the command).
    """
    if cfg.dataset == DIGITS:
        dataset = DatasetDict.load_from_disk(str(materialise_digits(cfg)))
    else:
        loaded = load_local_dataset(cfg.dataset, cfg.config)
        if not isinstance(loaded, DatasetDict):
            raise UserError(f"data.dataset {cfg.dataset!r}: expected a dataset with splits")
        dataset = loaded
    for key in ("train_split", "test_split"):
        if getattr(cfg, key) not in dataset:
            raise UserError(
                f"data.{key}: dataset {cfg.dataset!r} has no split {getattr(cfg, key)!r} "
                f"(it has: {', '.join(dataset)})"
            )
    columns = dataset[cfg.train_split].column_names
    for key in ("image_column", "label_column"):
        if getattr(cfg, key) not in columns:
            raise UserError(
                f"data.{key}: dataset {cfg.dataset!r} has no column {getattr(cfg, key)!r} "
                f"(it has: {', '.join(columns)})"
            )
    return dataset


@dataclass
class ImageData:
    """What a run trains and evaluates on."""

    train: ImageBatches
    """Shuffled, augmented training batches (its sampler is checkpointed)."""
    test: ImageBatches
    """The test split in order, not augmented."""
    class_names: list[str]
    """A name per class id (the dataset's ClassLabel names, else the ids)."""
    in_channels: int
    """Channels of the images."""


def make_data(cfg: DataConfig, splits: DatasetDict, rank: int = 0, world: int = 1) -> ImageData:
    """Decode both splits and build the batches: the mean is the training images' per pixel."""
    train = splits[cfg.train_split]
    if cfg.max_train_examples is not None:
        train = train.select(range(min(cfg.max_train_examples, len(train))))
    images, labels = images_and_labels(train, cfg.image_column, cfg.label_column)
    test_images, test_labels = images_and_labels(
        splits[cfg.test_split], cfg.image_column, cfg.label_column
    )
    if test_images.shape[1:] != images.shape[1:]:
        raise UserError(
            f"data.test_split: its images are {tuple(test_images.shape[1:])}, the training "
            f"images {tuple(images.shape[1:])}"
        )
    mean = images.float().mean(0) / 255
    # drop_last: a last batch of a few images would give batch norm noisy statistics.
    shuffled = ImageBatches(
        images, labels, cfg.batch_size, mean, shuffle=True, seed=cfg.seed, padding=cfg.padding,
        flip=cfg.flip, drop_last=len(images) >= cfg.batch_size, num_replicas=world, rank=rank,
    )  # fmt: skip
    test = ImageBatches(test_images, test_labels, cfg.eval_batch_size, mean)
    feature = train.features[cfg.label_column]
    count = int(max(labels.max(), test_labels.max())) + 1
    names = feature.names if isinstance(feature, ClassLabel) else [str(i) for i in range(count)]
    return ImageData(shuffled, test, list(names), int(images.shape[1]))
