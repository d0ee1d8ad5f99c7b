"""Type stub of the package: its public API, which `__init__.py` loads lazily from it."""

from .attention import MultiHeadAttention as MultiHeadAttention
from .cifar_resnet import (
    PAPER_DEPTHS as PAPER_DEPTHS,
    CifarBlock as CifarBlock,
    CifarResNet as CifarResNet,
    CifarResNetConfig as CifarResNetConfig,
)
from .config import TransformerConfig as TransformerConfig
from .decoding import (
    EncoderDecoder as EncoderDecoder,
    beam_search as beam_search,
    greedy_search as greedy_search,
    reorder_cache as reorder_cache,
)
from .feed_forward import PositionWiseFeedForward as PositionWiseFeedForward
from .hub import (
    HubMixin as HubMixin,
    strip_compile_prefix as strip_compile_prefix,
)
from .layers import (
    DecoderLayer as DecoderLayer,
    EncoderLayer as EncoderLayer,
)
from .params import (
    count_parameters as count_parameters,
    transformer_parameter_count as transformer_parameter_count,
)
from .positional import (
    PositionalEncoding as PositionalEncoding,
    sinusoids as sinusoids,
)
from .resnet import (
    BasicBlock as BasicBlock,
    Bottleneck as Bottleneck,
    ResNet as ResNet,
    ResNetConfig as ResNetConfig,
    resnet18 as resnet18,
    resnet34 as resnet34,
    resnet50 as resnet50,
    resnet101 as resnet101,
    resnet152 as resnet152,
)
from .transformer import (
    DecoderCache as DecoderCache,
    Transformer as Transformer,
    shift_right as shift_right,
)

__version__: str
