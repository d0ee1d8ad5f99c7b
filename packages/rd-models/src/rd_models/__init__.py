"""Model architectures for paper implementations: Transformer, ResNet and their building blocks."""

from importlib.metadata import version as _version

from rd_models.attention import MultiHeadAttention
from rd_models.config import TransformerConfig
from rd_models.decoding import EncoderDecoder, beam_search, greedy_search, reorder_cache
from rd_models.feed_forward import PositionWiseFeedForward
from rd_models.hub import HubMixin, strip_compile_prefix
from rd_models.layers import DecoderLayer, EncoderLayer
from rd_models.params import count_parameters, transformer_parameter_count
from rd_models.positional import PositionalEncoding, sinusoids
from rd_models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ResNetConfig,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from rd_models.transformer import DecoderCache, Transformer, shift_right

__version__: str = _version("rd-models")

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "DecoderCache",
    "DecoderLayer",
    "EncoderDecoder",
    "EncoderLayer",
    "HubMixin",
    "MultiHeadAttention",
    "PositionWiseFeedForward",
    "PositionalEncoding",
    "ResNet",
    "ResNetConfig",
    "Transformer",
    "TransformerConfig",
    "__version__",
    "beam_search",
    "count_parameters",
    "greedy_search",
    "reorder_cache",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "shift_right",
    "sinusoids",
    "strip_compile_prefix",
    "transformer_parameter_count",
]
