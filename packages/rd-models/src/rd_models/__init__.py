"""Model architectures for paper implementations: Transformer, ResNet and their building blocks."""

from importlib.metadata import version as _version

__version__: str = _version("rd-models")

__all__ = ["__version__"]
