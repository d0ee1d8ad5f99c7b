"""Pickle-free tensor files: safetensors with tied weights, and JSON-safe state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from rd_training.atomic_files import fsync_path


def save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    """Write tensors to a safetensors file; tensors sharing memory (tied weights) are stored once.

    A name whose tensor is an exact alias of an earlier one is recorded in the file's metadata and
    restored by `load_tensors` as the same values under both names.
    """
    unique: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    seen: dict[tuple[Any, ...], str] = {}
    storages: set[int] = set()
    for name, tensor in tensors.items():
        tensor = tensor.detach()
        if tensor.numel() > 0:
            ptr = tensor.untyped_storage().data_ptr()
            view = (
                ptr,
                tensor.storage_offset(),
                tuple(tensor.shape),
                tensor.stride(),
                tensor.dtype,
            )
            if view in seen:
                aliases[name] = seen[view]
                continue
            seen[view] = name
            if ptr in storages:  # a different view into shared memory: store a copy
                tensor = tensor.clone()
            storages.add(ptr)
        unique[name] = tensor.contiguous().cpu()
    save_file(unique, str(path), metadata={"aliases": json.dumps(aliases)})
    fsync_path(path)


def load_tensors(path: Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Read a file written by `save_tensors` (or any safetensors file), restoring aliases."""
    tensors = load_file(str(path), device=str(device))
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
    for name, target in json.loads(metadata.get("aliases", "{}")).items():
        tensors[name] = tensors[target]
    return tensors


def check_tensor_file(path: Path) -> None:
    """Raise if `path` is not a readable safetensors file (parses the header and every key)."""
    with safe_open(str(path), framework="pt") as f:
        for key in f.keys():  # noqa: SIM118 - safe_open has no __iter__
            f.get_slice(key)


def to_jsonable(value: Any, what: str) -> Any:
    """Return `value` with tuples as lists, raising a clear TypeError for anything not JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, what) for k, v in value.items()}
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    raise TypeError(f"{what} holds a {type(value).__name__}, which cannot be saved as JSON")
