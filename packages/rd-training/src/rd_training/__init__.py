"""Training loop, optimizers, LR schedules, losses, atomic checkpoints, run manifests and seeding."""

from importlib.metadata import version as _version

__version__: str = _version("rd-training")

__all__ = ["__version__"]
