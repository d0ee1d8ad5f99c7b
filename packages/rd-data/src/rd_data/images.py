"""Image classification data as tensors: decoding a split, per-pixel mean subtraction, the ResNet
paper's augmentation (pad, random crop, horizontal flip) and batches that resume exactly.

A split with an image column and a label column (the Hub's `uoft-cs/cifar10` layout: `img`,
`label`) is decoded once into a uint8 tensor; every batch is then cut from it, normalised and
augmented on the fly, vectorised over the batch. The shuffle order and the augmentation are
functions of `(seed, epoch)` and the batch's place in the epoch only, so a run that is stopped and
continued sees the same pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

if TYPE_CHECKING:
    from datasets import Dataset

__all__ = ["ImageBatches", "ShuffledBatchSampler", "images_and_labels", "pad_crop_flip"]


def images_and_labels(
    split: Dataset, image_column: str = "img", label_column: str = "label"
) -> tuple[Tensor, Tensor]:
    """Decode a split into `(uint8 images [N, C, H, W], int64 labels [N])`.

    Images may be PIL images (the `datasets.Image` feature) or nested lists/arrays, greyscale
    `[H, W]` or channels-last `[H, W, C]`, all of one size.

    Raises:
        ValueError: a column is missing, or the images differ in size.
    """
    for column in (image_column, label_column):
        if column not in split.column_names:
            raise ValueError(
                f"no column {column!r} (the split has: {', '.join(split.column_names)})"
            )
    arrays = split.with_format("numpy")[image_column]
    try:
        images = np.stack([np.asarray(a, dtype=np.uint8) for a in arrays])
    except ValueError as err:
        raise ValueError(f"the images of column {image_column!r} differ in size: {err}") from None
    if images.ndim == 3:  # greyscale
        images = images[:, :, :, None]
    pixels = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
    labels = torch.as_tensor(np.asarray(split[label_column]), dtype=torch.int64)
    return pixels, labels


def pad_crop_flip(
    images: Tensor, padding: int, flip: bool, generator: torch.Generator | None = None
) -> Tensor:
    """Pad each image with `padding` zeros a side, crop it back at a random place, and mirror
    it left-right with probability 1/2 (He et al., 2015, section 4.2, with padding 4).

    Args:
        images: `[B, C, H, W]` floats.
        padding: pixels added on each side before the random crop (0: no crop).
        flip: also flip horizontally at random.
        generator: the random source (default: torch's global one).
    """
    b, _, h, w = images.shape
    out = images
    if padding > 0:
        padded = F.pad(images, (padding, padding, padding, padding))
        dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
        dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
        rows = (dy[:, None] + torch.arange(h))[:, None, :, None]  # [B, 1, H, 1]
        cols = (dx[:, None] + torch.arange(w))[:, None, None, :]  # [B, 1, 1, W]
        batch = torch.arange(b)[:, None, None, None]
        channels = torch.arange(images.shape[1])[None, :, None, None]
        out = padded[batch, channels, rows, cols]
    if flip:
        mirrored = torch.rand(b, generator=generator) < 0.5
        out = torch.where(mirrored[:, None, None, None], out.flip(-1), out)
    return out


class ShuffledBatchSampler:
    """Batches of indices in a fresh order every epoch, a function of `(seed, epoch)` only.

    A `StatefulSampler` for `rd_training.Trainer`: `set_epoch`, `state_dict`, `load_state_dict`.
    With DDP, each rank takes every `num_replicas`-th batch (the list wraps around so that every
    rank gets as many).

    Raises:
        ValueError: a size below 1, or `rank` outside `[0, num_replicas)`.
    """

    def __init__(
        self,
        num_examples: int,
        batch_size: int,
        *,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if min(num_examples, batch_size, num_replicas) < 1:
            raise ValueError(
                f"num_examples, batch_size and num_replicas must be >= 1, got "
                f"{num_examples}, {batch_size}, {num_replicas}"
            )
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank must be in [0, {num_replicas}), got {rank}")
        if drop_last and num_examples < batch_size:
            raise ValueError(f"drop_last with {num_examples} examples < batch_size {batch_size}")
        self.num_examples, self.batch_size, self.shuffle = num_examples, batch_size, shuffle
        self.seed, self.drop_last = seed, drop_last
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0

    @property
    def num_batches(self) -> int:
        """Batches per epoch over all ranks."""
        whole, rest = divmod(self.num_examples, self.batch_size)
        return whole + (0 if self.drop_last or not rest else 1)

    def __len__(self) -> int:
        """Batches this rank yields per epoch."""
        return math.ceil(self.num_batches / self.num_replicas)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose order the next iteration yields."""
        self.epoch = int(epoch)

    def __iter__(self) -> Iterator[list[int]]:
        order = np.arange(self.num_examples)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(self.num_examples)
        starts = np.resize(np.arange(self.num_batches), len(self) * self.num_replicas)
        for b in starts[self.rank :: self.num_replicas]:
            yield order[b * self.batch_size : (b + 1) * self.batch_size].tolist()
        self.epoch += 1

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable: the epoch and what the order depends on."""
        return {
            "epoch": self.epoch,
            "seed": self.seed,
            "num_examples": self.num_examples,
            "batch_size": self.batch_size,
            "num_replicas": self.num_replicas,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue with the epoch of `state`.

        Raises:
            ValueError: the state was made for other data or settings.
        """
        for key in ("seed", "num_examples", "batch_size", "num_replicas"):
            if key in state and int(state[key]) != getattr(self, key):
                raise ValueError(
                    f"sampler state has {key}={state[key]} but this sampler has "
                    f"{getattr(self, key)}; an exact resume needs the same data and settings"
                )
        self.epoch = int(state["epoch"])


class ImageBatches:
    """Batches `{"image": float [B, C, H, W], "label": int64 [B]}` of an in-memory image set.

    Each image is scaled to [0, 1] and `mean` (per pixel, from the training images) is
    subtracted; with `padding`/`flip` it is augmented with a generator seeded by `(seed,
    epoch)`. `batch_sampler` is the `ShuffledBatchSampler` the Trainer checkpoints.

    Args:
        images: uint8 `[N, C, H, W]` (see `images_and_labels`).
        labels: int64 `[N]`.
        batch_size: images per batch.
        mean: `[C, H, W]` to subtract (e.g. `images.float().mean(0) / 255` of the train split).
        shuffle: a new order every epoch (False: in order, for evaluation).
        seed: seed of the order and the augmentation.
        padding: pixels of zero padding before the random crop (0: none).
        flip: random horizontal flips.
        drop_last: leave out a last, smaller batch.
        num_replicas: DDP world size.
        rank: this process's rank.
    """

    def __init__(
        self,
        images: Tensor,
        labels: Tensor,
        batch_size: int,
        mean: Tensor,
        *,
        shuffle: bool = False,
        seed: int = 0,
        padding: int = 0,
        flip: bool = False,
        drop_last: bool = False,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4 or len(images) != len(labels):
            raise ValueError("images must be uint8 [N, C, H, W] with one label each")
        if mean.shape != images.shape[1:]:
            raise ValueError(
                f"mean must have shape {tuple(images.shape[1:])}, got {tuple(mean.shape)}"
            )
        self.images, self.labels, self.mean = images, labels, mean.float()
        self.padding, self.flip, self.seed = padding, flip, seed
        self.batch_sampler = ShuffledBatchSampler(
            len(images), batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last,
            num_replicas=num_replicas, rank=rank,
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.batch_sampler)

    def __iter__(self) -> Iterator[dict[str, Tensor]]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.batch_sampler.epoch)
        for indices in self.batch_sampler:
            index = torch.as_tensor(indices)
            x = self.images[index].float().div_(255).sub_(self.mean)
            if self.padding or self.flip:
                x = pad_crop_flip(x, self.padding, self.flip, generator)
            yield {"image": x, "label": self.labels[index]}
