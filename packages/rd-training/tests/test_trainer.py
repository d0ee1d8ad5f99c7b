"""The Trainer's loop: token-normalised accumulation, schedules, logging, eval/best, failures."""

import json
import logging
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from rd_training_testkit import TinyLM, collate, loss_fn, make_dataset, make_trainer
from safetensors.torch import load_file

from rd_training import NoamLR, NonFiniteLossError, Trainer, TrainerConfig, noam_schedule


def read_metrics(run: Path, split: str = "train") -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == split]


def quiet(**kwargs) -> TrainerConfig:
    base = {"device": "cpu", "progress_bar": False, "tensorboard": False, "save_every": None}
    return TrainerConfig(**{**base, **kwargs})


def test_grad_accumulation_normalises_by_all_tokens_of_the_step(tmp_path: Path) -> None:
    data = make_dataset()
    small, large = collate(data[:2]), collate(data[2:8])  # very different token counts
    torch.manual_seed(0)
    model = TinyLM(dropout=0.0)
    reference = TinyLM(dropout=0.0)
    reference.load_state_dict(model.state_dict())
    trainer_start = {k: v.clone() for k, v in model.state_dict().items()}

    trainer = Trainer(
        model,
        quiet(max_steps=1, grad_accum_steps=2),
        train_data=[small, large],
        loss_fn=loss_fn,
        optimizer=torch.optim.SGD(model.parameters(), lr=1.0),
        out_dir=tmp_path,
    )
    trainer.fit()

    # One big batch: the mean over every target token of both micro-batches.
    sums, counts = zip(*(loss_fn(reference, b) for b in (small, large)), strict=True)
    (sum(sums) / sum(counts)).backward()
    correct = [p.grad.clone() for p in reference.parameters()]
    with torch.no_grad():
        for p, g in zip(reference.parameters(), correct, strict=True):
            p -= g
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)
    # The common bug (averaging per-micro-batch means) would give a different update.
    naive_model = TinyLM(dropout=0.0)
    naive_model.load_state_dict(trainer_start)
    pairs = [loss_fn(naive_model, b) for b in (small, large)]
    (sum(s / c for s, c in pairs) / 2).backward()
    assert any(
        not torch.allclose(g, p.grad)
        for g, p in zip(correct, naive_model.parameters(), strict=True)
    )
    logged = read_metrics(tmp_path)
    assert logged[0]["tokens"] == int(sum(counts))
    assert logged[0]["loss"] == pytest.approx((sum(sums) / sum(counts)).item())


def test_scheduler_steps_once_per_optimizer_step_and_lr_is_logged_every_step(tmp_path) -> None:
    model = TinyLM()
    optimizer = torch.optim.Adam(model.parameters(), lr=1.0)
    batches = [collate(make_dataset()[i : i + 3]) for i in range(0, 24, 3)]
    trainer = Trainer(
        model,
        quiet(max_steps=5, grad_accum_steps=3),
        train_data=batches,
        loss_fn=loss_fn,
        optimizer=optimizer,
        out_dir=tmp_path,
        scheduler=NoamLR(optimizer, d_model=8, warmup_steps=3),
    )
    summary = trainer.fit()
    records = read_metrics(tmp_path)
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]
    assert [r["lr"] for r in records] == pytest.approx(
        [noam_schedule(s, 8, 3) for s in range(1, 6)]
    )
    assert all({"loss", "tokens", "tokens_per_s", "epoch", "time"} <= r.keys() for r in records)
    assert summary["status"] == "completed" and summary["step"] == 5
    # 8 batches, 3 per step: the epoch ends with a partial step of 2 micro-batches.
    assert [r["epoch"] for r in records] == [0, 0, 1, 1, 1]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "completed" and manifest["final_step"] == 5
    assert manifest["seed"] == 0 and manifest["trainer_config"]["grad_accum_steps"] == 3
    assert (tmp_path / "checkpoints" / "step_00000005" / "model.safetensors").exists()


def test_max_epochs_runs_whole_passes(tmp_path: Path) -> None:
    trainer = make_trainer(tmp_path, max_steps=None, max_epochs=2, grad_accum_steps=4)
    summary = trainer.fit()
    # 6 batches per epoch with 4 micro-batches per step: steps of 4 + 2 batches, twice.
    assert summary["step"] == 4 and summary["epoch"] == 2
    assert sum(r["tokens"] for r in read_metrics(tmp_path)) == 2 * sum(
        len(e["tgt"]) for e in make_dataset()
    )


