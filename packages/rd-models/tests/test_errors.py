"""Bad configurations and inputs raise ValueError naming what is wrong."""

from __future__ import annotations

import pytest
import torch

from rd_models import MultiHeadAttention, PositionalEncoding, ResNetConfig, Transformer, resnet18


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"d_model": 18, "n_heads": 4}, "d_model"),
        ({"share_embeddings": True, "tgt_vocab_size": 19}, "tgt_vocab_size"),
        ({"src_vocab_size": 0}, "src_vocab_size"),
        ({"dropout": 1.5}, "dropout"),
        ({"pad_id": 99}, "pad_id"),
        ({"num_encoder_layers": -1}, "num_encoder_layers"),
    ],
)
def test_bad_config_names_the_field(make_config, overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make_config(**overrides)


def test_attention_rejects_indivisible_heads() -> None:
    with pytest.raises(ValueError, match="d_model"):
        MultiHeadAttention(10, 3)


@pytest.mark.parametrize(
    ("src", "tgt", "name"),
    [
        (torch.ones(5, dtype=torch.long), torch.ones(1, 3, dtype=torch.long), "src"),
        (torch.ones(1, 5, dtype=torch.long), torch.ones(1, 2, 3, dtype=torch.long), "tgt_in"),
        (torch.ones(1, 5), torch.ones(1, 3, dtype=torch.long), "src"),
        (torch.ones(2, 5, dtype=torch.long), torch.ones(3, 3, dtype=torch.long), "batch size"),
    ],
    ids=["src_1d", "tgt_3d", "src_float", "batch_mismatch"],
)
def test_bad_tensors_are_rejected(make_config, src, tgt, name: str) -> None:  # type: ignore[no-untyped-def]
    model = Transformer(make_config())
    with pytest.raises(ValueError, match=name):
        model(src, tgt)


def test_learned_positions_past_max_len_are_rejected() -> None:
    encoding = PositionalEncoding(8, max_len=4, learned=True)
    with pytest.raises(ValueError, match="max_len"):
        encoding(torch.zeros(1, 5, 8))


def test_resnet_input_checks() -> None:
    with pytest.raises(ValueError, match="depth"):
        ResNetConfig(depth=20)
    with pytest.raises(ValueError, match=r"\[batch, 3, height, width\]"):
        resnet18(num_classes=2, cifar=True)(torch.zeros(3, 32, 32))
