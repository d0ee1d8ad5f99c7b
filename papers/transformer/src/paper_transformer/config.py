"""The typed configuration of a paper-transformer run; `config.yaml` files are loaded into it.

`Config` holds the libraries' own dataclasses for the model (`rd_models.TransformerConfig`) and
the loop (`rd_training.TrainerConfig`) beside the paper's sections (data, optim, eval). Every
field carries a one-line docstring (`train --help` lists them); the defaults are those of the
embedded task (`config.yaml`), and a key a YAML file leaves out keeps its default. Each
dataclass checks its own values in `__post_init__` (ARCHITECTURE.md, "The config contract").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from rd_models import TransformerConfig
from rd_training import TrainerConfig, check, check_positive

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The embedded default: number words, small model, about 90 s on 2 CPU cores."""


@dataclass
class DataConfig:
    dataset: str = "number_words"
    """`number_words` (generated locally); a dataset under assets/datasets/ with a `translation`
    column (a Hub id fetched with rd-download-dataset, or a corpus of yours imported with
    rd-import-corpus); or the path of a folder saved by `datasets` (starting with / . or ~)."""
    config: str | None = None
    """Hub dataset config, e.g. `de-en` for `wmt/wmt14`."""
    source_lang: str = "de"
    """Key of the source language inside the `translation` column."""
    target_lang: str = "en"
    """Key of the target language inside the `translation` column."""
    train_size: int = 50_000
    """number_words: training pairs to generate (a Hub dataset uses all of its train split)."""
    valid_size: int = 1_000
    """number_words: validation pairs to generate."""
    test_size: int = 1_000
    """number_words: test pairs to generate."""
    valid_split: str = "validation"
    """Split used for validation loss during training."""
    test_split: str = "test"
    """Split decoded with beam search at the end (newstest2014 for WMT14)."""
    valid_fraction: float | None = None
    """When the dataset has no `valid_split`: hold out this share of train for it (seeded by
    `seed`; every pair whose source is held out leaves train). None: the split must exist."""
    test_fraction: float | None = None
    """When the dataset has no `test_split`: hold out this share of train for it (as above)."""
    max_train_examples: int | None = None
    """Use only the first N training pairs (None: all); handy for quick runs on a big dataset."""
    vocab_size: int = 400
    """Size of the shared source/target BPE vocabulary."""
    max_tokens: int = 1024
    """Token budget of one micro-batch, padding included (fairseq's --max-tokens)."""
    max_length: int = 256
    """Training pairs with a longer source or target (in tokens) are dropped."""
    seed: int = 0
    """Seed of the number draw (number_words) and of the batch order."""

    def __post_init__(self) -> None:
        check_positive(self, "train_size", "valid_size", "test_size", "max_tokens", "max_length")
        check_positive(self, "max_train_examples", allow_none=True)
        check(self.vocab_size > 4, self, "vocab_size", "more than the 4 special tokens")
        for key in ("valid_fraction", "test_fraction"):
            value = getattr(self, key)
            check(value is None or 0 < value < 0.5, self, key, "between 0 and 0.5, or None")
        check(self.valid_split != self.test_split, self, "test_split", "other than valid_split")
        if self.max_tokens < self.max_length:  # a pair of max_length tokens must fit in a batch
            raise ValueError(
                f"DataConfig.max_tokens ({self.max_tokens}) must be at least "
                f"DataConfig.max_length ({self.max_length})"
            )


