"""Checkpoints: pickle-free, atomic, complete state, corrupt ones skipped, averaging, pruning."""

import json
import logging
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from rd_training_testkit import TinyLM
from safetensors.torch import load_file

from rd_training import (
    EpochStart,
    LoopState,
    NoamLR,
    average_checkpoints,
    build_optimizer,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from rd_training.checkpoint import prune_checkpoints


def trained(tied: bool = False, steps: int = 3):
    torch.manual_seed(0)
    model = TinyLM(tied=tied)
    optimizer = build_optimizer(model, "adam", lr=1.0)
    scheduler = NoamLR(optimizer, d_model=8, warmup_steps=2)
    for _ in range(steps):
        model(torch.randint(0, 16, (2, 5))).sum().backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
    return model, optimizer, scheduler


@pytest.fixture(autouse=True)
def no_pickle(monkeypatch):
    """Loading must never go through torch.load / pickle."""

    def refuse(*args, **kwargs):
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", refuse)


def test_round_trip_restores_model_optimizer_scheduler_scaler_rng(tmp_path: Path) -> None:
    model, optimizer, scheduler = trained()
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    random.seed(5)
    np.random.seed(5)
    torch.manual_seed(5)
    path = save_checkpoint(
        tmp_path / "step_00000003",
        model,
        optimizer,
        scheduler,
        scaler,
        step=3,
        epoch=1,
        sampler_state={"epoch": 1, "position": 2},
        extra={"note": "x"},
        extra_tensors={"t": torch.arange(3)},
    )
    expected = (random.random(), np.random.rand(), torch.rand(1))

    model2, optimizer2, scheduler2 = trained(steps=0)
    scaler2 = torch.amp.GradScaler("cpu")
    state = load_checkpoint(path, model2, optimizer2, scheduler2, scaler2, restore_rng=True)
    assert (random.random(), np.random.rand(), torch.rand(1)) == expected
    assert state.step == 3 and state.epoch == 1
    assert state.sampler_state == {"epoch": 1, "position": 2} and state.extra == {"note": "x"}
    assert torch.equal(state.extra_tensors["t"], torch.arange(3))
    for a, b in zip(model.state_dict().values(), model2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for pid, s in optimizer.state_dict()["state"].items():
        for key, value in s.items():
            assert torch.equal(value, optimizer2.state_dict()["state"][pid][key])
    assert optimizer2.param_groups[0]["betas"] == (0.9, 0.98)
    assert scheduler2.last_epoch == 3 and scheduler2.get_last_lr() == scheduler.get_last_lr()
    assert scaler2.get_scale() == 1024.0
    assert sorted(p.name for p in path.iterdir()) == [
        "extra.safetensors",
        "model.safetensors",
        "optimizer.safetensors",
        "state.json",
    ]


def test_tied_weights_are_stored_once_and_restored(tmp_path: Path) -> None:
    model, _, _ = trained(tied=True)
    path = save_checkpoint(tmp_path / "step_00000001", model, step=1)
    assert "out.weight" not in load_file(str(path / "model.safetensors"))
    fresh = TinyLM(tied=True)
    load_checkpoint(path, fresh)
    assert fresh.out.weight is fresh.embed.weight
    assert torch.equal(fresh.out.weight, model.out.weight)


def test_failed_save_leaves_nothing_behind(tmp_path: Path) -> None:
    model, optimizer, _ = trained()
    with pytest.raises(TypeError, match="sampler state holds a object"):
        save_checkpoint(
            tmp_path / "step_00000001", model, optimizer, sampler_state={"bad": object()}
        )
    assert list(tmp_path.iterdir()) == []


def test_latest_checkpoint_skips_corrupt_ones_with_a_warning(tmp_path: Path, caplog) -> None:
    model, optimizer, scheduler = trained()
    for step in (1, 2, 3, 4):
        save_checkpoint(
            tmp_path / "checkpoints" / f"step_{step:08d}", model, optimizer, scheduler, step=step
        )
    (tmp_path / "checkpoints" / ".tmp-step_00000005-999").mkdir()  # a save killed mid-way
    assert latest_checkpoint(tmp_path).name == "step_00000004"
    # Truncate the newest weights file and garble the next state.json.
    weights = tmp_path / "checkpoints" / "step_00000004" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:50])
    (tmp_path / "checkpoints" / "step_00000003" / "state.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert latest_checkpoint(tmp_path).name == "step_00000002"
    assert "step_00000004 is incomplete or corrupt" in caplog.text
    assert "step_00000003 is incomplete or corrupt" in caplog.text
    with pytest.raises(ValueError, match="corrupt"):
        load_checkpoint(tmp_path / "checkpoints" / "step_00000004", model)
    assert latest_checkpoint(tmp_path / "missing") is None


def test_missing_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "step_00000001", TinyLM())


