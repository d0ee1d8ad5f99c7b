"""The training pipeline behind `train`: data, tokenizer, model, Trainer, decoding, plots.

Kept apart from `train.py` so that `train --help` answers without importing torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import logging
import math
import time
from pathlib import Path
from typing import Any, cast

import torch
from datasets import Dataset, DatasetDict

from paper_transformer.config import DEFAULT_CONFIG, Config, EvalConfig
from paper_transformer.data import Batches, eval_batches, load_splits, make_batches, train_tokenizer
from paper_transformer.errors import RankError, RankZeroStopped, UserError
from paper_transformer.model_folder import write_model_folder
from paper_transformer.translate import decode_and_report, score, translate
from rd_data import BPETokenizer, RdDataError, get_outputs_dir
from rd_models import Transformer, TransformerConfig, shift_right
from rd_training import (
    ConfigError,
    NoamLR,
    Trainer,
    TrainerConfig,
    average_checkpoints,
    broadcast_object,
    build_optimizer,
    check_resumable,
    config_to_yaml,
    destroy_distributed,
    get_rank,
    get_world_size,
    init_distributed_from_env,
    label_smoothed_cross_entropy,
    linear_cross_entropy,
    list_checkpoints,
    load_config,
    move_to_device,
    resolve_device,
    run_dir_args,
    save_config,
    seed_everything,
    select_run_dir,
    setup_logger,
    unwrap_model,
)
from rd_viz import plot_lr_schedule, plot_training_curves, read_metrics

PAPER = "transformer"
log = logging.getLogger("paper_transformer")


def load_run_config(args: argparse.Namespace, run_dir: Path | None = None) -> Config:
    """The resolved config: the YAML file, then the command line's overrides, checked.

    The YAML file is `--config`; without one, the `config.yaml` of the run being continued
    (`run_dir`), else the embedded default.
    """
    path = args.config
    if path is None:
        saved = run_dir / "config.yaml" if run_dir is not None else None
        path = saved if saved is not None and saved.is_file() else DEFAULT_CONFIG
    if path.is_dir():
        raise UserError(f"--config {path} is a directory, not a YAML file")
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    return load_config(path, Config, [*args.overrides, *args.set])


def print_config(args: argparse.Namespace) -> None:
    """`train --print-config`: the config a run with these arguments would save, as YAML."""
    run_dir = choose_run_dir(args) if args.resume is not None else None
    print(config_to_yaml(load_run_config(args, run_dir)), end="")


def choose_run_dir(args: argparse.Namespace) -> Path:
    """The run directory: --out-dir, --run-name, the newest run (resume auto) or a new name."""
    runs = get_outputs_dir(create=False) / PAPER  # created once everything is checked
    return select_run_dir(runs, run_name=args.run_name, out_dir=args.out_dir, resume=args.resume)


def model_config(cfg: Config, vocab_size: int, pad_id: int = 0) -> TransformerConfig:
    """The Transformer's config for this run: `cfg.model` with the tokenizer's vocabulary (one
    for source and target) and room for the longest pair and its decoded output."""
    longest = cfg.data.max_length + cfg.eval.max_len_b + 1
    return dataclasses.replace(
        cfg.model,
        src_vocab_size=vocab_size,
        tgt_vocab_size=vocab_size,
        pad_id=pad_id,
        max_len=max(cfg.model.max_len, longest),
    )


def trainer_config(cfg: Config, resume: str | None, run_dir: Path | None = None) -> TrainerConfig:
    """The Trainer's settings for this run (`resume`: None, "auto" or a checkpoint path); with
    `run_dir`, an interrupted run names the `train` command that continues it."""
    hint = cfg.training.resume_hint
    if run_dir is not None:
        runs = get_outputs_dir(create=False) / PAPER
        hint = f"Continue with: train --resume auto {run_dir_args(run_dir, runs)}"
    return dataclasses.replace(cfg.training, resume=resume, resume_hint=hint)


def build_model(cfg: Config, vocab_size: int, pad_id: int = 0) -> Transformer:
    """The Transformer for this config, with one vocabulary shared by source and target."""
    return Transformer(model_config(cfg, vocab_size, pad_id))


def make_loss_fn(tokenizer: BPETokenizer, epsilon: float, fused: bool = False) -> Any:
    """Label-smoothed cross-entropy summed over target tokens (the Trainer normalises).

    `fused` computes the output projection and the loss together, chunk by chunk
    (`rd_training.linear_cross_entropy`): the same loss without the `[tokens, vocab]` logits.
    """

    def loss_fn(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, Any]:
        tgt = batch["tgt"]
        tgt_in = shift_right(tgt, tokenizer.bos_id)
        if fused:
            features = model(batch["src"], tgt_in, features_only=True)
            weight = cast(torch.Tensor, unwrap_model(model).output_weight)
            return linear_cross_entropy(features, weight, tgt, epsilon, tokenizer.pad_id)
        logits = model(batch["src"], tgt_in)
        return label_smoothed_cross_entropy(logits, tgt, epsilon, ignore_index=tokenizer.pad_id)

    return loss_fn


def make_eval_fn(
    batches: list[dict[str, torch.Tensor]],
    tokenizer: BPETokenizer,
    epsilon: float,
    bleu_sample: tuple[Dataset, list[str]] | None = None,
    eval_cfg: EvalConfig | None = None,
) -> Any:
    """Validation loss (label-smoothed, as trained), NLL and perplexity; with `bleu_sample`
    (tokenised sentences and their references) also their greedy sacreBLEU as "bleu"."""
    greedy = dataclasses.replace(eval_cfg or EvalConfig(), beam_size=1)

    def eval_fn(model: torch.nn.Module, step: int) -> dict[str, float]:
        device = next(model.parameters()).device
        smoothed = nll = tokens = 0.0
        for batch in batches:
            batch = move_to_device(batch, device)
            tgt = batch["tgt"]
            logits = model(batch["src"], shift_right(tgt, tokenizer.bos_id))
            loss, n = label_smoothed_cross_entropy(logits, tgt, epsilon, tokenizer.pad_id)
            plain, _ = label_smoothed_cross_entropy(logits, tgt, 0.0, tokenizer.pad_id)
            smoothed, nll, tokens = smoothed + loss.item(), nll + plain.item(), tokens + n.item()
        metrics = {"loss": smoothed / tokens, "nll": nll / tokens, "ppl": math.exp(nll / tokens)}
        if bleu_sample is not None:
            split, references = bleu_sample
            hypotheses = translate(
                cast(Transformer, model), tokenizer, split, greedy, device, False
            )
            metrics["bleu"] = score(hypotheses, references)["bleu"]
        return metrics

    return eval_fn


def _bleu_sample(
    splits: DatasetDict, tokenized: Dataset, cfg: Config
) -> tuple[Dataset, list[str]] | None:
    """The first `eval.valid_bleu_sentences` validation sentences and their references."""
    n = min(cfg.eval.valid_bleu_sentences, len(tokenized))
    if n == 0:
        return None
    rows = splits[cfg.data.valid_split].select(range(n))["translation"]
    return tokenized.select(range(n)), [row[cfg.data.target_lang] for row in rows]


def _resume_source(args: argparse.Namespace, run_dir: Path) -> tuple[Path | None, bool]:
    """The run a resumed run continues (this one, or the run of the checkpoint `--resume`
    names) and whether `run_dir` itself is being resumed; refuses what cannot be continued."""
    if args.resume not in (None, "auto") and not Path(args.resume).exists():
        raise UserError(f"--resume: checkpoint {args.resume} does not exist")
    resuming = args.resume is not None and (run_dir / "tokenizer.json").is_file()
    if args.resume is None and (run_dir / "manifest.json").is_file():
        raise UserError(
            f"{run_dir} already holds a run: continue it with --resume auto, "
            "or choose another --run-name"
        )
    source = run_dir if resuming else None
    if args.resume not in (None, "auto"):
        checkpoint_run = Path(args.resume).resolve().parent.parent  # <run>/checkpoints/step_*
        own = Path(args.resume).resolve().parent == (run_dir / "checkpoints").resolve()
        other_run = any((checkpoint_run / f).is_file() for f in ("config.yaml", "manifest.json"))
        if not own and other_run and (run_dir / "manifest.json").is_file():
            raise UserError(
                f"{run_dir} already holds a run, and --resume names another run's checkpoint: "
                "continue it under a new --run-name"
            )
        if (checkpoint_run / "config.yaml").is_file():
            source = checkpoint_run
    return source, resuming


def run(args: argparse.Namespace) -> dict[str, Any] | None:
    """Check everything, then train, average, decode and plot: the `train` command.

    Under torchrun (`WORLD_SIZE` > 1) every rank trains on its own shard of the token-budget
    batches (`data.max_tokens` per rank and step); rank 0 alone writes the run directory, and
    decodes and plots after training. Returns the run's summary (None on the other ranks).
    """
    started = time.perf_counter()
    # Everything that can be checked is checked before anything is written or trained.
    run_dir = choose_run_dir(args)
    source, resuming = _resume_source(args, run_dir)
    cfg = load_run_config(args, source)
    if source is not None and (source / "config.yaml").is_file():
        check_resumable(load_config(source / "config.yaml", Config), cfg, ("data", "model"))
    settings = trainer_config(cfg, args.resume, run_dir)
    device = resolve_device(cfg.training.device, "training.device")
    # torchrun: the Trainer uses this group. Rank 0 prepares the data while the others wait in a
    # collective: an hour, not NCCL's default 10 minutes (WMT14's BPE and tokenization take ~10).
    owns_group = init_distributed_from_env(device, timeout=datetime.timedelta(hours=1))
    completed = False
    try:
        # A date-time run name can differ between ranks by a second: rank 0's names the run.
        run_dir = broadcast_object(run_dir)
        result = _train(args, cfg, settings, run_dir, source, resuming, started)
        completed = True
        return result
    except (UserError, ConfigError, RdDataError) as err:
        if get_rank() > 0 and not isinstance(err, RankZeroStopped):
            raise RankError(f"rank {get_rank()}: {err}") from err  # rank 0 cannot report it
        raise
    finally:
        if owns_group:  # the Trainer freed its DDP wrapper at the end of fit()
            destroy_distributed(wait_for_others=completed)


def _batches(
    splits: DatasetDict, tokenizer: BPETokenizer, cfg: Config, rank: int, world: int
) -> Batches:
    try:
        return make_batches(splits, tokenizer, cfg.data, rank, world)
    except ValueError as err:  # e.g. data.max_length drops every pair
        raise UserError(f"data: {err}") from None


def _prepare(
    args: argparse.Namespace,
    cfg: Config,
    run_dir: Path,
    source: Path | None,
    resuming: bool,
    world: int,
) -> tuple[DatasetDict, BPETokenizer, Batches]:
    """Rank 0's setup: the data, the vocabulary, rank 0's batches and the run directory."""
    splits = load_splits(cfg.data)  # fails before anything is written when data is missing
    # Shared BPE vocabulary: learned once per run, reloaded when resuming.
    if source is not None and (source / "tokenizer.json").is_file():
        tokenizer = BPETokenizer.load(source / "tokenizer.json")
    else:
        tokenizer = train_tokenizer(splits, cfg.data)
    data = _batches(splits, tokenizer, cfg, 0, world)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"cannot create the run directory {run_dir}: {err.strerror}") from None
    setup_logger("paper_transformer", log_file=run_dir / "train.log")
    setup_logger("rd_training", log_file=run_dir / "train.log")
    log.info("run directory: %s", run_dir)
    if args.resume == "auto" and not resuming:
        log.warning("nothing to resume in %s: starting a new run", run_dir)
    save_config(cfg, run_dir / "config.yaml")
    if source is None or source.resolve() != run_dir.resolve():  # not the run's own tokenizer
        tokenizer.save(run_dir / "tokenizer.json")
    return splits, tokenizer, data


def _shared_data(
    args: argparse.Namespace,
    cfg: Config,
    run_dir: Path,
    source: Path | None,
    resuming: bool,
) -> tuple[DatasetDict, BPETokenizer, Batches]:
    """Every rank's data and tokenizer: rank 0 prepares them and writes the run's files first,
    then the others take its tokenizer and read the tokenization it cached."""
    rank, world = get_rank(), get_world_size()
    if rank == 0:
        try:
            splits, tokenizer, data = _prepare(args, cfg, run_dir, source, resuming, world)
        except BaseException:
            broadcast_object(None)  # the other ranks stop too (quietly: rank 0 reports)
            raise
        broadcast_object(tokenizer)
        return splits, tokenizer, data
    setup_logger("paper_transformer", rank=rank)
    setup_logger("rd_training", rank=rank)
    sent: BPETokenizer | None = broadcast_object(None)
    if sent is None:
        raise RankZeroStopped("rank 0 stopped before training (its error is above)")
    splits = load_splits(cfg.data)
    return splits, sent, _batches(splits, sent, cfg, rank, world)


def _make_trainer(
    cfg: Config,
    settings: TrainerConfig,
    tokenizer: BPETokenizer,
    data: Batches,
    splits: DatasetDict,
    run_dir: Path,
) -> Trainer:
    """The paper's model, Adam with the warm-up/inverse-sqrt schedule, and the Trainer."""
    seed_everything(cfg.training.seed)  # the initial weights depend on the seed only
    model = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    log.info("model: %s parameters", f"{sum(p.numel() for p in model.parameters()):,}")
    o = cfg.optim
    optimizer = build_optimizer(
        model, "adam", lr=1.0, betas=(o.beta1, o.beta2), eps=o.eps, weight_decay=o.weight_decay
    )
    valid = data.tokenized[cfg.data.valid_split]
    eval_fn = make_eval_fn(
        eval_batches(valid, data.collate, cfg.data.max_tokens),
        tokenizer,
        o.label_smoothing,
        _bleu_sample(splits, valid, cfg),
        cfg.eval,
    )
    return Trainer(
        model,
        settings,
        train_data=data.train_loader,
        loss_fn=make_loss_fn(tokenizer, o.label_smoothing, o.fused_loss),
        optimizer=optimizer,
        scheduler=NoamLR(
            optimizer, d_model=cfg.model.d_model, warmup_steps=o.warmup_steps, scale=o.lr_scale
        ),
        eval_fn=eval_fn,
        out_dir=run_dir,
    )


