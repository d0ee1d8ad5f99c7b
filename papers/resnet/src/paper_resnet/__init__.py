"""Deep Residual Learning for Image Recognition (He et al., 2015): the CIFAR-10 ResNets."""

from importlib.metadata import version as _version

__version__: str = _version("paper-resnet")

__all__ = ["__version__"]
