"""`TransformerConfig`: the hyper-parameters of the encoder-decoder Transformer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass
class TransformerConfig:
    """Shape and regularisation of a :class:`~rd_models.Transformer` (Vaswani et al., 2017).

    The defaults are the paper's base model. Invalid combinations raise ``ValueError`` naming the
    offending field when the config is created (and when it is loaded from ``config.json``).
    A training config leaves the vocabulary sizes and ``pad_id`` to the program, which knows its
    tokenizer (``runtime_fields``); a model is built only once ``src_vocab_size`` is set.
    """

    runtime_fields: ClassVar[dict[str, str]] = {
        "src_vocab_size": "the tokenizer or task the model is trained on",
        "tgt_vocab_size": "the tokenizer or task the model is trained on",
        "pad_id": "the tokenizer or task the model is trained on",
    }
    """Fields a training program fills in (with ``dataclasses.replace``), not a config file."""

    src_vocab_size: int | None = None
    """Number of source tokens (the shared vocabulary when embeddings are shared); ``None`` until
    the program knows its tokenizer."""
    tgt_vocab_size: int | None = None
    """Number of target tokens; ``None`` means the same as ``src_vocab_size``."""
    d_model: int = 512
    """Width of every residual stream, embedding and attention output."""
    n_heads: int = 8
    """Attention heads per attention layer; must divide ``d_model``."""
    num_encoder_layers: int = 6
    """Number of encoder layers (N in the paper)."""
    num_decoder_layers: int = 6
    """Number of decoder layers (N in the paper)."""
    d_ff: int = 2048
    """Hidden width of the position-wise feed-forward networks."""
    dropout: float = 0.1
    """Residual dropout: on each sub-layer output and on embeddings + positions (P_drop)."""
    attention_dropout: float = 0.0
    """Dropout on the attention probabilities (the paper uses none)."""
    activation_dropout: float = 0.0
    """Dropout after the ReLU inside the feed-forward networks (the paper uses none)."""
    max_len: int = 1024
    """Longest sequence the positional encoding is prepared for (a hard limit if learned)."""
    norm_first: bool = False
    """Pre-LN layers (LayerNorm before each sub-layer, plus a final LayerNorm); False = the paper."""
    learned_positions: bool = False
    """Learned position embeddings instead of the paper's sinusoids."""
    share_embeddings: bool = True
    """Tie source embedding, target embedding and output projection (needs equal vocab sizes)."""
    tie_output_projection: bool = True
    """Tie target embedding and output projection (also when ``share_embeddings`` is False)."""
    pad_id: int = 0
    """Padding token id; padding masks are derived from it."""
    layer_norm_eps: float = 1e-5
    """Epsilon of every LayerNorm (PyTorch's default, as in ``torch.nn.Transformer``)."""

    def __post_init__(self) -> None:
        if self.tgt_vocab_size is None:
            self.tgt_vocab_size = self.src_vocab_size
        sizes: tuple[str, ...] = ("d_model", "n_heads", "d_ff", "max_len")
        if self.src_vocab_size is not None:
            sizes = ("src_vocab_size", "tgt_vocab_size", *sizes)
        for name in sizes:
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"TransformerConfig.{name} must be a positive int, got {value!r}")
        for name in ("num_encoder_layers", "num_decoder_layers"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"TransformerConfig.{name} must be an int >= 0, got {value!r}")
        if self.d_model % self.n_heads != 0:
            raise ValueError(
                f"TransformerConfig.d_model ({self.d_model}) must be divisible by "
                f"n_heads ({self.n_heads})"
            )
        for name in ("dropout", "attention_dropout", "activation_dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"TransformerConfig.{name} must be in [0, 1), got {value!r}")
        if self.src_vocab_size is None or self.tgt_vocab_size is None:
            return
        if self.share_embeddings and self.tgt_vocab_size != self.src_vocab_size:
            raise ValueError(
                f"TransformerConfig.tgt_vocab_size ({self.tgt_vocab_size}) must equal "
                f"src_vocab_size ({self.src_vocab_size}) when share_embeddings=True"
            )
        if not 0 <= self.pad_id < min(self.src_vocab_size, self.tgt_vocab_size):
            raise ValueError(
                f"TransformerConfig.pad_id ({self.pad_id}) must be a valid id of both vocabularies"
            )

    def vocab_sizes(self) -> tuple[int, int]:
        """``(src_vocab_size, tgt_vocab_size)``, once the program has set them.

        Raises:
            ValueError: ``src_vocab_size`` is still ``None``.
        """
        if self.src_vocab_size is None or self.tgt_vocab_size is None:
            raise ValueError(
                "TransformerConfig.src_vocab_size must be set before a model is built "
                "(dataclasses.replace(config, src_vocab_size=..., tgt_vocab_size=...))"
            )
        return self.src_vocab_size, self.tgt_vocab_size

    @classmethod
    def base(cls, vocab_size: int, **overrides: object) -> TransformerConfig:
        """The paper's base model: N=6, d_model=512, d_ff=2048, 8 heads, dropout 0.1.

        Args:
            vocab_size: Size of the shared source/target vocabulary.
            **overrides: Any other field to change (e.g. ``pad_id=1``).
        """
        fields: dict[str, object] = {
            "src_vocab_size": vocab_size,
            "d_model": 512,
            "n_heads": 8,
            "num_encoder_layers": 6,
            "num_decoder_layers": 6,
            "d_ff": 2048,
            "dropout": 0.1,
        }
        return cls(**{**fields, **overrides})  # type: ignore[arg-type]

    @classmethod
    def big(cls, vocab_size: int, **overrides: object) -> TransformerConfig:
        """The paper's big model: N=6, d_model=1024, d_ff=4096, 16 heads, dropout 0.3.

        Args:
            vocab_size: Size of the shared source/target vocabulary.
            **overrides: Any other field to change.
        """
        fields: dict[str, object] = {
            "src_vocab_size": vocab_size,
            "d_model": 1024,
            "n_heads": 16,
            "num_encoder_layers": 6,
            "num_decoder_layers": 6,
            "d_ff": 4096,
            "dropout": 0.3,
        }
        return cls(**{**fields, **overrides})  # type: ignore[arg-type]
