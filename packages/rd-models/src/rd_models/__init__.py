"""Model architectures for paper implementations: Transformer, ResNet and their building blocks."""

from importlib.metadata import version as _version

import lazy_loader as _lazy

# Each name is imported on first use (`__init__.pyi` lists them, for type checkers too), so a
# config dataclass loads without torch: `train --help` answers in a fraction of a second.
__getattr__, __dir__, _public = _lazy.attach_stub(__name__, __file__)

__version__: str = _version("rd-models")

__all__ = [*_public, "__version__"]
