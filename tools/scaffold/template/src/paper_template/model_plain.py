"""The model: a small plain-torch network, to replace with the paper's architecture.

With rd-models the scaffold writes an rd_models.Transformer here instead, with the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from paper_template.task import EOS, TaskConfig
from rd_training import check_positive


@dataclass
class ModelConfig:
    """The `model` section of the config."""

    d_model: int = 32
    """Width of the token embeddings."""
    num_layers: int = 1
    """Hidden layers of the MLP."""

    def __post_init__(self) -> None:
        check_positive(self, "d_model", "num_layers")


def model_defaults() -> ModelConfig:
    return ModelConfig()


class Model(nn.Module):
    """Embeds the source, mixes all positions with an MLP and scores every target token at once.

    That works because every sequence of the task has the same length; an encoder-decoder such
    as rd_models.Transformer handles any length.
    """

    def __init__(self, cfg: ModelConfig, task: TaskConfig) -> None:
        super().__init__()
        self.vocab, self.out_len = task.vocab_size, task.seq_len + 1  # the symbols, then EOS
        hidden = 4 * cfg.d_model
        layers: list[nn.Module] = [nn.Flatten(), nn.Linear(task.seq_len * cfg.d_model, hidden)]
        layers.append(nn.ReLU())
        for _ in range(cfg.num_layers - 1):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        self.embed = nn.Embedding(self.vocab, cfg.d_model)
        self.mlp = nn.Sequential(*layers, nn.Linear(hidden, self.out_len * self.vocab))

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        """`[B, seq_len]` source ids -> `[B, seq_len + 1, vocab]` scores of the target tokens."""
        return self.mlp(self.embed(src)).view(src.shape[0], self.out_len, self.vocab)


def build_model(cfg: ModelConfig, task: TaskConfig) -> Model:
    return Model(cfg, task)


def forward(model: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Scores `[B, T, vocab]` of every target token, all at once from the source alone."""
    return model(batch["src"])


def predict(model: Model, src: torch.Tensor) -> list[list[int]]:
    """The most likely token at each position, cut at the first EOS."""
    with torch.no_grad():
        rows = model(src).argmax(-1).tolist()
    return [row[: row.index(EOS)] if EOS in row else row for row in rows]


def save_model(model: Model, path: Path) -> None:
    """The weights as `path/model.safetensors`, for `load_model`."""
    path.mkdir(parents=True, exist_ok=True)
    save_file(model.state_dict(), path / "model.safetensors")


def load_model(path: Path, cfg: ModelConfig, task: TaskConfig) -> Model:
    """The model `save_model` wrote; `cfg` and `task` give its shape."""
    model = Model(cfg, task)
    model.load_state_dict(load_file(path / "model.safetensors"))
    return model
