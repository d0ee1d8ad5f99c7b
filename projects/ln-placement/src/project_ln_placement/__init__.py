"""Post-LN vs pre-LN Transformers on a synthetic sequence-reversal task (an original experiment)."""

from importlib.metadata import version as _version

from project_ln_placement.config import ExperimentConfig
from project_ln_placement.experiment import run_experiment, train_variant
from project_ln_placement.task import ReversalTask

__version__: str = _version("project-ln-placement")

__all__ = ["ExperimentConfig", "ReversalTask", "__version__", "run_experiment", "train_variant"]
