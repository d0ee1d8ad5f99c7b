"""Plots for training runs: curves, LR schedules, attention maps. Reads metrics.jsonl; no torch."""

from importlib.metadata import version as _version

__version__: str = _version("rd-viz")

__all__ = ["__version__"]
