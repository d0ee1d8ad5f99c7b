"""Plots for training runs: curves, LR schedules, attention maps, confusion matrices. Reads
metrics.jsonl; no torch.

Each name is imported on first use (`__init__.pyi` lists them), so `import rd_viz` and the
`rd-plot --help` console script do not pay for numpy and matplotlib until something is drawn.
"""

from importlib.metadata import version as _version

import lazy_loader as _lazy

__getattr__, __dir__, _public = _lazy.attach_stub(__name__, __file__)

__version__: str = _version("rd-viz")

__all__ = [*_public, "__version__"]