@dataclass
class OptimConfig:
    lr_scale: float = 0.5
    """Multiplier of the paper's schedule lr = scale · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)."""
    warmup_steps: int = 400
    """Linear warm-up steps of the schedule (4000 in the paper)."""
    beta1: float = 0.9
    """Adam β1."""
    beta2: float = 0.98
    """Adam β2 (the paper's value)."""
    eps: float = 1e-9
    """Adam ε (the paper's value)."""
    weight_decay: float = 0.0
    """Decoupled weight decay (the paper uses none)."""
    label_smoothing: float = 0.1
    """Label smoothing ε_ls."""
    fused_loss: bool = False
    """Output projection + label-smoothed loss chunk by chunk, without the [tokens, vocab] logits
    (the same loss; pays off at large vocabularies, see benchmarks/README.md)."""

    def __post_init__(self) -> None:
        check(self.lr_scale > 0, self, "lr_scale", "> 0")
        check_positive(self, "warmup_steps")
        for name in ("beta1", "beta2", "label_smoothing"):
            check(0.0 <= getattr(self, name) < 1.0, self, name, "in [0, 1)")
        check(self.eps > 0, self, "eps", "> 0")
        check(self.weight_decay >= 0, self, "weight_decay", ">= 0")


@dataclass
class EvalConfig:
    beam_size: int = 4
    """Beam width (4 in the paper)."""
    length_penalty: float = 0.6
    """GNMT length penalty α (0.6 in the paper)."""
    max_len_b: int = 50
    """Maximum output length = source length + max_len_b (50 in the paper)."""
    average_last: int = 1
    """Average the weights of the last N checkpoints before decoding (5 base, 20 big)."""
    batch_sentences: int = 250
    """Sentences decoded together."""
    attention_examples: int = 2
    """Test sentences whose cross-attention maps are plotted."""
    valid_bleu_sentences: int = 200
    """At every evaluation, greedy-decode this many validation sentences and log their sacreBLEU
    as valid/bleu (0: loss only); `training.best_metric=bleu training.best_mode=max` selects on it."""

    def __post_init__(self) -> None:
        check_positive(self, "beam_size", "average_last", "batch_sentences")
        check(self.valid_bleu_sentences >= 0, self, "valid_bleu_sentences", ">= 0")
        check(self.length_penalty >= 0, self, "length_penalty", ">= 0")
        check(self.max_len_b >= 0, self, "max_len_b", ">= 0")
        check(self.attention_examples >= 0, self, "attention_examples", ">= 0")


def _model_defaults() -> TransformerConfig:
    """The embedded task's model: small, post-LN, tied embeddings, no dropout."""
    return TransformerConfig(
        d_model=128, n_heads=4, num_encoder_layers=2, num_decoder_layers=2, d_ff=512, dropout=0.0
    )


def _training_defaults() -> TrainerConfig:
    """The embedded task's loop: 2,200 steps, validation and a checkpoint every 550."""
    return TrainerConfig(
        max_steps=2_200, log_every=100, eval_every=550, save_every=550, keep_last=2,
        best_metric="loss",
    )  # fmt: skip


@dataclass
class Config:
    runtime_fields: ClassVar[dict[str, str]] = {
        "model.src_vocab_size": "the tokenizer (set data.vocab_size)",
        "model.tgt_vocab_size": "the tokenizer (set data.vocab_size)",
        "model.pad_id": "the tokenizer",
        "training.resume": "train --resume",
        "training.resume_hint": "train",
    }
    """Keys `train` fills in itself (with `dataclasses.replace`); a config file cannot set them."""

    data: DataConfig = field(default_factory=DataConfig)
    """Dataset, tokenizer and batching."""
    model: TransformerConfig = field(default_factory=_model_defaults)
    """Transformer shape (rd_models.TransformerConfig; the vocabulary comes from the tokenizer)."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Adam, the learning-rate schedule and the loss."""
    training: TrainerConfig = field(default_factory=_training_defaults)
    """The training loop (rd_training.TrainerConfig): length, precision, logging, checkpoints."""
    eval: EvalConfig = field(default_factory=EvalConfig)
    """Beam search and BLEU on the test split."""

    def __post_init__(self) -> None:
        if self.eval.average_last > self.training.keep_last:
            raise ValueError(
                f"eval.average_last ({self.eval.average_last}) averages more checkpoints than "
                f"training.keep_last ({self.training.keep_last}) keeps"
            )
        if self.eval.average_last > 1 and self.training.ema_decay is not None:
            raise ValueError(
                "eval.average_last > 1 and training.ema_decay both smooth the final weights: "
                "choose one (the test split is decoded with the EMA weights)"
            )
