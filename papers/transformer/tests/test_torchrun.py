"""`train` under torchrun: two gloo ranks on the CPU, each on its own shard of the batches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from paper_transformer.config import Config
from paper_transformer.data import load_splits, make_batches
from paper_transformer.errors import RankZeroStopped, UserError
from paper_transformer.train import main
from paper_transformer_testing import cli_env, read_jsonl, run_cli

from rd_data import BPETokenizer
from rd_training import load_config

RANKS_EXIT_WITHIN_S = 120
"""Both ranks set up, train 10 tiny steps, and rank 0 decodes, in ~10-20 s; later means a hang."""


def torchrun_train(
    *args: str, assets: Path, monitor_interval: float = 0.1
) -> subprocess.CompletedProcess[str]:
    """`torchrun --standalone --nproc_per_node 2 -m paper_transformer.train ARGS` (a free port).

    Started in its own session so that a hang kills the ranks too, not only the launcher.
    torchrun checks its ranks every `monitor_interval` seconds and stops the others once one
    has failed."""
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node"]
    command += ["2", "--monitor-interval", str(monitor_interval)]
    command += ["-m", "paper_transformer.train", *args]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(assets),
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=RANKS_EXIT_WITHIN_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise AssertionError(f"torchrun did not exit in {RANKS_EXIT_WITHIN_S} s") from None
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def target_tokens_per_batch(run_dir: Path, rank: int) -> list[int]:
    """The real target tokens of each of `rank`'s first-epoch batches, built in this process."""
    cfg = load_config(run_dir / "config.yaml", Config)
    tokenizer = BPETokenizer.load(run_dir / "tokenizer.json")
    loader = make_batches(load_splits(cfg.data), tokenizer, cfg.data, rank, 2).train_loader
    return [int(batch["tgt"].ne(tokenizer.pad_id).sum()) for batch in loader]


def test_two_ranks_train_disjoint_shards_and_rank_0_alone_writes_the_run(
    tiny_config: Path, assets: Path
) -> None:
    # An EMA and early stopping on the validation BLEU too: rank 0's metrics decide everywhere.
    overrides = ["training.max_steps=10", "training.eval_every=5", "training.ema_decay=0.9"]
    overrides += ["training.best_metric=bleu", "training.best_mode=max", "training.patience=3"]
    result = torchrun_train(
        "--config", str(tiny_config), "--run-name", "ddp", *overrides, assets=assets
    )
    assert result.returncode == 0, result.stderr[-3000:]
    run_dir = assets / "outputs" / "transformer" / "ddp"
    assert result.stdout.count("Trained 10 steps") == 1  # rank 0 reports; rank 1 says nothing
    assert f"run directory: {run_dir}" in result.stdout
    assert (run_dir / "train.log").read_text().count("run directory:") == 1  # rank 0's log only
    assert len((run_dir / "hypotheses.test.txt").read_text().splitlines()) == 40
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert (manifest["status"], manifest["world_size"]) == ("completed", 2)

    # Each step trains on batch i of rank 0's shard and batch i of rank 1's: the step's global
    # token count is their sum (the same shard twice, or one process's batches, would not be),
    # and epoch 1 begins once a shard is used up.
    shards = [target_tokens_per_batch(run_dir, rank) for rank in (0, 1)]
    assert len(shards[0]) == len(shards[1]) and shards[0] != shards[1]
    train = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "train"]
    assert [r["step"] for r in train] == list(range(1, 11))  # logged once, by rank 0
    valid = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "valid"]
    assert [r["step"] for r in valid] == [5, 10] and all("bleu" in r for r in valid)
    epoch_0 = [r for r in train if r["epoch"] == 0]
    assert len(epoch_0) == len(shards[0]) < 10
    assert [r["tokens"] for r in epoch_0] == [a + b for a, b in zip(*shards, strict=True)]


def test_an_error_every_rank_finds_is_printed_by_rank_0_only(
    assets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Config errors are found before the process group exists, by every rank alike.
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank, printed in (("1", ""), ("0", "train: error: training.max_steps must be")):
        monkeypatch.setenv("RANK", rank)
        assert main(["training.max_steps=-3"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(printed) and err.count("\n") == (1 if printed else 0)


def test_rank_0_alone_reports_an_error_only_it_finds(tiny_config: Path, assets: Path) -> None:
    # Rank 0 fails while the other waits for its data: that one stops quietly.
    blocker = assets.parent / "a-file"
    blocker.write_text("")
    result = torchrun_train(  # time for rank 1 to exit on its own before torchrun stops it
        "--config", str(tiny_config), "--out-dir", str(blocker / "run"), assets=assets,
        monitor_interval=5.0,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.count("train: error:") == 1
    assert f"train: error: cannot create the run directory {blocker / 'run'}" in result.stderr
    # Both exited with code 2 (rank 1 told by rank 0, not killed by torchrun: that is -15).
    assert result.stderr.count("exitcode  : 2 ") == 2, result.stderr[-2000:]


def test_an_error_only_another_rank_finds_is_reported_by_that_rank(
    assets: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import paper_transformer.pipeline as pipeline

    monkeypatch.setenv("RANK", "1")
    monkeypatch.setattr(pipeline, "get_rank", lambda: 1)
    for raised, printed in (
        (UserError("no dataset here"), "train: error: rank 1: no dataset here\n"),
        (RankZeroStopped("rank 0 stopped"), ""),  # rank 0 reports its own error
    ):

        def fail(*args: object, error: Exception = raised) -> None:
            raise error

        monkeypatch.setattr(pipeline, "_train", fail)
        assert main(["training.max_steps=1"]) == 2
        assert capsys.readouterr().err == printed


def test_a_one_process_run_continues_on_two_ranks(tiny_config: Path, assets: Path) -> None:
    run_cli("train", "--config", str(tiny_config), "--run-name", "grow", "training.max_steps=3",
            assets=assets)  # fmt: skip
    result = torchrun_train(
        "--run-name", "grow", "--resume", "auto", "training.max_steps=6", assets=assets
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Continued from step 3 to 6" in result.stdout
    assert "saved by 1 rank(s), this run has 2: epoch 0 starts again" in result.stderr
    run_dir = assets / "outputs" / "transformer" / "grow"
    train = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "train"]
    assert [r["step"] for r in train] == list(range(1, 7))
    # Step 4 trains on the first batch of each rank's shard: the epoch did start again.
    shards = [target_tokens_per_batch(run_dir, rank) for rank in (0, 1)]
    assert train[3]["tokens"] == shards[0][0] + shards[1][0]