def test_average_checkpoints_is_the_elementwise_mean(tmp_path: Path) -> None:
    paths, models = [], []
    for i in range(3):
        torch.manual_seed(i)
        models.append(TinyLM(tied=True))
        paths.append(save_checkpoint(tmp_path / f"step_{i:08d}", models[-1], step=i))
    averaged = average_checkpoints(paths)
    for name in ("embed.weight", "hidden.bias", "out.weight"):
        expected = sum(m.state_dict()[name].double() for m in models) / 3
        torch.testing.assert_close(averaged[name], expected.float())
    target = TinyLM(tied=True)
    target.load_state_dict(averaged)
    with pytest.raises(ValueError, match="at least one"):
        average_checkpoints([])


def test_prune_keeps_last_k_and_protected(tmp_path: Path) -> None:
    model = TinyLM()
    for step in range(1, 7):
        save_checkpoint(tmp_path / f"step_{step:08d}", model, step=step)
    prune_checkpoints(tmp_path, keep_last=2, protect={tmp_path / "step_00000002"})
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "step_00000002",
        "step_00000005",
        "step_00000006",
    ]
    state = json.loads((tmp_path / "step_00000006" / "state.json").read_text())
    assert state["step"] == 6 and state["format_version"] == 1


def test_saving_a_step_again_replaces_it(tmp_path: Path) -> None:
    model = TinyLM()
    save_checkpoint(tmp_path / "step_00000001", model, step=1, extra={"v": 1})
    save_checkpoint(tmp_path / "step_00000001", model, step=1, extra={"v": 2})
    assert load_checkpoint(tmp_path / "step_00000001").extra == {"v": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["step_00000001"]


def test_the_loop_state_round_trips_through_a_checkpoint_and_a_foreign_one_is_refused(
    tmp_path: Path,
) -> None:
    model, optimizer, _ = trained()
    tensors = {"torch": torch.get_rng_state()}
    start = EpochStart([{"epoch": 2, "seed": 1}, None], tensors, {"python": [1], "numpy": [2]})
    loop = LoopState(step=30, epoch=2, batches_in_epoch=7, best={"value": 1.5}, epoch_start=start)
    extra, extra_tensors = loop.checkpoint_payload()
    path = save_checkpoint(
        tmp_path / "step_00000030", model, optimizer, step=30, epoch=2, extra=extra,
        extra_tensors=extra_tensors,
    )  # fmt: skip
    state = json.loads((path / "state.json").read_text())
    assert state["sampler"] is None  # the sampler states are saved once, in the loop state
    restored = LoopState.from_checkpoint(load_checkpoint(path))
    assert restored.epoch_start is not None
    assert torch.equal(restored.epoch_start.rng_tensors["torch"], tensors["torch"])
    restored.epoch_start.rng_tensors = start.rng_tensors
    assert restored == loop

    between = LoopState(step=40, epoch=3, batches_in_epoch=5)  # no epoch started: nothing to replay
    extra, _ = between.checkpoint_payload()
    save_checkpoint(tmp_path / "step_00000040", model, step=40, epoch=3, extra=extra)
    again = LoopState.from_checkpoint(load_checkpoint(tmp_path / "step_00000040"))
    assert again == LoopState(step=40, epoch=3, batches_in_epoch=0)

    save_checkpoint(tmp_path / "step_00000050", model, step=50, extra={"note": "mine"})
    with pytest.raises(ValueError, match="holds no Trainer loop state"):
        LoopState.from_checkpoint(load_checkpoint(tmp_path / "step_00000050"))
