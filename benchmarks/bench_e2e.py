"""End to end: paper-transformer's training pipeline vs a plain loop, and vs the Marian peer.

- `paper`: the paper's own pieces (`load_splits`, `train_tokenizer`, `make_batches`,
  `build_model`, `make_loss_fn`, Adam + NoamLR) in the real `rd_training.Trainer`, on its
  length-grouped token-budget batches.
- `plain`: what one writes without the monorepo: `torch.nn.Transformer` (same weights), random
  (unsorted) batches filled up to the same padded-token budget, `pad_sequence`, built-in
  label-smoothed cross-entropy, Adam + LambdaLR, a bare `for` loop. Same data, same tokens,
  same precision (`torch.autocast` when the config's `training.precision` is bf16/fp16).
- `marian`: Hugging Face MarianMTModel (same shape and weights) in place of `build_model`'s
  model, everything else as `paper` (same batches, loss, optimizer, Trainer).

Two data sets: the paper's embedded number-words task (`bench_end_to_end(data="number-words")`:
50k pairs, 3-10 BPE tokens per sentence, so length grouping has little to save) and
WMT-shaped pairs (`data="wmt-shaped"`: random token ids with the length distribution of WMT14
en-de after BPE, median ~24 and a long tail to 250, built straight into the paper's loader by
`batches_of`; the model, loss, optimizer and Trainer are the same).

A round is `steps` optimizer steps, timed from asking for the first batch to asking for the
batch after the last step, so data loading and the Trainer's per-step work (metrics.jsonl line,
progress) are inside, its once-per-run setup and final checkpoint are not. Throughput counts
real (non-pad) target tokens. Padding waste = pad tokens / all tokens of the padded src and tgt
tensors, over one epoch of each batching.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from bench_common import (
    alternate,
    load_member_benchmark,
    load_rd_models_benchmark,
    paired_ratio,
    ratio,
)
from bench_peer import MarianTranslator, transformers_available
from datasets import Dataset, DatasetDict
from paper_transformer.config import DEFAULT_CONFIG, Config
from paper_transformer.data import batches_of, load_splits, make_batches, train_tokenizer
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from rd_data import example_lengths
from rd_training import NoamLR, Trainer, build_optimizer, load_config

try:  # the model and loss builders moved from train.py to pipeline.py (lazy `train --help`)
    from paper_transformer.pipeline import build_model, make_loss_fn
except ImportError:
    from paper_transformer.train import build_model, make_loss_fn

QUICK_OVERRIDES = [
    "data.train_size=400",
    "data.valid_size=20",
    "data.test_size=20",
    "data.vocab_size=120",
    "data.max_tokens=256",
    "model.d_model=32",
    "model.n_heads=2",
    "model.num_encoder_layers=1",
    "model.num_decoder_layers=1",
    "model.d_ff=64",
]


WMT_SHAPED = ["data.max_tokens=4096"]
"""The e2e settings on WMT-shaped data: batches of 4096 padded tokens (~100 pairs of median length)."""
WMT_QUICK_PAIRS, WMT_PAIRS = 400, 50_000


def bench_config(data_set: str, overrides: list[str]) -> Config:
    """The paper config with `overrides`, plus the WMT-shaped settings for `"wmt-shaped"`."""
    extra = WMT_SHAPED if data_set == "wmt-shaped" else []
    # What `train` checks: a bad value fails here, in one line.
    return load_config(DEFAULT_CONFIG, Config, [*extra, *overrides])


def bench_data(data_set: str, cfg: Config, pairs: int = WMT_PAIRS) -> tuple[Any, Any]:
    """`(data, tokenizer)`: the paper's number-words task, or `pairs` WMT-shaped pairs."""
    if data_set == "wmt-shaped":
        return wmt_shaped_data(cfg, pairs)
    splits = load_splits(cfg.data)
    tokenizer = train_tokenizer(splits, cfg.data)
    return make_batches(splits, tokenizer, cfg.data), tokenizer


def wmt_shaped_data(cfg: Config, pairs: int) -> tuple[Any, Any]:
    """Random token ids with WMT-shaped lengths in the paper's loader, and a tokenizer stand-in
    (pad 0, bos 1, eos 2, the config's vocabulary size). Targets end with eos, as the paper's."""
    rng = np.random.default_rng(cfg.data.seed)
    vocab = cfg.data.vocab_size
    columns: dict[str, list[list[int]]] = {"src": [], "tgt": []}
    # The lengths of `packages/rd-data/benchmarks/bench_padding.py` (log-normal, median 24).
    lengths = load_member_benchmark("rd-data", "bench_padding").wmt_like_lengths
    for src_len, tgt_len in lengths(pairs, cfg.data.seed).tolist():
        columns["src"].append(rng.integers(3, vocab, src_len).tolist())
        columns["tgt"].append([*rng.integers(3, vocab, tgt_len - 1).tolist(), 2])
    tokenizer = SimpleNamespace(pad_id=0, bos_id=1, eos_id=2, vocab_size=vocab)
    data = batches_of(DatasetDict({"train": Dataset.from_dict(columns)}), 0, cfg.data)
    return data, tokenizer


