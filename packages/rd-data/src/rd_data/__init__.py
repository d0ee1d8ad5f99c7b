"""Assets paths, Hugging Face dataset/model downloads, BPE tokenizers, token-budget batching and
image batches.

`import rd_data` is light: each name is imported on first use (`__init__.pyi` lists them), and
datasets, huggingface_hub and torch only by the functions that need them.
"""

from importlib.metadata import version as _version

import lazy_loader as _lazy

__getattr__, __dir__, _public = _lazy.attach_stub(__name__, __file__)

__version__: str = _version("rd-data")

__all__ = [*_public, "__version__"]