def test_max_seconds_stops_the_loop_then_evaluates_and_saves(tmp_path: Path, monkeypatch) -> None:
    import rd_training.trainer as trainer_module

    clock = iter(range(10**6))  # each reading of the clock is one second later
    monkeypatch.setattr(trainer_module.time, "perf_counter", lambda: float(next(clock)))
    evaluated: list[int] = []
    trainer = make_trainer(
        tmp_path, max_steps=None, max_seconds=12.0, save_every=None,
        eval_fn=lambda model, step: evaluated.append(step) or {"loss": 1.0},
    )  # fmt: skip

    summary = trainer.fit()

    assert 1 <= summary["step"] < 12  # the clock moves on several readings per step
    assert evaluated == [summary["step"]]
    assert summary["last_checkpoint"].endswith(f"step_{summary['step']:08d}")


def test_eval_best_checkpoint_and_keep_last(tmp_path: Path) -> None:
    values = iter([3.0, 1.0, 2.0, math.nan])

    def eval_fn(model, step):
        assert not model.training and not torch.is_grad_enabled()
        return {"loss": next(values), "step_seen": step}

    trainer = make_trainer(
        tmp_path,
        max_steps=8,
        eval_every=2,
        save_every=None,
        keep_last=1,
        best_metric="valid/loss",
        best_mode="min",
        eval_fn=eval_fn,
    )
    summary = trainer.fit()
    assert summary["best"]["step"] == 4 and summary["best"]["value"] == 1.0
    best = json.loads((tmp_path / "checkpoints" / "best.json").read_text())
    assert best["checkpoint"] == "step_00000004"
    names = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert names == ["best.json", "step_00000004", "step_00000008"]
    valid = read_metrics(tmp_path, "valid")
    assert [r["step"] for r in valid] == [2, 4, 6, 8] and valid[3]["loss"] is None


def test_non_finite_loss_stops_naming_the_step_and_keeps_good_checkpoints(tmp_path) -> None:
    calls = {"n": 0}

    def exploding(model, batch):
        calls["n"] += 1
        loss, tokens = loss_fn(model, batch)
        return (loss * math.nan if calls["n"] == 13 else loss), tokens  # step 7, micro-batch 1

    trainer = make_trainer(tmp_path, max_steps=20, save_every=5)
    trainer.loss_fn = exploding
    with pytest.raises(NonFiniteLossError, match="at step 7"):
        trainer.fit()
    assert [p.name for p in (tmp_path / "checkpoints").iterdir()] == ["step_00000005"]
    weights = load_file(str(tmp_path / "checkpoints" / "step_00000005" / "model.safetensors"))
    assert all(torch.isfinite(t).all() for t in weights.values())
    assert all(torch.isfinite(p).all() for p in trainer.model.parameters())
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "failed"


@pytest.mark.parametrize(
    "accum,signal_call,saved_step",
    [(2, 7, 4), (4, 5, 2)],  # mid-epoch; right after a partial step that ended the epoch
)
def test_sigterm_finishes_the_step_saves_and_exits_then_resume_is_exact(
    tmp_path: Path, accum: int, signal_call: int, saved_step: int
) -> None:
    calls = {"n": 0}

    def signalling(model, batch):
        calls["n"] += 1
        if calls["n"] == signal_call:
            os.kill(os.getpid(), signal.SIGTERM)
        return loss_fn(model, batch)

    trainer = make_trainer(tmp_path / "run", max_steps=12, save_every=100, grad_accum_steps=accum)
    trainer.loss_fn = signalling
    with pytest.raises(SystemExit) as info:
        trainer.fit()
    assert info.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored
    assert [p.name for p in (tmp_path / "run" / "checkpoints").iterdir()] == [
        f"step_{saved_step:08d}"
    ]
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "interrupted"

    make_trainer(
        tmp_path / "run", max_steps=12, save_every=100, grad_accum_steps=accum, resume="auto"
    ).fit()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["resumed_step"] == saved_step and manifest["status"] == "completed"
    make_trainer(tmp_path / "ref", max_steps=12, save_every=100, grad_accum_steps=accum).fit()
    resumed, ref = read_metrics(tmp_path / "run"), read_metrics(tmp_path / "ref")
    assert [(r["step"], r["loss"], r["lr"]) for r in resumed] == [
        (r["step"], r["loss"], r["lr"]) for r in ref
    ]
    a = load_file(str(tmp_path / "run" / "checkpoints" / "step_00000012" / "model.safetensors"))
    b = load_file(str(tmp_path / "ref" / "checkpoints" / "step_00000012" / "model.safetensors"))
    assert all(torch.equal(a[k], b[k]) for k in b)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_on_cpu(tmp_path: Path, precision: str) -> None:
    trainer = make_trainer(tmp_path, max_steps=4, precision=precision, save_every=None)
    summary = trainer.fit()
    assert math.isfinite(summary["train_loss"])
    assert (trainer.scaler is not None) == (precision == "fp16")
    if precision == "fp16":
        state = json.loads((tmp_path / "checkpoints" / "step_00000004" / "state.json").read_text())
        assert state["scaler"]["scale"] > 0


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"max_steps": 0}, "max_steps"),
        ({"max_steps": 1, "grad_accum_steps": 0}, "grad_accum_steps"),
        ({"max_steps": 1, "precision": "fp8"}, "precision"),
        ({}, "max_steps"),
        ({"max_steps": 1, "clip_grad_norm": -1.0}, "clip_grad_norm"),
        ({"max_steps": 1, "best_mode": "up"}, "best_mode"),
        ({"max_steps": 1, "keep_last": 0}, "keep_last"),
        ({"max_seconds": 0}, "max_seconds"),
    ],
)
def test_invalid_config_values_name_the_field(kwargs, field) -> None:
    with pytest.raises(ValueError, match=f"TrainerConfig.{field}"):
        TrainerConfig(**kwargs)


