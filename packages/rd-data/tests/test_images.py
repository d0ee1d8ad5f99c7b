"""Image batches: decoding a split, the paper's augmentation, and an order that resumes exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from datasets import Dataset, Features, Image, Value
from PIL import Image as PILImage

from rd_data import ImageBatches, ShuffledBatchSampler, images_and_labels, pad_crop_flip


def test_a_split_of_pil_images_or_greyscale_arrays_decodes_to_uint8_nchw() -> None:
    rgb = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    split = Dataset.from_dict(
        {"img": [PILImage.fromarray(a) for a in rgb], "label": [3, 1]},
        features=Features({"img": Image(), "label": Value("int64")}),
    )
    images, labels = images_and_labels(split)
    assert images.dtype == torch.uint8 and images.shape == (2, 3, 4, 5)
    assert torch.equal(images, torch.from_numpy(rgb).permute(0, 3, 1, 2))
    assert labels.tolist() == [3, 1]

    grey = Dataset.from_dict({"pixels": [[[0, 16], [8, 4]]], "target": [7]})
    images, labels = images_and_labels(grey, "pixels", "target")
    assert images.shape == (1, 1, 2, 2) and images[0, 0].tolist() == [[0, 16], [8, 4]]
    with pytest.raises(ValueError, match="no column 'img'"):
        images_and_labels(grey)


def test_pad_crop_flip_shifts_each_image_within_its_padding_and_mirrors_half() -> None:
    x = torch.arange(64, dtype=torch.float32).reshape(1, 1, 8, 8).repeat(200, 1, 1, 1)
    out = pad_crop_flip(x, padding=2, flip=True, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x[0, 0], (2, 2, 2, 2))
    windows = {}
    for dy in range(5):
        for dx in range(5):
            window = padded[dy : dy + 8, dx : dx + 8]
            windows[(dy, dx, False)], windows[(dy, dx, True)] = window, window.flip(-1)
    seen = set()
    for image in out[:, 0]:
        match = [key for key, window in windows.items() if torch.equal(image, window)]
        assert match, "every output is a window of the padded image, maybe mirrored"
        seen.add(match[0])
    assert len(seen) > 25  # the offsets and flips are drawn, not fixed
    again = pad_crop_flip(x, padding=2, flip=True, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    assert torch.equal(pad_crop_flip(x, padding=0, flip=False), x)


def test_the_sampler_visits_every_example_once_in_an_order_of_seed_and_epoch() -> None:
    sampler = ShuffledBatchSampler(10, 4, seed=3)
    first = list(sampler)
    assert [len(b) for b in first] == [4, 4, 2] and sorted(i for b in first for i in b) == list(
        range(10)
    )
    second = list(sampler)  # the next epoch: another order
    assert second != first and sampler.epoch == 2
    sampler.load_state_dict({**sampler.state_dict(), "epoch": 0})
    assert list(sampler) == first
    with pytest.raises(ValueError, match="seed=4 but this sampler has 3"):
        sampler.load_state_dict({**sampler.state_dict(), "seed": 4})
    ranks = [list(ShuffledBatchSampler(10, 2, seed=3, num_replicas=2, rank=r)) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 3  # 5 batches, wrapped around to 6
    assert len(ShuffledBatchSampler(10, 4, drop_last=True)) == 2


def test_image_batches_subtract_the_mean_and_repeat_an_epoch_exactly() -> None:
    images = torch.randint(0, 256, (20, 3, 4, 4), dtype=torch.uint8)
    mean = images.float().mean(0) / 255
    plain = ImageBatches(images, torch.arange(20), 8, mean)
    batch = next(iter(plain))
    assert torch.allclose(batch["image"], images[:8].float() / 255 - mean)
    assert batch["label"].tolist() == list(range(8))

    augmented = ImageBatches(images, torch.arange(20), 8, mean, shuffle=True, padding=1, flip=True)
    epoch0 = [b["image"] for b in augmented]
    epoch1 = [b["image"] for b in augmented]
    assert not torch.equal(epoch0[0], epoch1[0])
    augmented.batch_sampler.set_epoch(0)  # as a resumed Trainer rewinds to the epoch's start
    assert all(torch.equal(a, b["image"]) for a, b in zip(epoch0, augmented, strict=True))
    with pytest.raises(ValueError, match="mean must have shape"):
        ImageBatches(images, torch.arange(20), 8, mean[0])
