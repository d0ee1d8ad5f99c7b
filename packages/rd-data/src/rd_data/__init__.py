"""Assets paths, Hugging Face dataset/model downloads, BPE tokenizers and token-budget batching."""

from importlib.metadata import version as _version

__version__: str = _version("rd-data")

__all__ = ["__version__"]