def test_bad_trainer_arguments(tmp_path: Path) -> None:
    model = TinyLM()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FileNotFoundError, match=r"TrainerConfig.resume.*does not exist"):
        Trainer(
            model,
            quiet(max_steps=1, resume=str(tmp_path / "nope")),
            train_data=[],
            loss_fn=loss_fn,
            optimizer=optimizer,
            out_dir=tmp_path,
        )
    with pytest.raises(ValueError, match="best_metric"):
        Trainer(
            model,
            quiet(max_steps=1, best_metric="bleu"),
            train_data=[],
            loss_fn=loss_fn,
            optimizer=optimizer,
            out_dir=tmp_path,
        )
    with pytest.raises(ValueError, match="no batches"):
        Trainer(
            model,
            quiet(max_steps=1),
            train_data=[],
            loss_fn=loss_fn,
            optimizer=optimizer,
            out_dir=tmp_path,
        ).fit()
    # resume="auto" with no checkpoint yet starts from scratch.
    assert make_trainer(tmp_path / "fresh", max_steps=1, resume="auto").fit()["step"] == 1


def test_tensorboard_events_read_back_and_a_missing_tensorboard_says_so(
    tmp_path, monkeypatch, caplog
) -> None:
    import sys

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    make_trainer(
        tmp_path / "tb",
        max_steps=4,
        log_every=2,
        tensorboard=True,
        eval_every=4,
        eval_fn=lambda model, step: {"loss": 1.0},
    ).fit()
    events = EventAccumulator(str(tmp_path / "tb" / "tensorboard"))
    events.Reload()
    train = read_metrics(tmp_path / "tb")
    assert [e.step for e in events.Scalars("train/lr")] == [2, 4]
    assert events.Scalars("train/lr")[1].value == pytest.approx(train[3]["lr"])
    assert [(e.step, e.value) for e in events.Scalars("valid/loss")] == [(4, 1.0)]

    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import raises ImportError
    with caplog.at_level(logging.WARNING, logger="rd_training"):
        assert make_trainer(tmp_path / "none", max_steps=2, tensorboard=True).fit()["step"] == 2
    assert any("tensorboard is not installed" in m and "--extra tensorboard" in m
               for m in caplog.messages)  # fmt: skip
    assert not (tmp_path / "none" / "tensorboard").exists()


