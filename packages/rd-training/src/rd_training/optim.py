"""Adam, AdamW and SGD with the fastest available implementation (fused, else foreach)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn


def build_optimizer(
    model: nn.Module,
    name: str = "adamw",
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.98),
    eps: float = 1e-9,
    weight_decay: float = 0.0,
    fused: bool | None = None,
    momentum: float = 0.9,
) -> torch.optim.Optimizer:
    """Build Adam, AdamW or SGD over `model`'s trainable parameters.

    Biases and normalisation weights (tensors with fewer than 2 dims) get no weight decay. The
    defaults are the Transformer paper's Adam settings (beta2 = 0.98, eps = 1e-9); "sgd" with
    `momentum=0.9, weight_decay=1e-4` is the ResNet paper's.

    Args:
        model: the module whose `requires_grad` parameters are optimised.
        name: "adam", "adamw" or "sgd".
        lr: learning rate (a scheduler such as `NoamLR` may override it).
        betas: Adam betas (not used by SGD).
        eps: Adam epsilon (not used by SGD).
        weight_decay: L2 (adam, sgd) or decoupled (adamw) weight decay for weights of 2 or more
            dimensions (matrices, convolution kernels).
        fused: use the fused kernel; None picks it for parameters on CPU or CUDA (where the
            Trainer puts them; it is faster than torch's default foreach step there) and
            leaves torch's default elsewhere.
        momentum: SGD momentum (not used by Adam).

    Returns:
        The optimizer.

    Raises:
        ValueError: for an unknown name or invalid hyperparameters.
    """
    classes = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}
    if name.lower() not in classes:
        raise ValueError(f"optimizer name must be one of {sorted(classes)}, got {name!r}")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    if weight_decay < 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    groups: list[dict[str, Any]] = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    if fused is None:
        fused = all(p.device.type in ("cpu", "cuda") for p in params)
    kwargs: dict[str, Any] = {"lr": lr}
    if name.lower() == "sgd":
        kwargs["momentum"] = momentum
    else:
        kwargs.update(betas=tuple(betas), eps=eps)
    if fused:
        kwargs["fused"] = True
    return classes[name.lower()](groups, **kwargs)