class TimedBatches:
    """Wraps a loader; notes when each batch is asked for and the tokens it holds."""

    def __init__(self, loader: Any, pad_id: int) -> None:
        self.loader, self.pad_id = loader, pad_id
        self.asked: list[float] = []
        self.real_tgt: list[int] = []

    def __iter__(self) -> Iterator[Any]:
        for batch in _timed(self.loader, self.asked):
            self.real_tgt.append(int(batch["tgt"].ne(self.pad_id).sum()))
            yield batch

    def measure(self, batches: int) -> dict[str, float]:
        """The round that just ran: `batches` batches, from the first ask to the next one."""
        return {
            "seconds": self.asked[batches] - self.asked[0],
            "tokens": float(sum(self.real_tgt[:batches])),
        }


def _timed(loader: Any, asked: list[float]) -> Iterator[Any]:
    iterator = iter(loader)
    while True:
        asked.append(time.perf_counter())
        try:
            yield next(iterator)
        except StopIteration:
            asked.pop()
            return


def padding_waste(batches: list[list[int]], lengths: np.ndarray) -> float:
    real = padded = 0
    for batch in batches:
        part = lengths[np.asarray(batch)]
        real += int(part.sum())
        padded += len(batch) * int(part.max(axis=0).sum())
    return 1 - real / padded


def random_budget_batches(lengths: np.ndarray, max_tokens: int, seed: int) -> list[list[int]]:
    """Random order, each batch filled while `rows x longest sequence <= max_tokens` (the same
    padded-token budget as the token-budget sampler, without grouping by length)."""
    batches: list[list[int]] = []
    batch: list[int] = []
    longest = 0
    for i in np.random.default_rng(seed).permutation(len(lengths)).tolist():
        size = int(lengths[i].max())
        if batch and (len(batch) + 1) * max(longest, size) > max_tokens:
            batches.append(batch)
            batch, longest = [], 0
        batch.append(i)
        longest = max(longest, size)
    if batch:
        batches.append(batch)
    return batches