def _train(
    args: argparse.Namespace,
    cfg: Config,
    settings: TrainerConfig,
    run_dir: Path,
    source: Path | None,
    resuming: bool,
    started: float,
) -> dict[str, Any] | None:
    """`run` once the configuration is checked (and the process group exists under torchrun)."""
    splits, tokenizer, data = _shared_data(args, cfg, run_dir, source, resuming)
    world = get_world_size()
    log.info(
        "data: %d train pairs in %d batches%s of <= %d tokens; vocabulary %d; %.1fs so far",
        len(data.tokenized["train"]),
        len(data.train_loader),
        f" per rank ({world} ranks)" if world > 1 else "",
        cfg.data.max_tokens,
        tokenizer.vocab_size,
        time.perf_counter() - started,
    )
    trainer = _make_trainer(cfg, settings, tokenizer, data, splits, run_dir)
    summary = trainer.fit()
    if get_rank() > 0:  # rank 0 averages, decodes and plots
        return None
    resumed_step = 0
    if args.resume is not None:  # the step this session started from, as the Trainer recorded it
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
        resumed_step = int(manifest.get("resumed_step") or 0)
    references = [row[cfg.data.target_lang] for row in splits[cfg.data.test_split]["translation"]]
    metrics = _decode_test_split(cfg, trainer, tokenizer, data, references, run_dir)
    _plot_run(run_dir)
    return {
        "run_dir": run_dir,
        "metrics": metrics,
        "steps": summary["step"],
        "resumed_step": resumed_step,
        "train_seconds": summary["elapsed_s"],
        "total_seconds": time.perf_counter() - started,
        "test_size": len(references),
    }


