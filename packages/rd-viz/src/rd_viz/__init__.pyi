"""Type stub of the package: its public API, which `__init__.py` loads lazily from it."""

from .attention import plot_attention as plot_attention
from .comparison import (
    final_metrics as final_metrics,
    final_values as final_values,
    plot_run_comparison as plot_run_comparison,
    plot_sweep as plot_sweep,
)
from .confusion import plot_confusion_matrix as plot_confusion_matrix
from .curves import ema as ema, plot_training_curves as plot_training_curves
from .lr_schedule import plot_lr_schedule as plot_lr_schedule
from .metrics_file import (
    MetricsError as MetricsError,
    MetricsFileNotFoundError as MetricsFileNotFoundError,
    TruncatedLineWarning as TruncatedLineWarning,
    read_metrics as read_metrics,
)

__version__: str
