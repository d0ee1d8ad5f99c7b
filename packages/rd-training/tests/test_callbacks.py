"""Callbacks: the events a hook sees, early stopping, EMA, and their exact resume."""

import json
from pathlib import Path

import pytest
import torch
from rd_training_testkit import make_trainer
from safetensors.torch import load_file

from rd_training import EMA, Callback, EarlyStopping, TrainerConfig


class Recorder(Callback):
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_fit_start(self, trainer) -> None:
        self.events.append(("fit_start", trainer.step))

    def on_step_end(self, trainer, result) -> None:
        self.events.append(("step", trainer.step, result.loss))

    def on_eval_end(self, trainer, metrics) -> None:
        self.events.append(("eval", trainer.step, metrics["worse"]))

    def on_save(self, trainer, checkpoint) -> None:
        self.events.append(("save", Path(checkpoint).name))

    def on_fit_end(self, trainer, summary) -> None:
        self.events.append(("fit_end", summary["step"]))


def worsening_eval(model, step: int) -> dict[str, float]:
    """A real validation loss, and a metric that only gets worse (for early stopping)."""
    weight = next(model.parameters())
    return {"loss": float(weight.double().square().sum()), "worse": float(step)}


def test_a_callback_sees_every_event_in_order(tmp_path: Path) -> None:
    recorder = Recorder()
    make_trainer(
        tmp_path, max_steps=4, eval_every=2, save_every=4, eval_fn=worsening_eval,
        callbacks=[recorder],
    ).fit()  # fmt: skip
    kinds = [e[:2] if e[0] != "save" else e for e in recorder.events]
    assert kinds == [
        ("fit_start", 0),
        ("step", 1),
        ("step", 2),
        ("eval", 2),
        ("step", 3),
        ("step", 4),
        ("eval", 4),
        ("save", "step_00000004"),
        ("fit_end", 4),
    ]
    logged = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    train_losses = [r["loss"] for r in logged if r["split"] == "train"]
    assert [e[2] for e in recorder.events if e[0] == "step"] == train_losses


def test_early_stopping_ends_the_run_after_patience_evaluations_without_improvement(
    tmp_path: Path,
) -> None:
    stopper = EarlyStopping("valid/worse", mode="min", patience=2)
    summary = make_trainer(
        tmp_path, max_steps=30, eval_every=3, eval_fn=worsening_eval, callbacks=[stopper]
    ).fit()
    # Evaluations at 3 (best), 6 and 9 (no better): the second without improvement stops it.
    assert summary["step"] == 9 and summary["status"] == "completed"
    assert "valid/worse has not improved" in summary["stopped_early"]
    assert summary["last_checkpoint"].endswith("step_00000009")
    assert (stopper.best, stopper.bad_evals) == (3.0, 2)


def test_patience_in_the_config_stops_on_the_best_metric(tmp_path: Path) -> None:
    summary = make_trainer(
        tmp_path, max_steps=30, eval_every=2, eval_fn=worsening_eval,
        best_metric="worse", best_mode="max", patience=1,
    ).fit()  # fmt: skip
    assert summary["stopped_early"] is None and summary["step"] == 30  # "max": always better
    summary = make_trainer(
        tmp_path / "min", max_steps=30, eval_every=2, eval_fn=worsening_eval,
        best_metric="worse", patience=1,
    ).fit()  # fmt: skip
    assert summary["step"] == 4 and summary["best"]["step"] == 2


def test_ema_follows_its_formula_and_is_what_eval_fn_sees(tmp_path: Path) -> None:
    seen: list[torch.nn.Module] = []
    weights: list[torch.Tensor] = []

    class Weights(Callback):
        def on_step_end(self, trainer, result) -> None:
            weights.append(trainer.model.embed.weight.detach().clone())

    def eval_fn(model, step):
        seen.append(model)
        return {"loss": 0.0}

    trainer = make_trainer(
        tmp_path, max_steps=3, ema_decay=0.5, eval_fn=eval_fn, callbacks=[Weights()]
    )
    trainer.fit()
    expected = weights[0]  # the first update copies the weights
    for w in weights[1:]:
        expected = 0.5 * expected + 0.5 * w
    torch.testing.assert_close(trainer.ema.module.embed.weight, expected)
    assert not torch.equal(trainer.ema.module.embed.weight, trainer.model.embed.weight)
    assert seen == [trainer.ema.module]


class InterruptAt(Callback):
    """Ctrl-C at a given step: the run stops without saving (its last checkpoint is older)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, trainer, result) -> None:
        if trainer.step == self.step:
            raise KeyboardInterrupt


def test_a_resumed_run_with_ema_and_early_stopping_matches_an_uninterrupted_one(
    tmp_path: Path,
) -> None:
    def run(out: Path, **kwargs):
        return make_trainer(
            out, max_steps=30, eval_every=5, save_every=5, ema_decay=0.8, eval_fn=worsening_eval,
            **kwargs,
        )  # fmt: skip

    def stopper() -> EarlyStopping:
        return EarlyStopping("worse", patience=3)

    reference = run(tmp_path / "reference", callbacks=[stopper()]).fit()
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", callbacks=[stopper(), InterruptAt(13)]).fit()
    resumed = run(tmp_path / "resumed", callbacks=[stopper()], resume="auto").fit()

    # Evaluations at 5 (best), 10, 15, 20: the interrupted run's checkpoint 10 held 1 of 3.
    assert reference["step"] == resumed["step"] == 20
    logs = [
        [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
        for name in ("reference", "resumed")
    ]
    strip = [
        [{k: v for k, v in r.items() if k not in ("time", "tokens_per_s")} for r in log]
        for log in logs
    ]
    assert strip[0] == strip[1]  # train and valid records, the EMA's valid loss among them
    final = "checkpoints/step_00000020"
    for name in ("model.safetensors", "extra.safetensors"):
        a = load_file(str(tmp_path / "reference" / final / name))
        b = load_file(str(tmp_path / "resumed" / final / name))
        assert a.keys() == b.keys()
        for key in a:
            assert torch.equal(a[key], b[key]), key
    extra = load_file(str(tmp_path / "resumed" / final / "extra.safetensors"))
    assert "extra.callback.EMA.module.embed.weight" in extra


def test_callback_settings_that_cannot_work_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"patience needs TrainerConfig\.best_metric"):
        TrainerConfig(max_steps=1, patience=2)
    with pytest.raises(ValueError, match=r"ema_decay must be in \(0, 1\)"):
        TrainerConfig(max_steps=1, ema_decay=1.0)
    with pytest.raises(ValueError, match="patience must be an integer >= 1"):
        EarlyStopping("loss", patience=0)
    with pytest.raises(ValueError, match="at most one EMA"):
        make_trainer(tmp_path, max_steps=1, ema_decay=0.9, callbacks=[EMA(0.5)])
    with pytest.raises(ValueError, match="distinct names"):
        make_trainer(tmp_path, max_steps=1, callbacks=[Recorder(), Recorder()])
    stopper = EarlyStopping("bleu", patience=1)
    trainer = make_trainer(
        tmp_path / "r", max_steps=2, eval_every=1, eval_fn=worsening_eval, callbacks=[stopper]
    )
    with pytest.raises(ValueError, match="'bleu' is not among eval_fn's metrics"):
        trainer.fit()
