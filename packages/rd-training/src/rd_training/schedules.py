"""Learning-rate schedules: the Transformer paper's (Noam), linear and cosine with warmup, and
step decay at milestones (the ResNet paper's).

Every scheduler here is stepped once per *optimizer* step, and its state is plain numbers, so it
checkpoints as JSON. Step numbers are 1-based: the first optimizer update uses step 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler


def noam_schedule(step: int, d_model: int, warmup_steps: int, scale: float = 1.0) -> float:
    """`scale · d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)` (Vaswani et al., 2017, eq. 3).

    Args:
        step: 1-based optimizer step (values below 1 are treated as 1).
        d_model: model width.
        warmup_steps: steps of linear warmup (the paper uses 4000).
        scale: constant factor (1.0 in the paper; fairseq/tensor2tensor often use 2.0).

    Returns:
        The learning rate at `step`.
    """
    step = max(step, 1)
    return scale * d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


def linear_warmup_schedule(
    step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> float:
    """Multiplier that rises linearly to 1 over `warmup_steps`, then decays linearly to `min_ratio`.

    Args:
        step: 1-based optimizer step.
        warmup_steps: steps of linear warmup (0 for none).
        total_steps: step at which the decay reaches `min_ratio`.
        min_ratio: final multiplier.
    """
    if warmup_steps > 0 and step <= warmup_steps:
        return step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * (1.0 - progress)


def cosine_warmup_schedule(
    step: int, warmup_steps: int, total_steps: int, min_ratio: float = 0.0
) -> float:
    """Multiplier that rises linearly to 1 over `warmup_steps`, then follows a half cosine to `min_ratio`.

    Args:
        step: 1-based optimizer step.
        warmup_steps: steps of linear warmup (0 for none).
        total_steps: step at which the cosine reaches `min_ratio`.
        min_ratio: final multiplier.
    """
    if warmup_steps > 0 and step <= warmup_steps:
        return step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def step_decay_schedule(
    step: int,
    milestones: Sequence[int],
    gamma: float = 0.1,
    warmup_steps: int = 0,
    warmup_factor: float = 1.0,
) -> float:
    """Multiplier `gamma ** (milestones passed)`: step `m + 1` is the first at the next rate.

    Args:
        step: 1-based optimizer step.
        milestones: steps after which the rate is multiplied by `gamma` (e.g. 32000, 48000).
        gamma: the factor at each milestone.
        warmup_steps: the first steps run at `warmup_factor` instead (ResNet-110 starts at 0.01
            for 400 steps, then 0.1).
        warmup_factor: the multiplier of those steps.
    """
    if step <= warmup_steps:
        return warmup_factor
    return gamma ** sum(step > m for m in milestones)


def _check_positive(name: str, value: int, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")


class NoamLR(LRScheduler):
    """Sets every parameter group's lr to `noam_schedule(step, d_model, warmup_steps, scale)`.

    The optimizer's own `lr` is ignored (the paper's schedule is absolute).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        d_model: int,
        warmup_steps: int = 4000,
        scale: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _check_positive("d_model", d_model)
        _check_positive("warmup_steps", warmup_steps)
        self.d_model = d_model
        self.warmup_steps = warmup_steps
        self.scale = scale
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The lr for the next optimizer step (`last_epoch + 1`, 1-based)."""
        lr = noam_schedule(self.last_epoch + 1, self.d_model, self.warmup_steps, self.scale)
        return [lr for _ in self.optimizer.param_groups]


class _WarmupLR(LRScheduler):
    """Base-lr multiplier with warmup; subclasses pick the decay shape."""

    def __init__(
        self,
        optimizer: Optimizer,
        warmup_steps: int,
        total_steps: int,
        min_ratio: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        _check_positive("warmup_steps", warmup_steps, allow_zero=True)
        _check_positive("total_steps", total_steps)
        if not 0.0 <= min_ratio <= 1.0:
            raise ValueError(f"min_ratio must be in [0, 1], got {min_ratio}")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_ratio = min_ratio
        super().__init__(optimizer, last_epoch)

    def _factor(self, step: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The lr for the next optimizer step (`last_epoch + 1`, 1-based)."""
        factor = self._factor(self.last_epoch + 1)
        return [float(base_lr) * factor for base_lr in self.base_lrs]


class WarmupLinearLR(_WarmupLR):
    """`base_lr · linear_warmup_schedule(step, warmup_steps, total_steps, min_ratio)`."""

    def _factor(self, step: int) -> float:
        return linear_warmup_schedule(step, self.warmup_steps, self.total_steps, self.min_ratio)


class WarmupCosineLR(_WarmupLR):
    """`base_lr · cosine_warmup_schedule(step, warmup_steps, total_steps, min_ratio)`."""

    def _factor(self, step: int) -> float:
        return cosine_warmup_schedule(step, self.warmup_steps, self.total_steps, self.min_ratio)


class StepDecayLR(LRScheduler):
    """`base_lr · step_decay_schedule(step, milestones, gamma)`: torch's MultiStepLR, stepped per
    optimizer step, with a state of plain numbers (MultiStepLR keeps a Counter).

    Raises:
        ValueError: milestones not increasing positive steps, `gamma` not in (0, 1], or a
            negative `warmup_steps` or `warmup_factor`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        warmup_steps: int = 0,
        warmup_factor: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _check_positive("warmup_steps", warmup_steps, allow_zero=True)
        if not warmup_factor > 0:
            raise ValueError(f"warmup_factor must be > 0, got {warmup_factor}")
        self.warmup_steps, self.warmup_factor = warmup_steps, warmup_factor
        steps = list(milestones)
        if any(m < 1 for m in steps) or steps != sorted(set(steps)):
            raise ValueError(f"milestones must be increasing positive steps, got {steps}")
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma}")
        self.milestones, self.gamma = steps, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:  # type: ignore[override]
        """The lr for the next optimizer step (`last_epoch + 1`, 1-based)."""
        factor = step_decay_schedule(
            self.last_epoch + 1, self.milestones, self.gamma, self.warmup_steps, self.warmup_factor
        )
        return [float(base_lr) * factor for base_lr in self.base_lrs]
