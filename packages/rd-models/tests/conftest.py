"""Shared tiny configurations: every test runs in well under a second on a laptop CPU.

Tests import nothing from here (pytest's importlib mode); helpers come as fixtures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pytest
import torch

from rd_models import Transformer, TransformerConfig

PAD = 0


class MakeConfig(Protocol):
    def __call__(self, **overrides: object) -> TransformerConfig: ...


class MakeBatch(Protocol):
    def __call__(
        self, batch: int, max_len: int, vocab: int = 23, min_len: int = 2
    ) -> torch.Tensor: ...


def tiny_config(**overrides: object) -> TransformerConfig:
    fields: dict[str, object] = {
        "src_vocab_size": 23,
        "d_model": 16,
        "n_heads": 2,
        "num_encoder_layers": 2,
        "num_decoder_layers": 2,
        "d_ff": 32,
        "dropout": 0.0,
        "max_len": 64,
        "pad_id": PAD,
    }
    fields.update(overrides)
    return TransformerConfig(**fields)  # type: ignore[arg-type]


def random_batch(
    batch: int, max_len: int, vocab: int, generator: torch.Generator, min_len: int = 2
) -> torch.Tensor:
    """Right-padded ids in [3, vocab) with lengths in [min_len, max_len]; the first row is full."""
    lengths = torch.randint(min_len, max_len + 1, (batch,), generator=generator)
    lengths[0] = max_len
    ids = torch.randint(3, vocab, (batch, max_len), generator=generator)
    positions = torch.arange(max_len)[None, :]
    return ids.masked_fill(positions >= lengths[:, None], PAD)


@pytest.fixture(autouse=True)
def single_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread; on a busy machine extra threads only spin and wait."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def gen() -> torch.Generator:
    return torch.Generator().manual_seed(0)


@pytest.fixture
def make_config() -> MakeConfig:
    """``make_config(**overrides)``: a 2+2-layer, d_model 16 config over 23 tokens, no dropout."""
    return tiny_config


@pytest.fixture
def make_batch(gen: torch.Generator) -> MakeBatch:
    """``make_batch(batch, max_len, vocab=23)``: right-padded random ids, first row full."""

    def make(batch: int, max_len: int, vocab: int = 23, min_len: int = 2) -> torch.Tensor:
        return random_batch(batch, max_len, vocab, gen, min_len)

    return make


@pytest.fixture
def tiny_model() -> Transformer:
    torch.manual_seed(0)
    return Transformer(tiny_config()).eval()
