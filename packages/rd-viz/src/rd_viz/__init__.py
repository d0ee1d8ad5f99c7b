"""Plots for training runs: curves, LR schedules, attention maps. Reads metrics.jsonl; no torch.

The public functions load on first use (module `__getattr__`), so `import rd_viz` and the
`rd-plot --help` console script do not pay for numpy and matplotlib until something is drawn.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

__version__: str = _version("rd-viz")

_EXPORTS = {
    "read_metrics": "rd_viz.metrics_file",
    "MetricsError": "rd_viz.metrics_file",
    "MetricsFileNotFoundError": "rd_viz.metrics_file",
    "TruncatedLineWarning": "rd_viz.metrics_file",
    "plot_training_curves": "rd_viz.curves",
    "ema": "rd_viz.curves",
    "plot_lr_schedule": "rd_viz.lr_schedule",
    "plot_attention": "rd_viz.attention",
    "plot_run_comparison": "rd_viz.comparison",
    "final_metrics": "rd_viz.comparison",
}

__all__ = [
    "MetricsError",
    "MetricsFileNotFoundError",
    "TruncatedLineWarning",
    "__version__",
    "ema",
    "final_metrics",
    "plot_attention",
    "plot_lr_schedule",
    "plot_run_comparison",
    "plot_training_curves",
    "read_metrics",
]

if TYPE_CHECKING:
    from rd_viz.attention import plot_attention
    from rd_viz.comparison import final_metrics, plot_run_comparison
    from rd_viz.curves import ema, plot_training_curves
    from rd_viz.lr_schedule import plot_lr_schedule
    from rd_viz.metrics_file import (
        MetricsError,
        MetricsFileNotFoundError,
        TruncatedLineWarning,
        read_metrics,
    )


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'rd_viz' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
