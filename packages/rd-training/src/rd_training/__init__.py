"""Training loop, optimizers, LR schedules, losses, atomic checkpoints, run manifests and seeding.

Quick start::

    from rd_training import Trainer, TrainerConfig, build_optimizer, NoamLR

    optimizer = build_optimizer(model, "adam", lr=1.0)
    trainer = Trainer(model, TrainerConfig(max_steps=1000), train_data=loader, loss_fn=loss_fn,
                      optimizer=optimizer, scheduler=NoamLR(optimizer, d_model=512),
                      out_dir="assets/outputs/transformer/run1")
    summary = trainer.fit()
"""

from importlib.metadata import version as _version

from rd_training.checkpoint import (
    CheckpointState,
    average_checkpoints,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
    unwrap_model,
    verify_checkpoint,
)
from rd_training.config import (
    ConfigError,
    check,
    check_positive,
    config_to_dict,
    config_to_yaml,
    load_config,
    parse_overrides,
    runtime_keys,
    save_config,
)
from rd_training.config_docs import describe_config, field_docs
from rd_training.device import autocast, prepare_precision, select_device
from rd_training.distributed import (
    barrier,
    broadcast_object,
    get_rank,
    get_world_size,
    init_distributed_from_env,
    is_main_process,
)
from rd_training.logging_utils import MetricsLogger, setup_logger
from rd_training.loop_state import EpochStart, LoopState
from rd_training.losses import label_smoothed_cross_entropy, linear_cross_entropy
from rd_training.manifest import update_manifest, write_manifest
from rd_training.optim import build_optimizer
from rd_training.protocols import EvalFn, LossFn, StatefulSampler
from rd_training.schedules import (
    NoamLR,
    WarmupCosineLR,
    WarmupLinearLR,
    cosine_warmup_schedule,
    linear_warmup_schedule,
    noam_schedule,
)
from rd_training.seeding import seed_everything
from rd_training.trainer import NonFiniteLossError, StepResult, Trainer, move_to_device
from rd_training.trainer_config import TrainerConfig

__version__: str = _version("rd-training")

__all__ = [
    "CheckpointState",
    "ConfigError",
    "EpochStart",
    "EvalFn",
    "LoopState",
    "LossFn",
    "MetricsLogger",
    "NoamLR",
    "NonFiniteLossError",
    "StatefulSampler",
    "StepResult",
    "Trainer",
    "TrainerConfig",
    "WarmupCosineLR",
    "WarmupLinearLR",
    "__version__",
    "autocast",
    "average_checkpoints",
    "barrier",
    "broadcast_object",
    "build_optimizer",
    "check",
    "check_positive",
    "config_to_dict",
    "config_to_yaml",
    "cosine_warmup_schedule",
    "describe_config",
    "field_docs",
    "get_rank",
    "get_world_size",
    "init_distributed_from_env",
    "is_main_process",
    "label_smoothed_cross_entropy",
    "latest_checkpoint",
    "linear_cross_entropy",
    "linear_warmup_schedule",
    "list_checkpoints",
    "load_checkpoint",
    "load_config",
    "move_to_device",
    "noam_schedule",
    "parse_overrides",
    "prepare_precision",
    "runtime_keys",
    "save_checkpoint",
    "save_config",
    "seed_everything",
    "select_device",
    "setup_logger",
    "unwrap_model",
    "update_manifest",
    "verify_checkpoint",
    "write_manifest",
]
