"""The model: an rd_models.Transformer, trained with teacher forcing and decoded greedily.

Without rd-models the scaffold writes a small plain-torch model here instead, with the same
functions; replace either with the paper's architecture.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from torch import nn

from paper_resnet.task import BOS, EOS, PAD, TaskConfig
from rd_models import Transformer, TransformerConfig, greedy_search, shift_right

Model = Transformer
"""The model's class."""
ModelConfig = TransformerConfig
"""The `model` section of the config: rd_models' own dataclass."""


def model_defaults() -> TransformerConfig:
    """A tiny Transformer: one encoder and one decoder layer of width 32."""
    return TransformerConfig(
        d_model=32, n_heads=2, num_encoder_layers=1, num_decoder_layers=1, d_ff=128, dropout=0.0
    )


def build_model(cfg: TransformerConfig, task: TaskConfig) -> Transformer:
    """The Transformer `cfg` describes, with the task's vocabulary, padding id and length."""
    vocab = task.vocab_size
    room = task.seq_len + 2  # BOS, the reversed symbols, EOS
    return Transformer(
        dataclasses.replace(
            cfg, src_vocab_size=vocab, tgt_vocab_size=vocab, pad_id=PAD, max_len=room
        )
    )


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Teacher forcing: scores `[B, T, vocab]` of each target token, given the ones before it."""
    return model(batch["src"], shift_right(batch["tgt"], BOS))


def predict(model: Transformer, src: torch.Tensor) -> list[list[int]]:
    """Greedy decoding: one list of token ids per sequence, without BOS and EOS."""
    return greedy_search(model, src, bos_id=BOS, eos_id=EOS, max_len_a=1.0, max_len_b=1)


def save_model(model: Transformer, path: Path) -> None:
    """config.json and model.safetensors, for `load_model` (or `Transformer.from_pretrained`)."""
    model.save_pretrained(path)


def load_model(path: Path, cfg: TransformerConfig, task: TaskConfig) -> Transformer:
    """The model `save_model` wrote (its shape comes from `path/config.json`)."""
    return Transformer.from_pretrained(path)
