"""Type stub of the package: its public API, which `__init__.py` loads lazily from it."""

from .callbacks import (
    EMA as EMA,
    Callback as Callback,
    EarlyStopping as EarlyStopping,
)
from .checkpoint import (
    CheckpointState as CheckpointState,
    average_checkpoints as average_checkpoints,
    latest_checkpoint as latest_checkpoint,
    list_checkpoints as list_checkpoints,
    load_checkpoint as load_checkpoint,
    save_checkpoint as save_checkpoint,
    unwrap_model as unwrap_model,
    verify_checkpoint as verify_checkpoint,
)
from .classification import (
    ClassifierEvaluation as ClassifierEvaluation,
    classification_loss as classification_loss,
    evaluate_classifier as evaluate_classifier,
)
from .config import (
    ConfigError as ConfigError,
    check as check,
    check_positive as check_positive,
    config_to_dict as config_to_dict,
    config_to_yaml as config_to_yaml,
    load_config as load_config,
    parse_overrides as parse_overrides,
    runtime_keys as runtime_keys,
    save_config as save_config,
)
from .config_docs import (
    describe_config as describe_config,
    field_docs as field_docs,
)
from .device import (
    autocast as autocast,
    prepare_precision as prepare_precision,
    resolve_device as resolve_device,
    select_device as select_device,
)
from .distributed import (
    barrier as barrier,
    broadcast_object as broadcast_object,
    destroy_distributed as destroy_distributed,
    get_rank as get_rank,
    get_world_size as get_world_size,
    init_distributed_from_env as init_distributed_from_env,
    is_main_process as is_main_process,
)
from .logging_utils import (
    MetricsLogger as MetricsLogger,
    setup_logger as setup_logger,
)
from .loop_state import (
    EpochStart as EpochStart,
    LoopState as LoopState,
)
from .losses import (
    label_smoothed_cross_entropy as label_smoothed_cross_entropy,
    linear_cross_entropy as linear_cross_entropy,
)
from .manifest import (
    update_manifest as update_manifest,
    write_manifest as write_manifest,
)
from .optim import build_optimizer as build_optimizer
from .protocols import (
    EvalFn as EvalFn,
    LossFn as LossFn,
    StatefulSampler as StatefulSampler,
)
from .run_cli import (
    add_run_arguments as add_run_arguments,
    check_resumable as check_resumable,
    config_help_action as config_help_action,
    run_dir_args as run_dir_args,
    select_run_dir as select_run_dir,
)
from .schedules import (
    NoamLR as NoamLR,
    StepDecayLR as StepDecayLR,
    WarmupCosineLR as WarmupCosineLR,
    WarmupLinearLR as WarmupLinearLR,
    cosine_warmup_schedule as cosine_warmup_schedule,
    linear_warmup_schedule as linear_warmup_schedule,
    noam_schedule as noam_schedule,
    step_decay_schedule as step_decay_schedule,
)
from .seeding import seed_everything as seed_everything
from .sweep import (
    SweepPoint as SweepPoint,
    parse_sweep as parse_sweep,
    point_state as point_state,
    run_sweep as run_sweep,
    setting_of as setting_of,
    sweep_table as sweep_table,
)
from .trainer import (
    NonFiniteLossError as NonFiniteLossError,
    StepResult as StepResult,
    Trainer as Trainer,
    move_to_device as move_to_device,
)
from .trainer_config import TrainerConfig as TrainerConfig

__version__: str
