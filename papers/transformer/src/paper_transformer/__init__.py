"""Attention Is All You Need (Vaswani et al., 2017), built on the rd-* libraries."""

from importlib.metadata import version as _version

__version__: str = _version("paper-transformer")

__all__ = ["__version__"]