def test_sigint_saves_and_exits_130_and_an_explicit_resume_path_continues(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls = {"n": 0}

    def interrupting(model, batch):
        calls["n"] += 1
        if calls["n"] == 3:  # inside step 2
            os.kill(os.getpid(), signal.SIGINT)
        return loss_fn(model, batch)

    hint = "Continue with: mytool --resume auto"
    trainer = make_trainer(tmp_path, max_steps=6, save_every=None, resume_hint=hint)
    trainer.loss_fn = interrupting
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN where pytest was started in the background
    with pytest.raises(SystemExit) as info, caplog.at_level("WARNING", "rd_training"):
        trainer.fit()
    assert info.value.code == 128 + signal.SIGINT
    expected = f"Interrupted by SIGINT after step 2; checkpoint saved to {tmp_path}"
    assert any(r.message.startswith(expected) and r.message.endswith(hint) for r in caplog.records)
    assert signal.getsignal(signal.SIGINT) is before
    checkpoint = tmp_path / "checkpoints" / "step_00000002"
    summary = make_trainer(tmp_path, max_steps=6, save_every=None, resume=str(checkpoint)).fit()
    assert summary["step"] == 6
    assert [r["step"] for r in read_metrics(tmp_path)] == [1, 2, 3, 4, 5, 6]


def test_resume_is_exact_with_prefetching_dataloader_workers(tmp_path: Path) -> None:
    """Workers read batches ahead, so the sampler's own position runs ahead of training; the
    Trainer's replay from the epoch start must still resume at the right batch."""
    from rd_training_testkit import ShuffledBatchSampler
    from torch.utils.data import DataLoader

    def trainer(run: Path, **kwargs):
        sampler = ShuffledBatchSampler(24, batch_size=4)
        loader = DataLoader(
            make_dataset(),
            batch_sampler=sampler,
            collate_fn=collate,
            num_workers=2,
            prefetch_factor=2,
        )
        return make_trainer(
            run, max_steps=6, save_every=100, data=loader, sampler=sampler, **kwargs
        )

    calls = {"n": 0}

    def signalling(model, batch):
        calls["n"] += 1
        if calls["n"] == 3:  # step 2 of 3 in the first epoch
            os.kill(os.getpid(), signal.SIGTERM)
        return loss_fn(model, batch)

    interrupted = trainer(tmp_path / "run")
    interrupted.loss_fn = signalling
    with pytest.raises(SystemExit):
        interrupted.fit()
    assert interrupted.sampler.position > 4  # the workers had fetched past the 4 batches used
    trainer(tmp_path / "run", resume="auto").fit()
    trainer(tmp_path / "ref").fit()
    got, want = read_metrics(tmp_path / "run"), read_metrics(tmp_path / "ref")
    assert [(r["loss"], r["tokens"]) for r in got] == [(r["loss"], r["tokens"]) for r in want]


def test_bf16_and_fp16_on_cpu_raise_onednn_cache_unless_the_environment_sets_it(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="rd_training.device")
    new, old = "ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY"
    for name in (new, old):  # conftest puts back what was there
        monkeypatch.delenv(name, raising=False)
    make_trainer(tmp_path / "fp32", max_steps=1)
    assert new not in os.environ
    for precision in ("bf16", "fp16"):
        monkeypatch.delenv(new, raising=False)
        make_trainer(tmp_path / precision, max_steps=1, precision=precision)
        assert os.environ[new] == "4096"
    monkeypatch.setenv(new, "64")
    assert sum(f"{new}=4096" in r.getMessage() for r in caplog.records) == 2
    make_trainer(tmp_path / "user", max_steps=1, precision="bf16")
    assert os.environ[new] == "64"
    # The older name still counts as the user's choice.
    monkeypatch.delenv(new)
    monkeypatch.setenv(old, "128")
    make_trainer(tmp_path / "old-name", max_steps=1, precision="bf16")
    assert new not in os.environ and os.environ[old] == "128"


# In a fresh process: a Trainer at bf16 on CPU, then bf16 products of 1,100 different shapes and
# the first shape again. oneDNN's default cache (1,024 kernels) has evicted that one's kernel.
_ONEDNN_CACHE_PROBE = """
import sys, tempfile, torch
sys.path.insert(0, sys.argv[1])
from rd_training_testkit import make_trainer
make_trainer(tempfile.mkdtemp(), max_steps=1, precision="bf16")
w = torch.randn(8, 8, dtype=torch.bfloat16)
x = torch.randn(1200, 8, dtype=torch.bfloat16)
for m in [*range(100, 1200), 100]:  # torch leaves products below ~64x8x8 to its own kernel
    x[:m] @ w
"""


def test_the_raised_onednn_cache_keeps_the_kernels_of_earlier_shapes(tmp_path: Path) -> None:
    env = {**os.environ, "ONEDNN_VERBOSE": "all"}
    env.pop("ONEDNN_PRIMITIVE_CACHE_CAPACITY", None)
    env.pop("DNNL_PRIMITIVE_CACHE_CAPACITY", None)
    kit = str(Path(__file__).parent)
    proc = subprocess.run(
        [sys.executable, "-c", _ONEDNN_CACHE_PROBE, kit],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    # `onednn_verbose,v1,primitive,create:cache_miss|cache_hit,cpu,matmul,...,1x8:8x8,...`;
    # CPUs without native bf16 also print `create:dispatch` lines, which say nothing of the cache.
    fields = (line.split(",") for line in proc.stdout.splitlines())
    creates = [
        f[3]
        for f in fields
        if len(f) > 5
        and f[2] == "primitive"
        and f[3] in ("create:cache_miss", "create:cache_hit")
        and f[5] == "matmul"
    ]
    if not creates:
        pytest.skip("torch does not run bf16 matrix products through oneDNN on this CPU")
    assert creates[:1100] == ["create:cache_miss"] * 1100
    assert creates[1100:] == ["create:cache_hit"]  # with 1,024 kernels: another cache_miss
