"""The typed configuration of a paper-transformer run; `config.yaml` files are loaded into it.

Every field carries a one-line docstring; the YAML files repeat the important ones as comments.
The defaults are those of the embedded task (`config.yaml`); a key a YAML file leaves out keeps
its default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CONFIG = Path(__file__).with_name("config.yaml")
"""The embedded default: number words, small model, about 90 s on 2 CPU cores."""


class UserError(Exception):
    """A mistake the user can fix (bad config, missing dataset): one line, exit code 2."""


class RankError(UserError):
    """Under torchrun, a user error that a rank other than 0 found alone: that rank reports it."""


class RankZeroStopped(UserError):
    """Under torchrun, on the other ranks: rank 0 failed (and reports why); exit code 2 quietly."""


@dataclass
class DataConfig:
    dataset: str = "number_words"
    """`number_words` (generated locally) or a Hub dataset id with a `translation` column."""
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


@dataclass
class ModelConfig:
    d_model: int = 128
    """Width of the residual stream (512 base, 1024 big)."""
    n_heads: int = 4
    """Attention heads (8 base, 16 big)."""
    num_encoder_layers: int = 2
    """Encoder layers N (6 in the paper)."""
    num_decoder_layers: int = 2
    """Decoder layers N (6 in the paper)."""
    d_ff: int = 512
    """Inner width of the feed-forward blocks (2048 base, 4096 big)."""
    dropout: float = 0.0
    """Residual and embedding dropout P_drop (0.1 base, 0.3 big)."""
    attention_dropout: float = 0.0
    """Dropout on attention weights."""
    norm_first: bool = False
    """Pre-LN instead of the paper's post-LN."""
    share_embeddings: bool = True
    """Tie source embedding, target embedding and output projection (as the paper)."""


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


@dataclass
class TrainingConfig:
    max_steps: int = 2_200
    """Optimizer steps to train for."""
    grad_accum_steps: int = 1
    """Micro-batches per optimizer step (to reach ~25k target tokens per step on one GPU)."""
    clip_grad_norm: float | None = None
    """Clip the global gradient norm to this value (None: no clipping, as the paper)."""
    precision: str = "fp32"
    """fp32, bf16 or fp16 (autocast)."""
    compile: bool = False
    """torch.compile the model."""
    fused_loss: bool = False
    """Output projection + label-smoothed loss chunk by chunk, without the [tokens, vocab] logits
    (same loss; with a 37k vocabulary 1.36x the training tokens/s on an H200, see benchmarks/)."""
    log_every: int = 100
    """Log training metrics every N optimizer steps."""
    eval_every: int = 550
    """Compute validation loss every N steps."""
    save_every: int = 550
    """Write a checkpoint every N steps."""
    keep_last: int = 2
    """Checkpoints to keep (the paper averages the last 5 for base, 20 for big)."""
    seed: int = 0
    """Seed of initialisation, dropout and data order."""
    device: str = "auto"
    """auto (cuda > mps > cpu), cuda, mps or cpu."""


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


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    """Dataset, tokenizer and batching."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Transformer shape."""
    optim: OptimConfig = field(default_factory=OptimConfig)
    """Adam, the learning-rate schedule and label smoothing."""
    training: TrainingConfig = field(default_factory=TrainingConfig)
    """Loop length, logging and checkpoints."""
    eval: EvalConfig = field(default_factory=EvalConfig)
    """Beam search and BLEU on the test split."""


def validate(cfg: Config) -> None:
    """Reject values that cannot work before anything is written or trained (a UserError names
    the key). The model and Trainer configs check their own fields again when they are built."""

    def need(ok: bool, key: str, requirement: str, value: object) -> None:
        if not ok:
            raise UserError(f"{key} must be {requirement}, got {value!r}")

    def positive(section: object, prefix: str, *names: str, allow_none: bool = False) -> None:
        for name in names:
            value = getattr(section, name)
            if value is None and allow_none:
                continue
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
            need(ok, f"{prefix}.{name}", "a positive integer", value)

    d, m, o, t, e = cfg.data, cfg.model, cfg.optim, cfg.training, cfg.eval
    positive(d, "data", "train_size", "valid_size", "test_size", "max_tokens", "max_length")
    positive(d, "data", "max_train_examples", allow_none=True)
    need(d.vocab_size > 4, "data.vocab_size", "more than the 4 special tokens", d.vocab_size)
    if d.max_tokens < d.max_length:  # a pair of max_length tokens must fit in one batch
        raise UserError(
            f"data.max_tokens ({d.max_tokens}) must be at least data.max_length ({d.max_length})"
        )
    positive(m, "model", "d_model", "n_heads", "num_encoder_layers", "num_decoder_layers", "d_ff")
    if m.d_model % m.n_heads:
        raise UserError(f"model.d_model ({m.d_model}) must be divisible by model.n_heads")
    for name in ("dropout", "attention_dropout"):
        value = getattr(m, name)
        need(0.0 <= value < 1.0, f"model.{name}", "in [0, 1)", value)
    need(o.lr_scale > 0, "optim.lr_scale", "> 0", o.lr_scale)
    positive(o, "optim", "warmup_steps")
    for name in ("beta1", "beta2", "label_smoothing"):
        value = getattr(o, name)
        need(0.0 <= value < 1.0, f"optim.{name}", "in [0, 1)", value)
    need(o.eps > 0, "optim.eps", "> 0", o.eps)
    need(o.weight_decay >= 0, "optim.weight_decay", ">= 0", o.weight_decay)
    positive(t, "training", "max_steps", "grad_accum_steps", "log_every", "keep_last")
    positive(t, "training", "eval_every", "save_every")
    need(t.clip_grad_norm is None or t.clip_grad_norm > 0, "training.clip_grad_norm",
         "> 0 or null", t.clip_grad_norm)  # fmt: skip
    need(t.precision in ("fp32", "bf16", "fp16"), "training.precision", "fp32, bf16 or fp16",
         t.precision)  # fmt: skip
    positive(e, "eval", "beam_size", "average_last", "batch_sentences")
    need(e.length_penalty >= 0, "eval.length_penalty", ">= 0", e.length_penalty)
    need(e.max_len_b >= 0, "eval.max_len_b", ">= 0", e.max_len_b)
    need(e.attention_examples >= 0, "eval.attention_examples", ">= 0", e.attention_examples)
    if e.average_last > t.keep_last:
        raise UserError(
            f"eval.average_last ({e.average_last}) averages more checkpoints than "
            f"training.keep_last ({t.keep_last}) keeps"
        )
