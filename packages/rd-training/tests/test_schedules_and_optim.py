"""LR schedules follow their formulas per optimizer step; build_optimizer groups weight decay."""

import json
import math

import pytest
import torch
from torch import nn

from rd_training import (
    NoamLR,
    StepDecayLR,
    WarmupCosineLR,
    WarmupLinearLR,
    build_optimizer,
    cosine_warmup_schedule,
    linear_warmup_schedule,
    noam_schedule,
    step_decay_schedule,
)


def test_noam_schedule_is_the_papers_formula() -> None:
    d, warmup = 512, 4000
    for step in (1, 100, 3999, 4000, 4001, 100_000):
        expected = d**-0.5 * min(step**-0.5, step * warmup**-1.5)
        assert noam_schedule(step, d, warmup) == pytest.approx(expected)
    peak = noam_schedule(warmup, d, warmup)
    assert peak == pytest.approx(d**-0.5 * warmup**-0.5)
    assert noam_schedule(warmup - 1, d, warmup) < peak > noam_schedule(warmup + 1, d, warmup)
    assert noam_schedule(10, d, warmup, scale=2.0) == pytest.approx(
        2 * noam_schedule(10, d, warmup)
    )


def _lrs(scheduler, optimizer, steps: int) -> list[float]:
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_noam_lr_sets_the_absolute_rate_for_steps_1_2_3() -> None:
    optimizer = torch.optim.Adam(nn.Linear(2, 2).parameters(), lr=123.0)
    lrs = _lrs(NoamLR(optimizer, d_model=64, warmup_steps=10), optimizer, 30)
    assert lrs == pytest.approx([noam_schedule(s, 64, 10) for s in range(1, 31)])


def test_warmup_schedules_rise_linearly_then_decay_to_min_ratio() -> None:
    assert [linear_warmup_schedule(s, 4, 10) for s in (1, 2, 4, 7, 10, 20)] == pytest.approx(
        [0.25, 0.5, 1.0, 0.5, 0.0, 0.0]
    )
    assert cosine_warmup_schedule(2, 4, 10) == pytest.approx(0.5)
    assert cosine_warmup_schedule(7, 4, 10) == pytest.approx(0.5)
    assert cosine_warmup_schedule(10, 4, 10, min_ratio=0.1) == pytest.approx(0.1)
    assert linear_warmup_schedule(1, 0, 10) == pytest.approx(0.9)


@pytest.mark.parametrize(
    "cls,fn", [(WarmupLinearLR, linear_warmup_schedule), (WarmupCosineLR, cosine_warmup_schedule)]
)
def test_warmup_schedulers_scale_the_base_lr(cls, fn) -> None:
    optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.5)
    lrs = _lrs(cls(optimizer, warmup_steps=3, total_steps=12), optimizer, 12)
    assert lrs == pytest.approx([0.5 * fn(s, 3, 12) for s in range(1, 13)])


def test_scheduler_state_is_plain_json_and_round_trips() -> None:
    optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=1.0)
    scheduler = NoamLR(optimizer, d_model=8, warmup_steps=3)
    _lrs(scheduler, optimizer, 5)
    state = json.loads(json.dumps(scheduler.state_dict()))
    optimizer2 = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=1.0)
    scheduler2 = NoamLR(optimizer2, d_model=8, warmup_steps=3)
    scheduler2.load_state_dict(state)
    assert scheduler2.last_epoch == 5
    assert scheduler2.get_last_lr() == scheduler.get_last_lr()


def test_schedule_arguments_are_validated() -> None:
    optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=1.0)
    with pytest.raises(ValueError, match="warmup_steps"):
        NoamLR(optimizer, d_model=8, warmup_steps=0)
    with pytest.raises(ValueError, match="total_steps"):
        WarmupCosineLR(optimizer, warmup_steps=1, total_steps=0)
    with pytest.raises(ValueError, match="min_ratio"):
        WarmupLinearLR(optimizer, warmup_steps=1, total_steps=5, min_ratio=2.0)


def test_build_optimizer_skips_decay_for_biases_and_norms() -> None:
    model = nn.Sequential(nn.Linear(4, 4), nn.LayerNorm(4))
    optimizer = build_optimizer(model, "adamw", lr=1e-3, weight_decay=0.1)
    assert isinstance(optimizer, torch.optim.AdamW)
    decay, no_decay = optimizer.param_groups
    assert decay["weight_decay"] == 0.1 and len(decay["params"]) == 1
    assert no_decay["weight_decay"] == 0.0 and len(no_decay["params"]) == 3
    assert decay["betas"] == (0.9, 0.98) and decay["eps"] == 1e-9
    assert isinstance(build_optimizer(model, "Adam", fused=False), torch.optim.Adam)


def test_build_optimizer_rejects_bad_input() -> None:
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="optimizer name"):
        build_optimizer(model, "lamb")
    with pytest.raises(ValueError, match="momentum"):
        build_optimizer(model, "sgd", momentum=1.0)
    for lr in (0.0, -1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            build_optimizer(model, lr=lr)
    with pytest.raises(ValueError, match="weight_decay"):
        build_optimizer(model, weight_decay=-1.0)
    assert not math.isnan(build_optimizer(model).param_groups[0]["lr"])


def test_build_optimizer_uses_the_fused_kernel_on_cpu_by_default() -> None:
    model = torch.nn.Linear(4, 4)
    assert build_optimizer(model, "adam").defaults["fused"] is True
    assert not build_optimizer(model, "adam", fused=False).defaults.get("fused")


def test_step_decay_divides_the_rate_after_each_milestone_as_the_resnet_paper() -> None:
    optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    lrs = _lrs(StepDecayLR(optimizer, milestones=[3, 5], gamma=0.1), optimizer, 7)
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001])
    # torch's MultiStepLR gives the same rates (its state holds a Counter, not plain JSON).
    reference = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    assert _lrs(torch.optim.lr_scheduler.MultiStepLR(reference, [3, 5]), reference, 7) == (
        pytest.approx(lrs)
    )
    assert step_decay_schedule(32_001, [32_000, 48_000]) == pytest.approx(0.1)
    warm = [
        step_decay_schedule(s, [6], 0.1, warmup_steps=2, warmup_factor=0.1) for s in (1, 2, 3, 7)
    ]
    assert warm == pytest.approx([0.1, 0.1, 1.0, 0.1])  # ResNet-110's 0.01 first, then 0.1
    state = json.loads(json.dumps(StepDecayLR(optimizer, [3, 5]).state_dict()))
    assert state["milestones"] == [3, 5]
    with pytest.raises(ValueError, match="milestones"):
        StepDecayLR(optimizer, [5, 3])
    with pytest.raises(ValueError, match="gamma"):
        StepDecayLR(optimizer, [3], gamma=0.0)


def test_sgd_has_momentum_and_no_weight_decay_on_biases_and_batch_norm() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Linear(4, 2))
    optimizer = build_optimizer(model, "sgd", lr=0.1, weight_decay=1e-4, momentum=0.9)
    assert isinstance(optimizer, torch.optim.SGD)
    decay, no_decay = optimizer.param_groups
    assert [p.ndim for p in decay["params"]] == [4, 2] and decay["weight_decay"] == 1e-4
    assert len(no_decay["params"]) == 4 and no_decay["weight_decay"] == 0.0
    assert decay["momentum"] == 0.9 and "betas" not in decay
