"""Thin helpers over torch.distributed for runs started with `torchrun --nproc_per_node N`."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")


def is_distributed() -> bool:
    """True when a process group with more than one rank is active."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def get_rank() -> int:
    """This process's global rank (0 without a process group)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def get_world_size() -> int:
    """Number of ranks (1 without a process group)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """True on rank 0: the only rank that logs and writes checkpoints."""
    return get_rank() == 0


def init_distributed_from_env(device: torch.device, timeout: timedelta | None = None) -> bool:
    """Initialise the default process group when torchrun's `WORLD_SIZE` > 1 is set.

    Uses NCCL for CUDA devices and gloo otherwise. Does nothing when already initialised.

    Args:
        device: this rank's device (it picks the backend; a CUDA device becomes the current one).
        timeout: how long a collective waits for the other ranks (None: torch's default, 10
            minutes for NCCL, 30 for gloo); longer when one rank prepares data the others wait for.

    Returns:
        True if this call created the process group.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    if dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, timeout=timeout)
    return True


def destroy_distributed(wait_for_others: bool = True) -> None:
    """Destroy the default process group (a no-op without one).

    With `wait_for_others`, every rank first meets in a barrier, so no rank closes its
    connections (rank 0 also the store) while another still receives the last collective's
    data. Pass False on a failure path, where another rank may never arrive.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return
    if wait_for_others and dist.get_world_size() > 1:
        dist.barrier()
    dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum `tensor` across ranks in place (no-op without a process group) and return it."""
    if is_distributed():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def barrier() -> None:
    """Wait for every rank (no-op without a process group)."""
    if is_distributed():
        dist.barrier()


def broadcast_object(obj: T, src: int = 0) -> T:
    """Rank `src`'s `obj` on every rank (picklable objects; `obj` itself without a process group).

    E.g. a run directory named after the time: each rank would name its own.
    """
    if not is_distributed():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]
