"""Atomic, pickle-free checkpoints: safetensors for tensors, JSON for everything else.

A checkpoint is a directory `step_00001234/` holding `model.safetensors`, `optimizer.safetensors`,
`extra.safetensors` (RNG generator states and other tensors) and `state.json` (step, epoch,
optimizer hyperparameters, scheduler and grad-scaler state, python/numpy RNG, sampler position,
file sizes). It is written into a temporary directory, fsynced and renamed, so a directory with a
final name is always complete; `latest_checkpoint` still verifies it and skips damaged ones.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rd_training.atomic_files import fsync_path, write_json
from rd_training.seeding import get_rng_state, set_rng_state
from rd_training.tensor_io import check_tensor_file, load_tensors, save_tensors, to_jsonable

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
_STEP_DIR = re.compile(r"^step_(\d+)$")
_FILES = ("model.safetensors", "optimizer.safetensors", "extra.safetensors", "state.json")


@dataclass
class CheckpointState:
    """What `load_checkpoint` read besides the tensors it loaded into the given objects."""

    path: Path
    """The checkpoint directory."""
    step: int
    """Optimizer steps completed when it was saved."""
    epoch: int
    """Epoch (0-based) the run was in."""
    sampler_state: dict[str, Any] | None
    """The data sampler's `state_dict()`, if one was saved."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form JSON the caller saved (the Trainer keeps its loop position and best metric here)."""
    extra_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    """Free-form tensors the caller saved."""
    rng_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    """torch/cuda RNG states at save time."""
    rng_json: dict[str, Any] = field(default_factory=dict)
    """python/numpy RNG states at save time."""


def checkpoint_dir_name(step: int) -> str:
    """`step_00001234`: names sort by step."""
    return f"step_{step:08d}"


def unwrap_model(model: nn.Module) -> nn.Module:
    """Strip DDP (`.module`) and torch.compile (`._orig_mod`) wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod") and isinstance(model._orig_mod, nn.Module):
            model = model._orig_mod
        else:
            return model


def _optimizer_to_files(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], Any]:
    state_dict = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    plain: dict[str, dict[str, Any]] = {}
    for pid, param_state in state_dict["state"].items():
        plain[str(pid)] = {}
        for key, value in param_state.items():
            if isinstance(value, torch.Tensor):
                tensors[f"state.{pid}.{key}"] = value
            else:
                plain[str(pid)][key] = to_jsonable(value, "optimizer state")
    groups = to_jsonable(state_dict["param_groups"], "optimizer param_groups")
    return tensors, {"state": plain, "param_groups": groups}


def _optimizer_from_files(tensors: dict[str, torch.Tensor], saved: dict[str, Any]) -> dict:
    state: dict[int, dict[str, Any]] = {int(pid): dict(v) for pid, v in saved["state"].items()}
    for name, tensor in tensors.items():
        _, pid, key = name.split(".", 2)
        state.setdefault(int(pid), {})[key] = tensor
    groups = [
        {k: tuple(v) if k == "betas" else v for k, v in group.items()}
        for group in saved["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: torch.amp.GradScaler | None = None,
    *,
    step: int = 0,
    epoch: int = 0,
    sampler_state: dict[str, Any] | None = None,
    save_rng: bool = True,
    extra: dict[str, Any] | None = None,
    extra_tensors: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write a checkpoint directory atomically.

    Args:
        path: the checkpoint directory to create (e.g. `run/checkpoints/step_00001000`). An
            existing one is replaced.
        model: model whose `state_dict()` is saved (DDP/compile wrappers are stripped).
        optimizer: optimizer to save (tensors to safetensors, hyperparameters to JSON).
        scheduler: LR scheduler; its `state_dict()` must be JSON-serialisable.
        scaler: fp16 grad scaler.
        step: optimizer steps completed.
        epoch: current epoch.
        sampler_state: the data sampler's `state_dict()` (JSON-serialisable).
        save_rng: also save python/numpy/torch/cuda RNG states.
        extra: more JSON to store.
        extra_tensors: more tensors to store.

    Returns:
        The checkpoint directory.

    Raises:
        TypeError: if some state is not JSON-serialisable (nothing is left behind).
    """
    path = Path(path)
    tmp = path.parent / f".tmp-{path.name}-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        save_tensors(unwrap_model(model).state_dict(), tmp / "model.safetensors")
        opt_tensors, opt_json = _optimizer_to_files(optimizer) if optimizer else ({}, None)
        save_tensors(opt_tensors, tmp / "optimizer.safetensors")
        rng_tensors, rng_json = get_rng_state() if save_rng else ({}, {})
        more = {f"rng.{k}": v for k, v in rng_tensors.items()}
        more.update({f"extra.{k}": v for k, v in (extra_tensors or {}).items()})
        save_tensors(more, tmp / "extra.safetensors")
        state = {
            "format_version": FORMAT_VERSION,
            "step": step,
            "epoch": epoch,
            "optimizer": opt_json,
            "scheduler": _jsonable_state(scheduler, "scheduler state"),
            "scaler": _jsonable_state(scaler, "grad scaler state"),
            "sampler": to_jsonable(sampler_state, "sampler state"),
            "rng": rng_json,
            "extra": to_jsonable(extra or {}, "checkpoint extra"),
            "file_sizes": {n: (tmp / n).stat().st_size for n in _FILES[:3]},
        }
        write_json(state, tmp / "state.json")
        fsync_path(tmp)
        _rename_into_place(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _jsonable_state(stateful: Any | None, what: str) -> Any:
    return to_jsonable(stateful.state_dict(), what) if stateful is not None else None


def _rename_into_place(tmp: Path, path: Path) -> None:
    """Rename the complete `tmp` to `path`, replacing a checkpoint already there (a step re-saved
    when it became the best after the final evaluation)."""
    trash = None
    if path.exists():
        trash = path.parent / f".tmp-{path.name}-old-{os.getpid()}"
        os.rename(path, trash)
    os.rename(tmp, path)
    fsync_path(path.parent)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)


