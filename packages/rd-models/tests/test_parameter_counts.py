"""Parameter counts equal the closed-form and the published numbers."""

from __future__ import annotations

import pytest
import torch

from rd_models import (
    CifarResNet,
    CifarResNetConfig,
    Transformer,
    TransformerConfig,
    count_parameters,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    transformer_parameter_count,
)


def meta_count(build, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with torch.device("meta"):  # shapes only: no memory, no initialisation time
        return count_parameters(build(*args, **kwargs))


def test_transformer_base_with_shared_37k_vocabulary_has_63m_parameters() -> None:
    config = TransformerConfig.base(37000)
    d, f, v = 512, 2048, 37000
    layer_enc = 4 * (d * d + d) + (2 * d * f + f + d) + 2 * 2 * d
    layer_dec = 2 * 4 * (d * d + d) + (2 * d * f + f + d) + 3 * 2 * d
    by_hand = v * d + 6 * layer_enc + 6 * layer_dec
    assert by_hand == 63_082_496  # the paper's table says 65M
    assert transformer_parameter_count(config) == by_hand
    assert meta_count(Transformer, config) == by_hand


def test_transformer_big_has_about_213m_parameters() -> None:
    config = TransformerConfig.big(37000)
    count = meta_count(Transformer, config)
    assert count == transformer_parameter_count(config) == 214_245_376
    assert count == pytest.approx(213e6, rel=0.01)


@pytest.mark.parametrize(
    "overrides",
    [
        {"share_embeddings": False, "tgt_vocab_size": 30000},
        {"share_embeddings": False, "tgt_vocab_size": 30000, "tie_output_projection": False},
        {"norm_first": True, "learned_positions": True},
    ],
    ids=["separate_vocabs", "untied_output", "pre_ln_learned_positions"],
)
def test_closed_form_count_matches_every_variant(overrides: dict[str, object]) -> None:
    config = TransformerConfig.base(37000, **overrides)
    assert meta_count(Transformer, config) == transformer_parameter_count(config)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (resnet18, 11_689_512),
        (resnet34, 21_797_672),
        (resnet50, 25_557_032),
        (resnet101, 44_549_160),
        (resnet152, 60_192_808),
    ],
)
def test_resnet_parameter_counts_are_the_standard_ones(build, expected: int) -> None:  # type: ignore[no-untyped-def]
    assert meta_count(build, num_classes=1000) == expected


def test_cifar_resnet18_has_the_usual_11_2m_parameters_and_keeps_resolution() -> None:
    assert meta_count(resnet18, num_classes=10, cifar=True) == 11_173_962
    torch.manual_seed(0)
    model = resnet18(num_classes=10, cifar=True).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize(
    ("depth", "table_6"), [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)]
)
def test_cifar_resnets_have_the_parameter_counts_of_the_papers_table_6(
    depth: int, table_6: float
) -> None:
    count = meta_count(CifarResNet, CifarResNetConfig(depth=depth))
    n, w = (depth - 2) // 6, 16
    convs = 9 * (3 * w + (2 * n) * w * w + (w * 2 * w + (2 * n - 1) * 4 * w * w))
    convs += 9 * (2 * w * 4 * w + (2 * n - 1) * 16 * w * w)
    batch_norms = 2 * w + 2 * 2 * n * (w + 2 * w + 4 * w)
    assert count == convs + batch_norms + (4 * w * 10 + 10)  # option A shortcuts: no weights
    assert round(count / 1e6, 2 if depth < 110 else 1) == table_6


def test_cifar_resnet_depth_must_be_6n_plus_2() -> None:
    with pytest.raises(ValueError, match=r"depth must be 6n \+ 2"):
        CifarResNetConfig(depth=21)
    model = CifarResNet(CifarResNetConfig(depth=8, in_channels=1))  # n = 1: 8x8 digits fit too
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
