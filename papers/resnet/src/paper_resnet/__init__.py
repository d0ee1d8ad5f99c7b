"""Paper resnet, built on rd-models, rd-training, rd-data, rd-viz and torch."""

from importlib.metadata import version as _version

__version__: str = _version("paper-resnet")

__all__ = ["__version__"]