def verify_checkpoint(path: str | Path) -> dict[str, Any]:
    """Check a checkpoint directory is complete and readable; return its parsed `state.json`.

    Raises:
        ValueError: naming what is missing or damaged.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"checkpoint {path} does not exist")
    try:
        state = json.loads((path / "state.json").read_text(encoding="utf-8"))
        for name, size in state["file_sizes"].items():
            actual = (path / name).stat().st_size
            if actual != size:
                raise ValueError(f"{name} has {actual} bytes, expected {size}")
            check_tensor_file(path / name)
    except (OSError, KeyError, TypeError, json.JSONDecodeError, ValueError) as err:
        raise ValueError(f"checkpoint {path} is incomplete or corrupt: {err}") from err
    except Exception as err:  # safetensors raises its own error types
        raise ValueError(f"checkpoint {path} is incomplete or corrupt: {err}") from err
    return state


def load_checkpoint(
    path: str | Path,
    model: nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
    scaler: torch.amp.GradScaler | None = None,
    *,
    restore_rng: bool = False,
    strict: bool = True,
) -> CheckpointState:
    """Load a checkpoint written by `save_checkpoint` into the given objects. Never unpickles.

    Args:
        path: the checkpoint directory.
        model: receives the weights (on its current device).
        optimizer: receives the optimizer state.
        scheduler: receives the scheduler state.
        scaler: receives the grad-scaler state.
        restore_rng: also restore python/numpy/torch/cuda RNG states.
        strict: passed to `model.load_state_dict`.

    Returns:
        The step, epoch, sampler state and extras.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the checkpoint is incomplete or corrupt.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    state = verify_checkpoint(path)
    if model is not None:
        model = unwrap_model(model)
        weights = load_tensors(path / "model.safetensors")
        model.load_state_dict(weights, strict=strict)
    if optimizer is not None:
        if state["optimizer"] is None:
            raise ValueError(f"checkpoint {path} holds no optimizer state")
        opt_tensors = load_tensors(path / "optimizer.safetensors")
        optimizer.load_state_dict(_optimizer_from_files(opt_tensors, state["optimizer"]))
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"]:
        scaler.load_state_dict(state["scaler"])
    more = load_tensors(path / "extra.safetensors")
    rng_tensors = {k[4:]: v for k, v in more.items() if k.startswith("rng.")}
    if restore_rng and rng_tensors:
        set_rng_state(rng_tensors, state["rng"])
    return CheckpointState(
        path=path,
        step=int(state["step"]),
        epoch=int(state["epoch"]),
        sampler_state=state["sampler"],
        extra=state["extra"],
        extra_tensors={k[6:]: v for k, v in more.items() if k.startswith("extra.")},
        rng_tensors=rng_tensors,
        rng_json=state["rng"],
    )


def _checkpoints_dir(directory: Path) -> Path:
    return directory / "checkpoints" if (directory / "checkpoints").is_dir() else directory


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoint directories (`step_*`) under `directory` or `directory/checkpoints`, oldest first."""
    root = _checkpoints_dir(Path(directory))
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _STEP_DIR.match(p.name))]
    return [p for _, p in sorted(found)]


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest complete checkpoint under a run or checkpoints directory, or None.

    Incomplete or corrupt checkpoints are skipped with a warning.
    """
    for path in reversed(list_checkpoints(directory)):
        try:
            verify_checkpoint(path)
        except ValueError as err:
            logger.warning("skipping %s", err)
            continue
        return path
    return None


def prune_checkpoints(directory: str | Path, keep_last: int, protect: Iterable[Path] = ()) -> None:
    """Delete all but the newest `keep_last` checkpoints (never one in `protect`) and stale temp dirs."""
    root = _checkpoints_dir(Path(directory))
    paths = list_checkpoints(root)
    protected = {p.resolve() for p in protect}
    for path in paths[: max(0, len(paths) - keep_last)]:
        if path.resolve() not in protected:
            shutil.rmtree(path, ignore_errors=True)
    for stale in root.glob(".tmp-step_*"):
        if not stale.name.endswith(f"-{os.getpid()}"):
            shutil.rmtree(stale, ignore_errors=True)


def average_checkpoints(paths: Sequence[str | Path]) -> dict[str, torch.Tensor]:
    """Average the model weights of several checkpoints (the paper averages the last 5 or 20).

    Floating-point tensors are averaged in float64 and cast back; integer tensors (counters) are
    taken from the last checkpoint.

    Args:
        paths: checkpoint directories or `model.safetensors` files.

    Returns:
        A state dict to pass to `model.load_state_dict`.

    Raises:
        ValueError: if `paths` is empty or the checkpoints hold different tensors.
    """
    if not paths:
        raise ValueError("average_checkpoints needs at least one checkpoint path")
    total: dict[str, torch.Tensor] = {}
    last: dict[str, torch.Tensor] = {}
    for path in paths:
        file = Path(path) / "model.safetensors" if Path(path).is_dir() else Path(path)
        last = load_tensors(file)
        if total and set(last) != set(total):
            raise ValueError(f"checkpoint {path} holds different tensors than {paths[0]}")
        for name, tensor in last.items():
            if tensor.is_floating_point():
                total[name] = total.get(name, 0) + tensor.double()
            else:
                total[name] = tensor
    return {
        name: (total[name] / len(paths)).to(tensor.dtype) if tensor.is_floating_point() else tensor
        for name, tensor in last.items()
    }