class PlainLoop:
    """torch.nn.Transformer trained by a bare loop on random padded batches."""

    def __init__(self, cfg: Config, data: Any, tokenizer: Any, ours: nn.Module) -> None:
        bt = load_rd_models_benchmark()
        self.model = bt.TorchTransformerMT(ours.config).train()
        bt.copy_weights(ours, self.model)
        self.pad, self.bos = tokenizer.pad_id, tokenizer.bos_id
        self.smoothing = cfg.optim.label_smoothing
        o = cfg.optim
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=1.0, betas=(o.beta1, o.beta2), eps=o.eps
        )
        d, warm, scale = cfg.model.d_model, o.warmup_steps, o.lr_scale
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: scale * d**-0.5 * min((s + 1) ** -0.5, (s + 1) * warm**-1.5),
        )
        train = data.tokenized["train"]
        lengths = example_lengths(train, ("src", "tgt"))
        self.batches = random_budget_batches(lengths, cfg.data.max_tokens, cfg.data.seed)
        self.loader = torch.utils.data.DataLoader(
            train,
            batch_sampler=self.batches,  # type: ignore[arg-type]
            collate_fn=self.collate,
        )
        self.iterator = iter(self.loader)
        # The paper config's precision (`--set training.precision=bf16`): the same autocast (and
        # for fp16 loss scaling) as the Trainer's, so both contenders compute at one precision.
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.training.precision)
        self.autocast = (
            (lambda: torch.autocast("cpu", dtype=dtype)) if dtype else contextlib.nullcontext
        )
        self.scaler = torch.amp.GradScaler("cpu") if dtype == torch.float16 else None

    def collate(self, rows: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        def pad(key: str) -> torch.Tensor:
            seqs = [torch.tensor(r[key]) for r in rows]
            return pad_sequence(seqs, batch_first=True, padding_value=self.pad)

        return {"src": pad("src"), "tgt": pad("tgt")}

    def next_batch(self) -> dict[str, torch.Tensor]:
        try:
            return next(self.iterator)
        except StopIteration:
            self.iterator = iter(self.loader)
            return next(self.iterator)

    def round(self, steps: int) -> dict[str, float]:
        tokens = 0
        start = time.perf_counter()
        for _ in range(steps):
            batch = self.next_batch()
            src, tgt = batch["src"], batch["tgt"]
            tgt_in = torch.cat([torch.full_like(tgt[:, :1], self.bos), tgt[:, :-1]], dim=1)
            with self.autocast():
                logits = self.model(src, tgt_in)
                loss = F.cross_entropy(
                    logits.flatten(0, 1),
                    tgt.flatten(),
                    ignore_index=self.pad,
                    label_smoothing=self.smoothing,
                )
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            tokens += int(tgt.ne(self.pad).sum())
        return {"seconds": time.perf_counter() - start, "tokens": float(tokens)}


class TrainerRounds:
    """The paper's Trainer on its token-budget batches; each round is a fresh `fit()` of
    `steps + 1` steps on the same model, optimizer and schedule (the extra step only closes
    the timing window)."""

    def __init__(self, cfg: Config, data: Any, tokenizer: Any, model: nn.Module, out: Path):
        o = cfg.optim
        self.cfg, self.data, self.model, self.out = cfg, data, model, out
        self.optimizer = build_optimizer(
            model, "adam", lr=1.0, betas=(o.beta1, o.beta2), eps=o.eps, weight_decay=o.weight_decay
        )
        self.scheduler = NoamLR(
            self.optimizer, d_model=cfg.model.d_model, warmup_steps=o.warmup_steps, scale=o.lr_scale
        )
        self.loss_fn = make_loss_fn(tokenizer, o.label_smoothing)
        self.pad = tokenizer.pad_id
        self.count = 0

    def round(self, steps: int) -> dict[str, float]:
        self.count += 1
        t = self.cfg.training
        timed = TimedBatches(self.data.train_loader, self.pad)
        out_dir = self.out / f"round{self.count}"
        trainer = Trainer(
            self.model,
            # The paper config's step settings (`--set training.compile=true` etc. apply).
            dataclasses.replace(
                t,
                max_steps=steps + 1,
                log_every=10**9,
                eval_every=None,
                save_every=None,
                keep_last=1,
                best_metric=None,
                device="cpu",
                progress_bar=False,
                tensorboard=False,
            ),
            train_data=timed,
            loss_fn=self.loss_fn,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            sampler=self.data.train_loader.batch_sampler,
            out_dir=out_dir,
        )
        trainer.fit()
        shutil.rmtree(out_dir, ignore_errors=True)
        return timed.measure(steps * t.grad_accum_steps)


def bench_end_to_end(
    overrides: list[str],
    reps: int,
    steps: int,
    peer: bool = True,
    data_set: str = "number-words",
    pairs: int = WMT_PAIRS,
) -> dict[str, Any]:
    """Real target tokens/s of `paper`, `plain` and (when transformers is there) `marian`, on
    the number-words task or on `pairs` WMT-shaped pairs (`data_set="wmt-shaped"`)."""
    torch.manual_seed(0)
    start = time.perf_counter()
    cfg = bench_config(data_set, overrides)
    data, tokenizer = bench_data(data_set, cfg, pairs)
    setup_s = time.perf_counter() - start

    torch.manual_seed(cfg.training.seed)
    model = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    plain = PlainLoop(cfg, data, tokenizer, model)
    out = Path(tempfile.mkdtemp(prefix="rd-bench-e2e-"))
    contenders = {"paper": TrainerRounds(cfg, data, tokenizer, model, out / "paper").round}
    contenders["plain"] = plain.round
    skipped = None
    if peer and transformers_available():
        twin = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
        twin.load_state_dict(initial)
        marian = MarianTranslator(twin, tokenizer.bos_id, tokenizer.eos_id)
        contenders["marian"] = TrainerRounds(cfg, data, tokenizer, marian, out / "marian").round
    else:
        skipped = "transformers not installed (uv run --group bench ...)" if peer else "--no-peer"
    try:
        results = alternate({n: (lambda r=r: r(steps)) for n, r in contenders.items()}, reps)
    finally:
        shutil.rmtree(out, ignore_errors=True)

    lengths = example_lengths(data.tokenized["train"], ("src", "tgt"))
    sampler = data.train_loader.batch_sampler
    sampler.set_epoch(0)
    pairs = [("paper", "plain")] + ([("paper", "marian")] if "marian" in results else [])
    ratios = {f"{a}/{b}": ratio(results, a, b) for a, b in pairs}
    ratios_best = {f"{a}/{b}": ratio(results, a, b, "best_tokens_per_s") for a, b in pairs}
    ratios_paired = {f"{a}/{b}": paired_ratio(results, a, b) for a, b in pairs}
    return {
        "config": {
            "data": data_set,
            "overrides": overrides,
            "train_pairs": len(data.tokenized["train"]),
            "vocab": tokenizer.vocab_size,
            "max_tokens": cfg.data.max_tokens,
            "steps_per_round": steps,
            "parameters": sum(p.numel() for p in model.parameters()),
            "setup_s": setup_s,
        },
        "contenders": results,
        "ratios": ratios,
        "ratios_best": ratios_best,
        "ratios_paired": ratios_paired,
        "padding_waste": {
            "paper": padding_waste([list(b) for b in sampler], lengths),
            "plain": padding_waste(plain.batches, lengths),
        },
        "peer_skipped": skipped,
    }
