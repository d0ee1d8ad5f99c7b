"""DDP with 2 CPU processes (gloo) matches single-process training with the same global batch."""

import json
import socket
import time
from pathlib import Path

import torch
import torch.multiprocessing as mp
from rd_training_testkit import (
    DDP_EMA_DECAY,
    ddp_batches,
    ddp_caller_group_main,
    ddp_rank_main,
    make_trainer,
)
from safetensors.torch import load_file


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# spawn, not fork: a forked rank inherits the locks of whatever threads pytest's process has
# started by then (torch.compile, datasets' worker pools, ...) and hung in CI.
START_METHOD = "spawn"


def records(run: Path) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [r for r in map(json.loads, lines) if r["split"] == "train"]


RANKS_EXIT_WITHIN_S = 120
"""Both ranks train 4 tiny steps and exit in ~10 s; one still alive after this hung."""


def run_ranks(out_dir: Path, main=ddp_rank_main) -> None:
    """Start both ranks and wait for them to exit; a rank that hangs fails the test."""
    context = mp.start_processes(
        main,
        args=(str(out_dir), _free_port()),
        nprocs=2,
        join=False,
        start_method=START_METHOD,
    )
    deadline = time.monotonic() + RANKS_EXIT_WITHIN_S
    while not context.join(timeout=1.0):
        if time.monotonic() > deadline:
            alive = [p.pid for p in context.processes if p.is_alive()]
            for process in context.processes:
                process.kill()
            raise AssertionError(f"DDP ranks {alive} did not exit in {RANKS_EXIT_WITHIN_S} s")


def test_two_gloo_ranks_match_one_process_with_the_same_global_batch(tmp_path: Path) -> None:
    ddp_dir = tmp_path / "ddp"
    run_ranks(ddp_dir)
    single_dir = tmp_path / "single"
    # One process, 2 micro-batches per step, in the order (rank 0's, rank 1's).
    make_trainer(
        single_dir,
        dropout=0.0,
        data=ddp_batches(),
        max_steps=4,
        grad_accum_steps=2,
        save_every=None,
        ema_decay=DDP_EMA_DECAY,
    ).fit()

    ddp, single = records(ddp_dir), records(single_dir)
    assert [r["step"] for r in ddp] == [1, 2, 3, 4]  # rank 0 alone logs
    for a, b in zip(ddp, single, strict=True):
        assert a["tokens"] == b["tokens"]  # global token counts
        assert abs(a["loss"] - b["loss"]) < 1e-6
    final = "checkpoints/step_00000004"
    for file in ("model.safetensors", "extra.safetensors"):  # the weights, and their EMA
        got = load_file(str(ddp_dir / final / file))
        want = load_file(str(single_dir / final / file))
        if file == "extra.safetensors":
            want = {k: v for k, v in want.items() if k.startswith("extra.callback.EMA.")}
            assert len(want) == 5  # n_averaged and the TinyLM's 4 tensors
        for name in want:
            torch.testing.assert_close(got[name], want[name], rtol=1e-5, atol=1e-6)
    assert json.loads((ddp_dir / "manifest.json").read_text())["world_size"] == 2


def test_process_group_helpers_do_nothing_in_one_process(monkeypatch) -> None:
    from rd_training import (
        barrier,
        broadcast_object,
        destroy_distributed,
        init_distributed_from_env,
    )

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    obj = {"run": "20261128-000000"}
    assert broadcast_object(obj) is obj
    barrier()  # returns at once
    assert init_distributed_from_env(torch.device("cpu")) is False  # no WORLD_SIZE: no group
    destroy_distributed()  # no group: nothing to destroy, no error
    assert not torch.distributed.is_initialized()


def test_a_second_fit_under_the_callers_process_group_stays_in_sync(tmp_path: Path) -> None:
    run_ranks(tmp_path / "ddp", main=ddp_caller_group_main)  # a rank's failed assert fails it
