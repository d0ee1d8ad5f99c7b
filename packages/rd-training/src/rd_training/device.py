"""The training device and its precision: which device, autocast, and CPU kernel caching."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any

import torch

from rd_training.config_types import ConfigError
from rd_training.trainer_config import Precision

logger = logging.getLogger(__name__)

AUTOCAST_DTYPES: dict[str, torch.dtype | None] = {
    "fp32": None,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}
"""`TrainerConfig.precision` -> the autocast dtype (None: no autocast)."""

# oneDNN builds a CPU kernel for each new shape; token-budget batches bring new shapes nearly
# every step, and its default cache of 1024 kernels keeps evicting them at bf16/fp16. 4096 held
# every kernel of WMT-shaped data, at ~0.5 MB each.
_ONEDNN_CACHE_CAPACITY = 4096
# oneDNN reads either name (DNNL_ is the older one); a value the user set under either wins.
_ONEDNN_CACHE_VARS = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY")


def select_device(name: str = "auto") -> torch.device:
    """Return the device to train on: "auto" picks cuda > mps > cpu.

    Under torchrun the CUDA device is `cuda:$LOCAL_RANK`.

    Raises:
        ValueError: if the name is not auto, cpu, cuda, cuda:N or mps, or names a device this
            machine does not have.
    """
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):  # a name torch cannot parse, e.g. "tpu"
        device = None
    if device is None or device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"unknown device {name!r} (auto, cpu, cuda, cuda:N or mps)")
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but CUDA is not available")
        if device.index is None:
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        if device.index >= torch.cuda.device_count():
            raise ValueError(
                f"device {str(device)!r} requested but this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' requested but MPS is not available")
    return device


def resolve_device(name: str, key: str = "training.device") -> torch.device:
    """`select_device(name)`, with a `ConfigError` naming `key` when the device is not there
    (for a command line: one line, exit code 2)."""
    try:
        return select_device(name)
    except ValueError as err:  # an unknown name, or cuda asked for on a machine without it
        raise ConfigError(f"{key}: {err}") from None


def prepare_precision(device: torch.device, precision: Precision) -> None:
    """Set up `device` for `precision`: on CPU at bf16/fp16, raise oneDNN's kernel cache.

    The cache size is read once per process, so this runs before the first low-precision
    kernel; a size the user set (under either variable name) is left alone.
    """
    if device.type != "cpu" or AUTOCAST_DTYPES[precision] is None:
        return
    if any(name in os.environ for name in _ONEDNN_CACHE_VARS):
        return
    os.environ[_ONEDNN_CACHE_VARS[0]] = str(_ONEDNN_CACHE_CAPACITY)
    logger.info(
        "%s=%d for %s on CPU (set it yourself to choose)",
        _ONEDNN_CACHE_VARS[0],
        _ONEDNN_CACHE_CAPACITY,
        precision,
    )


def autocast(device: torch.device, precision: Precision) -> contextlib.AbstractContextManager[Any]:
    """`torch.autocast` to the precision's dtype on `device`; nothing for fp32."""
    dtype = AUTOCAST_DTYPES[precision]
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)
