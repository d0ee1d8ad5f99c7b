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