def _decode_test_split(
    cfg: Config,
    trainer: Trainer,
    tokenizer: BPETokenizer,
    data: Batches,
    references: list[str],
    run_dir: Path,
) -> dict[str, float]:
    """Average the last checkpoints (as the paper does), decode and score, save `<run>/model/`."""
    model = cast(Transformer, trainer.eval_model)  # with training.ema_decay, the average
    checkpoints = list_checkpoints(run_dir)[-cfg.eval.average_last :]
    if cfg.eval.average_last > 1:
        model.load_state_dict(average_checkpoints(checkpoints))
    metrics = decode_and_report(
        model,
        tokenizer,
        data.tokenized[cfg.data.test_split],
        references,
        cfg.eval,
        run_dir,
        cfg.data.test_split,
        trainer.step,
        trainer.device,
        averaged_checkpoints=len(checkpoints),
    )
    write_model_folder(run_dir / "model", model, run_dir, cfg, metrics, cfg.data.test_split)
    return metrics


def _plot_run(run_dir: Path) -> None:
    """The loss curves and the learning-rate schedule into `<run>/plots/`."""
    plots = run_dir / "plots"
    plot_training_curves(run_dir, metrics=("loss",), smooth=0.9, out=plots / "loss.png")
    train_records = [r for r in read_metrics(run_dir) if r["split"] == "train"]
    plot_lr_schedule(
        [r["step"] for r in train_records], [r["lr"] for r in train_records], out=plots / "lr.png"
    )
