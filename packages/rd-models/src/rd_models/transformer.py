"""The encoder-decoder Transformer of "Attention Is All You Need" (Vaswani et al., 2017)."""

# No `from __future__ import annotations` here: the Hub mixin reads the real type of `config`
# from the constructor's signature to rebuild the dataclass from config.json.

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rd_models.config import TransformerConfig
from rd_models.hub import HubMixin
from rd_models.layers import DecoderLayer, EncoderLayer
from rd_models.positional import PositionalEncoding

# Incremental-decoding state: {"length": int, "layers": [{"self": {"k", "v"}, "cross": {"k", "v"}}]}
# with every tensor batch-first, so a search can reorder it with `index_select(0, ...)`.
DecoderCache = dict[str, Any]


class Transformer(
    nn.Module,
    HubMixin,
    library_name="rd-models",
    tags=["translation", "transformer"],
    paper_url="https://arxiv.org/abs/1706.03762",
):
    """Encoder-decoder Transformer; logits over the target vocabulary for each target position.

    Embeddings are scaled by ``sqrt(d_model)`` and summed with positional encodings; with
    ``config.share_embeddings`` the source embedding, target embedding and output projection are
    one matrix (the paper's shared BPE vocabulary). Padding masks come from ``config.pad_id``.

    Args:
        config: The model's shape; see :class:`TransformerConfig`.

    Example:
        >>> model = Transformer(TransformerConfig(src_vocab_size=100, d_model=32, n_heads=4,
        ...     num_encoder_layers=1, num_decoder_layers=1, d_ff=64))
        >>> model(torch.tensor([[5, 6, 2]]), torch.tensor([[1, 7]])).shape
        torch.Size([1, 2, 100])
    """

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        src_vocab, tgt_vocab = c.vocab_sizes()
        self.src_embed = nn.Embedding(src_vocab, c.d_model)
        self.tgt_embed = (
            self.src_embed if c.share_embeddings else nn.Embedding(tgt_vocab, c.d_model)
        )
        self.positions = PositionalEncoding(c.d_model, c.max_len, learned=c.learned_positions)

        def layer(kind: type[EncoderLayer] | type[DecoderLayer]) -> nn.Module:
            return kind(
                d_model=c.d_model,
                n_heads=c.n_heads,
                d_ff=c.d_ff,
                dropout=c.dropout,
                attention_dropout=c.attention_dropout,
                activation_dropout=c.activation_dropout,
                norm_first=c.norm_first,
                layer_norm_eps=c.layer_norm_eps,
            )

        self.encoder_layers = nn.ModuleList(
            layer(EncoderLayer) for _ in range(c.num_encoder_layers)
        )
        self.decoder_layers = nn.ModuleList(
            layer(DecoderLayer) for _ in range(c.num_decoder_layers)
        )
        # Pre-LN leaves the residual stream un-normalised; post-LN layers already end in a norm.
        self.encoder_norm = nn.LayerNorm(c.d_model, c.layer_norm_eps) if c.norm_first else None
        self.decoder_norm = nn.LayerNorm(c.d_model, c.layer_norm_eps) if c.norm_first else None
        tied = c.share_embeddings or c.tie_output_projection
        self.output_proj = None if tied else nn.Linear(c.d_model, tgt_vocab, bias=False)
        # Embeddings ~ N(0, d^-1/2): after the sqrt(d) scaling the inputs have unit variance,
        # and a tied output projection starts with logits of unit scale.
        for emb in dict.fromkeys([self.src_embed, self.tgt_embed]):  # once if shared, in order
            nn.init.normal_(emb.weight, std=c.d_model**-0.5)
        if self.output_proj is not None:
            nn.init.normal_(self.output_proj.weight, std=c.d_model**-0.5)

    # ----------------------------------------------------------------------------------------
    def forward(
        self,
        src: Tensor,
        tgt_in: Tensor,
        *,
        return_attention: bool = False,
        features_only: bool = False,
    ) -> Tensor | tuple[Tensor, dict[str, list[Tensor]]]:
        """Teacher-forced logits.

        Args:
            src: ``[B, S]`` source token ids, padded with ``config.pad_id``.
            tgt_in: ``[B, T]`` decoder input ids (BOS + target without its last token), padded
                at the end.
            return_attention: Also return the attention probabilities (slower: the explicit
                attention path replaces the fused kernel).
            features_only: Return the decoder output ``[B, T, d_model]`` before the output
                projection instead of the logits: ``F.linear(features, model.output_weight)``
                is the logits. For losses that fuse the projection with the cross-entropy
                (``rd_training.linear_cross_entropy``) and never hold all the logits at once.

        Returns:
            Logits ``[B, T, tgt_vocab_size]`` (features ``[B, T, d_model]`` with
            ``features_only``); with ``return_attention`` a tuple
            ``(logits, {"encoder": [...], "decoder": [...], "cross": [...]})`` holding one
            ``[B, H, T_q, T_k]`` tensor per layer.

        Raises:
            ValueError: If ``src`` or ``tgt_in`` is not a 2-D integer tensor or batch sizes differ.
        """
        _check_ids("tgt_in", tgt_in)
        memory, src_pad, enc_w = self._encode(src, return_attention)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"tgt_in batch size {tgt_in.shape[0]} != src batch size {src.shape[0]}"
            )
        out, dec_w, cross_w = self._decode(
            tgt_in, memory, src_pad, None, return_attention, project=not features_only
        )
        if features_only:
            out = out.to(self.output_weight.dtype)  # fp32 even from a bf16 stream
        if return_attention:
            return out, {"encoder": enc_w, "decoder": dec_w, "cross": cross_w}
        return out

    def encode(self, src: Tensor) -> tuple[Tensor, Tensor]:
        """Run the encoder.

        Args:
            src: ``[B, S]`` source ids padded with ``config.pad_id``.

        Returns:
            ``(memory [B, S, d_model], src_key_padding_mask [B, S])`` with True at padding.
        """
        memory, src_pad, _ = self._encode(src, False)
        # The parameters' dtype (fp32 even when the stream was bf16 under CPU bf16 autocast), so
        # the memory can be decoded inside or outside autocast.
        return memory.to(self.src_embed.weight.dtype), src_pad

    def decode(
        self,
        tgt_in: Tensor,
        memory: Tensor,
        src_key_padding_mask: Tensor | None,
        cache: DecoderCache | None = None,
    ) -> tuple[Tensor, DecoderCache]:
        """Run the decoder, incrementally when a cache is given.

        Start with ``cache=None`` (all of ``tgt_in`` is processed, e.g. just BOS); then pass the
        returned cache back with only the newest token(s). Self-attention keys/values are
        appended to the cache; cross-attention keys/values are computed from ``memory`` on the
        first call and reused afterwards (so ``memory`` is not read again).

        Args:
            tgt_in: ``[B, T]`` target ids: the whole prefix without a cache, the new ones with it.
            memory: Encoder output ``[B, S, d_model]``.
            src_key_padding_mask: ``[B, S]``, True at source padding (or None).
            cache: The cache returned by the previous call, or None.

        Returns:
            ``(logits [B, T, tgt_vocab_size] for the given positions, cache)``.
        """
        _check_ids("tgt_in", tgt_in)
        if memory.dim() != 3:
            raise ValueError(
                f"memory must be 3-D [batch, src_len, d_model], got {tuple(memory.shape)}"
            )
        if cache is None:
            cache = {"length": 0, "layers": [{} for _ in self.decoder_layers]}
        logits, _, _ = self._decode(tgt_in, memory, src_key_padding_mask, cache, False)
        cache["length"] += tgt_in.shape[1]
        return logits, cache

    # ----------------------------------------------------------------------------------------
    def _embed(self, embedding: nn.Embedding, ids: Tensor, offset: int = 0) -> Tensor:
        x = embedding(ids) * math.sqrt(self.config.d_model)
        x = F.dropout(self.positions(x, offset), self.config.dropout, self.training)
        # Under CPU bf16 autocast the residual stream is bf16 (as Megatron-LM's default, without
        # --fp32-residual-connection): the CPU LayerNorm takes bf16 with fp32 affine weights and
        # computes its statistics in fp32, and no layer outside attention casts its input before
        # each projection and back in the backward pass, which costs a CPU step time.
        # On CUDA, autocast runs LayerNorm in fp32, so the stream there is fp32 as before. What
        # `encode` and `features_only` return stays in the parameters' dtype.
        if (
            x.device.type == "cpu"
            and torch.is_autocast_enabled("cpu")
            and torch.get_autocast_dtype("cpu") == torch.bfloat16
        ):
            x = x.to(torch.bfloat16)
        return x

    def _encode(self, src: Tensor, need_weights: bool) -> tuple[Tensor, Tensor, list[Tensor]]:
        _check_ids("src", src)
        src_pad = src.eq(self.config.pad_id)
        x = self._embed(self.src_embed, src)
        weights = []
        for layer in self.encoder_layers:
            x, w = layer(x, src_pad, need_weights)
            if w is not None:
                weights.append(w)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x, src_pad, weights

    def _decode(
        self,
        tgt_in: Tensor,
        memory: Tensor,
        src_pad: Tensor | None,
        cache: DecoderCache | None,
        need_weights: bool,
        project: bool = True,
    ) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        offset = 0 if cache is None else cache["length"]
        x = self._embed(self.tgt_embed, tgt_in, offset)
        self_w, cross_w = [], []
        for i, layer in enumerate(self.decoder_layers):
            layer_cache = None if cache is None else cache["layers"][i]
            x, ws, wc = layer(x, memory, src_pad, layer_cache, need_weights)
            if ws is not None and wc is not None:
                self_w.append(ws)
                cross_w.append(wc)
        if self.decoder_norm is not None:
            x = self.decoder_norm(x)
        return (F.linear(x, self.output_weight) if project else x), self_w, cross_w

    @property
    def output_weight(self) -> Tensor:
        """The output projection's ``[tgt_vocab_size, d_model]`` weight (the target embedding
        when tied)."""
        return self.tgt_embed.weight if self.output_proj is None else self.output_proj.weight


def shift_right(tgt: Tensor, bos_id: int) -> Tensor:
    """The decoder input for teacher forcing: BOS, then the target without its last token.

    Args:
        tgt: ``[B, T]`` target ids (each row ends with EOS, then padding).
        bos_id: The begin-of-sequence id.

    Returns:
        ``[B, T]`` decoder input ids.
    """
    return torch.cat([torch.full_like(tgt[:, :1], bos_id), tgt[:, :-1]], dim=1)


def _check_ids(name: str, ids: Tensor) -> None:
    if ids.dim() != 2:
        raise ValueError(f"{name} must be 2-D [batch, length], got shape {tuple(ids.shape)}")
    if ids.dtype.is_floating_point or ids.dtype == torch.bool:
        raise ValueError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
