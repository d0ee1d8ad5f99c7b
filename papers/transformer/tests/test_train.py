"""`train` end to end on a tiny config, its run directory, overrides and user errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from paper_transformer.config import DEFAULT_CONFIG, Config
from paper_transformer.pipeline import choose_run_dir, load_run_config, trainer_config
from paper_transformer.train import main, parse_args
from paper_transformer_testing import TINY, read_jsonl, run_cli

from rd_training import config_to_dict, load_config


def test_run_directory_holds_everything_a_researcher_needs(finished_run: tuple[Path, str]) -> None:
    run_dir, _ = finished_run
    for name in ["config.yaml", "manifest.json", "metrics.jsonl", "tokenizer.json", "train.log"]:
        assert (run_dir / name).is_file(), name
    assert (run_dir / "model" / "config.json").is_file()
    assert (run_dir / "model" / "model.safetensors").is_file()
    assert sorted(p.name for p in (run_dir / "checkpoints").glob("step_*"))[-1] == "step_00000040"
    for plot in ["loss.png", "lr.png", "attention_test_0.png"]:
        assert (run_dir / "plots" / plot).stat().st_size > 1000, plot
    assert len((run_dir / "hypotheses.test.txt").read_text().splitlines()) == 40

    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "completed"
    assert "paper-transformer" in manifest["packages"]


def test_metrics_cover_train_valid_and_test_and_match_the_printout(
    finished_run: tuple[Path, str],
) -> None:
    run_dir, stdout = finished_run
    records = read_jsonl(run_dir / "metrics.jsonl")
    train = [r for r in records if r["split"] == "train"]
    valid = [r for r in records if r["split"] == "valid"]
    (test,) = [r for r in records if r["split"] == "test"]
    assert [r["step"] for r in train] == list(range(1, 41))
    assert all({"loss", "lr", "tokens_per_s", "time"} <= r.keys() for r in train)
    assert [r["step"] for r in valid] == [20, 40]
    assert valid[1]["loss"] < valid[0]["loss"] < train[0]["loss"]  # it learns
    assert test["step"] == 40 and {"bleu", "chrf", "exact_match"} <= test.keys()
    last_lines = stdout.strip().splitlines()[-3:]
    assert last_lines[0] == f"run directory: {run_dir}"
    assert f"sacreBLEU {test['bleu']:.2f}" in last_lines[1]
    assert f"exact match {test['exact_match']:.1f}%" in last_lines[1]
    assert last_lines[2].startswith("sacreBLEU signature: nrefs:1|case:mixed|eff:no|tok:13a|")


def test_overrides_and_set_reach_the_resolved_config(assets: Path) -> None:
    args = parse_args(["model.d_model=48", "--set", "optim.lr_scale=0.5", "training.max_steps=7"])
    cfg = load_run_config(args)
    assert (cfg.model.d_model, cfg.optim.lr_scale, cfg.training.max_steps) == (48, 0.5, 7)
    default = load_config(DEFAULT_CONFIG, Config)
    assert cfg.data == default.data and cfg.eval == default.eval  # the rest: the embedded task


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["model.d_modle=64"], "unknown key 'model.d_modle' (did you mean 'model.d_model'?)"),
        (["training.max_steps=many"], "training.max_steps: expected int | None, got 'many'"),
        (["--config", "nowhere.yaml"], "config file not found: nowhere.yaml"),
        (["model.d_model=30", "model.n_heads=4"], "model.d_model (30) must be divisible"),
        (["--config", "."], "--config . is a directory, not a YAML file"),
        (["training.max_steps=0"], "training.max_steps must be a positive integer, got 0"),
        (["training.grad_accum_steps=0"], "training.grad_accum_steps must be a positive integer"),
        (["model.dropout=2"], "model.dropout must be in [0, 1), got 2.0"),
        (["data.max_length=0"], "data.max_length must be a positive integer, got 0"),
        (["data.max_tokens=1"], "data.max_tokens (1) must be at least data.max_length (256)"),
        (["optim.lr_scale=-1"], "optim.lr_scale must be > 0, got -1.0"),
        (["eval.beam_size=0"], "eval.beam_size must be a positive integer, got 0"),
        (["eval.average_last=5"], "eval.average_last (5) averages more checkpoints than"),
        (["training.device=tpu"], "training.device: unknown device 'tpu'"),
        pytest.param(
            ["training.device=cuda"],
            "training.device: device 'cuda' requested but CUDA is not available",
            marks=pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA"),
        ),
        (["--run-name", "../escape"], "--run-name '../escape' must be a plain folder name"),
        (["--run-name", ".."], "--run-name '..' must be a plain folder name"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2_and_leave_no_run(
    argv: list[str], message: str, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("train: error: ") and message in err
    assert err.count("\n") == 1
    assert not (assets / "outputs").exists()


def test_splits_and_languages_the_dataset_lacks_are_one_line(
    assets: Path, capsys: pytest.CaptureFixture
) -> None:
    tiny = ["data.train_size=200", "data.valid_size=20", "data.test_size=20"]
    for override, message in [  # the first one generates the task: its splits have fixed names
        ("data.valid_split=nope", "data.valid_split: dataset 'number_words' has no split 'nope' "),
        ("data.source_lang=fr", "data.source_lang: dataset 'number_words' has no language 'fr' "),
        ("data.target_lang=xx", "data.target_lang: dataset 'number_words' has no language 'xx' "),
    ]:
        assert main([*tiny, override]) == 2
        last = capsys.readouterr().err.splitlines()[-1]  # after the dataset's progress bars
        assert last.startswith("train: error: " + message), last
        if override.startswith("data.valid_split"):
            assert "(it has: train, validation, test); or set data.valid_fraction" in last
    assert not (assets / "outputs").exists()


def test_an_unwritable_run_directory_is_one_line(
    assets: Path, capsys: pytest.CaptureFixture
) -> None:
    small = ["data.train_size=100", "data.valid_size=10", "data.test_size=10"]
    assert main([*small, "--out-dir", "/proc/rd-no-such-dir/run"]) == 2
    last_line = capsys.readouterr().err.splitlines()[-1]  # after the data generation's progress
    assert last_line.startswith("train: error: cannot create the run directory /proc/rd-no-such")


def test_data_that_leaves_nothing_to_train_on_is_one_line(
    assets: Path, capsys: pytest.CaptureFixture
) -> None:
    small = ["data.train_size=100", "data.valid_size=10", "data.test_size=10"]
    assert main([*small, "data.max_length=1", "--run-name", "x"]) == 2
    last_line = capsys.readouterr().err.splitlines()[-1]  # after the data generation's progress
    assert last_line.startswith("train: error: data: no training pair is at most data.max_length")
    assert not (assets / "outputs").exists()


def test_a_finished_run_is_never_trained_over(
    finished_run: tuple[Path, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    run_dir, _ = finished_run
    monkeypatch.setenv("RD_ASSETS_DIR", str(run_dir.parents[2]))
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert main(["--run-name", run_dir.name, "training.max_steps=5"]) == 2
    assert capsys.readouterr().err == (
        f"train: error: {run_dir} already holds a run: continue it with --resume auto, "
        "or choose another --run-name\n"
    )
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before
    # Nor continued from another run's checkpoint (its tokenizer, config and metrics would mix).
    other = tmp_path / "other"
    shutil.copytree(run_dir, other)
    checkpoint = other / "checkpoints" / "step_00000040"
    assert main(["--run-name", run_dir.name, "--resume", str(checkpoint)]) == 2
    assert capsys.readouterr().err == (
        f"train: error: {run_dir} already holds a run, and --resume names another run's "
        "checkpoint: continue it under a new --run-name\n"
    )
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


def test_resume_auto_continues_with_the_runs_own_config(
    tiny_config: Path, assets: Path, capsys: pytest.CaptureFixture
) -> None:
    quick = ["training.save_every=10", "eval.beam_size=1", "eval.attention_examples=0"]
    assert main(["--config", str(tiny_config), "--run-name", "r", *quick,
                 "training.max_steps=10"]) == 0  # fmt: skip
    # No --config: the run's config.yaml (the tiny model), not the embedded default, plus the
    # override that extends the run.
    capsys.readouterr()
    assert main(["--resume", "auto", "--run-name", "r", "training.max_steps=15"]) == 0
    assert "Continued from step 10 to 15 (5 steps) in" in capsys.readouterr().out
    run_dir = assets / "outputs" / "transformer" / "r"
    saved = load_config(run_dir / "config.yaml", Config)
    assert (saved.model.d_model, saved.training.max_steps) == (TINY["model"]["d_model"], 15)
    steps = [r["step"] for r in read_jsonl(run_dir / "metrics.jsonl") if r["split"] == "train"]
    assert steps == list(range(1, 16))
    # Its data and model cannot change: the checkpoint and the sampler belong to them.
    capsys.readouterr()
    assert main(["--resume", "auto", "--run-name", "r", "data.max_tokens=2048"]) == 2
    assert capsys.readouterr().err == (
        "train: error: --resume: data.max_tokens is 1024 in the run's config.yaml, not 2048; "
        "a resumed run keeps its data and model settings (start a new run to change them)\n"
    )
    assert load_config(run_dir / "config.yaml", Config).data.max_tokens == 1024  # untouched
    # The same when --resume names a checkpoint and the run goes to a new directory.
    checkpoint = run_dir / "checkpoints" / "step_00000010"
    assert main(["--resume", str(checkpoint), "--run-name", "r2", "model.d_model=64"]) == 2
    assert "--resume: model.d_model is 32 in the run's config.yaml, not 64" in (
        capsys.readouterr().err
    )
    assert not (run_dir.parent / "r2").exists()
    # Continued in a directory that a failed start left a tokenizer in: the checkpoint's run's
    # tokenizer replaces it (the model's ids are that one's).
    partial = run_dir.parent / "r3"
    partial.mkdir()
    (partial / "tokenizer.json").write_text("{}")
    capsys.readouterr()
    assert main(["--resume", str(checkpoint), "--run-name", "r3", *quick,
                 "training.max_steps=11"]) == 0  # fmt: skip
    assert (partial / "tokenizer.json").read_bytes() == (run_dir / "tokenizer.json").read_bytes()
    assert "Continued from step 10 to 11 (1 steps)" in capsys.readouterr().out
    # A copy of the run's own checkpoint kept outside any run continues the run.
    backup = assets / "backup" / "step_00000015"
    shutil.copytree(run_dir / "checkpoints" / "step_00000015", backup)
    assert main(["--resume", str(backup), "--run-name", "r", *quick,
                 "training.max_steps=16"]) == 0  # fmt: skip
    assert "Continued from step 15 to 16" in capsys.readouterr().out


def test_resume_auto_without_a_run_name_picks_the_newest_training(
    assets: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = assets / "outputs" / "transformer"
    for age, name in ((200, "older"), (100, "newer")):
        (runs / name).mkdir(parents=True)
        (runs / name / "manifest.json").write_text("{}")
        os.utime(runs / name / "manifest.json", (time.time() - age, time.time() - age))
    (runs / "older" / "hypotheses.test.txt").write_text("evaluate wrote this just now\n")
    assert choose_run_dir(parse_args(["--resume", "auto"])) == runs / "newer"


def test_missing_hub_dataset_says_how_to_download_it(tmp_path: Path) -> None:
    result = run_cli(
        "train", "data.dataset=wmt/wmt14", "data.config=de-en", assets=tmp_path, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "rd-download-dataset --name wmt/wmt14 --config de-en" in result.stderr
    assert not (tmp_path / "outputs").exists()


def test_shipped_config_yaml_equals_the_dataclass_defaults() -> None:
    # A key left out of a YAML file falls back to the default: keep both descriptions in step.
    assert config_to_dict(load_config(DEFAULT_CONFIG, Config)) == config_to_dict(Config())


def test_an_interrupted_run_names_the_command_that_continues_it(assets: Path) -> None:
    cfg = load_config(DEFAULT_CONFIG, Config)
    named = trainer_config(cfg, None, assets / "outputs" / "transformer" / "my run")
    assert named.resume_hint == "Continue with: train --resume auto --run-name 'my run'"
    elsewhere = trainer_config(cfg, "auto", assets.parent / "runs" / "r1")
    assert elsewhere.resume_hint == (
        f"Continue with: train --resume auto --out-dir {assets.parent / 'runs' / 'r1'}"
    )


@pytest.mark.parametrize(
    ("module", "target", "prog"),
    [
        ("paper_transformer.train", "paper_transformer.pipeline.run", "train"),
        ("paper_transformer.evaluate", "paper_transformer.evaluate.run", "evaluate"),
        ("paper_transformer.cli_translate", "paper_transformer.cli_translate.run", "translate"),
    ],
)
def test_ctrl_c_outside_the_training_loop_is_one_line_and_exit_130(
    module: str, target: str, prog: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """Ctrl-C while data is generated, a tokenizer learned or sentences decoded: no traceback."""
    import importlib

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(target, interrupted)
    argv = [] if prog == "train" else ["some-run"]
    assert importlib.import_module(module).main(argv) == 130
    assert capsys.readouterr().err == f"{prog}: interrupted\n"


def _keys(section: dict, prefix: str = "") -> list[str]:
    found = []
    for name, value in section.items():
        if isinstance(value, dict):
            found += _keys(value, f"{prefix}{name}.")
        else:
            found.append(prefix + name)
    return found


def test_help_lists_every_config_key_with_its_type_default_and_doc(capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        parse_args(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    keys = _keys(config_to_dict(Config(), runtime=False))
    assert len(keys) > 50 and all(f"\n  {key} (" in out for key in keys)
    assert "\n  training.max_steps (int | None, default 2200)\n      Stop after" in out
    assert "\n  training.precision ({fp32,bf16,fp16}, default fp32)\n" in out
    assert "\n  optim.fused_loss (bool, default false)\n      Output projection" in out
    # Filled in by train itself: not keys a user can set.
    assert "model.src_vocab_size" not in out and "training.resume" not in out


def test_print_config_prints_what_the_run_would_save_and_writes_nothing(
    assets: Path, tmp_path: Path, capsys
) -> None:
    assert main(["--print-config", "training.max_steps=7", "--set", "model.d_model=64"]) == 0
    printed = tmp_path / "printed.yaml"
    printed.write_text(capsys.readouterr().out)
    cfg = load_config(printed, Config)
    assert (cfg.training.max_steps, cfg.model.d_model) == (7, 64)
    assert cfg == load_config(DEFAULT_CONFIG, Config, ["training.max_steps=7", "model.d_model=64"])
    assert not (assets / "outputs").exists()
    assert main(["--print-config", "model.src_vocab_size=9"]) == 2
    assert "model.src_vocab_size cannot be set in a config: it comes from the tokenizer" in (
        capsys.readouterr().err
    )


def test_help_with_every_key_answers_without_importing_torch() -> None:
    probe = (
        "import contextlib, io, sys\n"
        "from paper_transformer.train import parse_args\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):\n"
        "    parse_args(['--help'])\n"
        "print('training.max_steps (' in out.getvalue(), 'torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout == "True False\n", result.stderr
