"""Time to BLEU on one corpus: paper-transformer's `train` beside HF Marian in its own loop.

Both get the same corpus and held-out splits, our BPE vocabulary (trained once, by the paper's
run), the same model size and initial weights (`bench_peer.MarianTranslator` copies ours), the
same precision, peak learning rate and warm-up, and the same wall-clock training budget; then
each decodes the test split with beam search and sacreBLEU scores it.

- `paper`: the real `train` command with `training.max_seconds=BUDGET` (token-budget batches,
  Adam + the paper's schedule, label smoothing, checkpoint averaging as the config says).
- `marian`: `MarianMTModel` trained as `Seq2SeqTrainer` would: shuffled batches of a fixed
  number of sentences (`data.max_tokens` over the mean pair length, so as many real tokens per
  batch as ours), padded to the longest (`DataCollatorForSeq2Seq`), AdamW, linear warm-up then
  inverse square root (`get_inverse_sqrt_schedule`), label smoothing; `generate` decodes.

Tokens/s counts real target tokens from the end of the first step to the end of the last (the
loader inside, set-up outside). Needs the `bench` group (transformers); without it only the
paper runs and the report says so.

    uv run rd-import-corpus --name my-en-de --source-lang en --target-lang de corpus/
    uv run --all-packages --group bench python benchmarks/bench_corpus.py --dataset my-en-de
    uv run --all-packages --group bench python benchmarks/bench_corpus.py --quick   # seconds
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from bench_common import ROOT, context_lines, finish_context, run_context
from bench_peer import MarianTranslator, transformers_available
from paper_transformer.config import Config
from paper_transformer.data import load_splits
from paper_transformer.pipeline import build_model
from paper_transformer.train import main as train_main
from paper_transformer.translate import bleu_signature, score

from rd_data import BPETokenizer, collate_padded, tokenize_dataset
from rd_models import shift_right
from rd_training import autocast, load_config, seed_everything

CONFIG = ROOT / "papers" / "transformer" / "configs" / "small_real_en_de.yaml"
QUICK = [
    "data.dataset=number_words", "data.source_lang=de", "data.target_lang=en",
    "data.train_size=600", "data.valid_size=40", "data.test_size=40", "data.vocab_size=120",
    "model.d_model=32", "model.n_heads=2", "model.d_ff=64", "eval.average_last=1",
    "data.valid_fraction=null", "data.test_fraction=null",
]  # fmt: skip


def paper_run(config: Path, overrides: list[str], budget: float, out: Path) -> dict[str, Any]:
    """The `train` command under the budget; its test BLEU and training tokens/s."""
    timed = [
        f"training.max_seconds={budget}", "training.max_steps=100000000",
        "training.eval_every=null", "training.save_every=null", "training.progress_bar=false",
        "eval.average_last=1",  # the last weights, as Marian's
    ]  # fmt: skip
    code = train_main(["--config", str(config), "--out-dir", str(out), *overrides, *timed])
    if code != 0:
        raise SystemExit(f"the paper's train failed with exit code {code}")
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    train = [r for r in records if r["split"] == "train"]
    (test,) = [r for r in records if r["split"] == "test"]
    seconds = train[-1]["time"] - train[0]["time"]
    tokens = sum(r["tokens"] for r in train[1:])
    return {"bleu": test["bleu"], "chrf": test["chrf"], "steps": len(train),
            "tokens_per_s": tokens / max(seconds, 1e-9)}  # fmt: skip


def sentence_batches(tokenized: Any, cfg: Config, generator: torch.Generator) -> Any:
    """Endless shuffled batches of a fixed sentence count, each padded to its longest pair."""
    lengths = [max(len(s), len(t)) for s, t in zip(tokenized["src"], tokenized["tgt"], strict=True)]
    size = max(1, cfg.data.max_tokens // math.ceil(sum(lengths) / len(lengths)))
    rows = [r for r in tokenized if max(len(r["src"]), len(r["tgt"])) <= cfg.data.max_length]
    while True:
        order = torch.randperm(len(rows), generator=generator).tolist()
        for start in range(0, len(order) - size + 1, size):
            yield collate_padded([rows[i] for i in order[start : start + size]], 0)


def marian_train(
    marian: MarianTranslator, tokenized: Any, tok: BPETokenizer, cfg: Config, budget: float
) -> dict[str, Any]:
    """Seq2SeqTrainer's loop for `budget` seconds."""
    from transformers import get_inverse_sqrt_schedule

    o = cfg.optim
    warmup = o.warmup_steps
    peak = o.lr_scale * cfg.model.d_model**-0.5 * warmup**-0.5  # the paper schedule's top
    optimizer = torch.optim.AdamW(marian.parameters(), lr=peak, betas=(o.beta1, o.beta2),
                                  eps=o.eps, weight_decay=0.0)  # fmt: skip
    schedule = get_inverse_sqrt_schedule(optimizer, num_warmup_steps=warmup)
    device = torch.device("cpu")
    batches = sentence_batches(tokenized, cfg, torch.Generator().manual_seed(cfg.data.seed))
    marian.train()
    steps, tokens, started = 0, 0, time.perf_counter()
    first_end = started
    while time.perf_counter() - started < budget:
        batch = next(batches)
        tgt = batch["tgt"]
        with autocast(device, cfg.training.precision):
            logits = marian(batch["src"], shift_right(tgt, tok.bos_id))
        loss = F.cross_entropy(logits.float().flatten(0, 1), tgt.flatten(), ignore_index=tok.pad_id,
                               label_smoothing=o.label_smoothing)  # fmt: skip
        loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        steps += 1
        if steps == 1:
            first_end = time.perf_counter()
        else:
            tokens += int(tgt.ne(tok.pad_id).sum())
    seconds = time.perf_counter() - first_end
    return {
        "steps": steps,
        "tokens_per_s": tokens / max(seconds, 1e-9),
        "loss": float(loss.detach()),
    }


@torch.no_grad()
def marian_decode(
    marian: MarianTranslator, src: list[list[int]], tok: BPETokenizer, cfg: Config
) -> list[str]:
    """`generate` with beam search, in batches of similar lengths."""
    marian.eval()
    order = sorted(range(len(src)), key=lambda i: len(src[i]))
    out: list[list[int]] = [[] for _ in src]
    size = cfg.eval.batch_sentences
    for start in range(0, len(order), size):
        rows = order[start : start + size]
        batch = collate_padded([{"src": src[i]} for i in rows], tok.pad_id)["src"]
        ids = marian.marian.generate(
            input_ids=batch, attention_mask=batch.ne(tok.pad_id), num_beams=cfg.eval.beam_size,
            max_new_tokens=batch.shape[1] + cfg.eval.max_len_b, use_cache=True,
            decoder_start_token_id=tok.bos_id, eos_token_id=tok.eos_id, pad_token_id=tok.pad_id,
        )  # fmt: skip
        for row, hyp in zip(rows, ids.tolist(), strict=True):
            out[row] = hyp
    return tok.decode_batch(out)


def marian_run(cfg: Config, run_dir: Path, budget: float) -> dict[str, Any]:
    """Marian on the paper run's splits and vocabulary, from the same initial weights."""
    tok = BPETokenizer.load(run_dir / "tokenizer.json")
    splits = load_splits(cfg.data)
    d = cfg.data
    columns = {"src": f"translation.{d.source_lang}", "tgt": f"translation.{d.target_lang}"}
    tokenized = tokenize_dataset(splits, tok, columns)
    seed_everything(cfg.training.seed)
    marian = MarianTranslator(build_model(cfg, tok.vocab_size, tok.pad_id), tok.bos_id, tok.eos_id)
    result = marian_train(marian, tokenized["train"], tok, cfg, budget)
    test = tokenized[d.test_split]
    hyps = marian_decode(marian, list(test["src"]), tok, cfg)
    refs = [pair[d.target_lang] for pair in splits[d.test_split]["translation"]]
    return {**result, **{k: v for k, v in score(hyps, refs).items() if k in ("bleu", "chrf")}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", help="an imported corpus (rd-import-corpus) or a Hub id")
    parser.add_argument("--config", type=Path, default=CONFIG, help="the paper's config")
    parser.add_argument("--budget-s", type=float, default=480.0, help="training seconds each")
    parser.add_argument("--quick", action="store_true", help="generated number words, 5 s each")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override for both")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    if args.budget_s <= 0:
        parser.error("--budget-s must be > 0")
    if not args.quick and not args.dataset:
        parser.error("--dataset is required (or --quick)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = [*QUICK, *args.set] if args.quick else [f"data.dataset={args.dataset}", *args.set]
    budget = 5.0 if args.quick else args.budget_s
    cfg = load_config(args.config, Config, overrides)
    cfg = dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, device="cpu"))
    context = run_context()
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        paper = paper_run(
            args.config, [*overrides, "training.device=cpu"], budget, Path(tmp) / "paper"
        )
        marian = marian_run(cfg, Path(tmp) / "paper", budget) if transformers_available() else None
    finish_context(context)
    report: dict[str, Any] = {"context": context, "budget_s": budget, "dataset": cfg.data.dataset}
    report |= {"signature": bleu_signature(), "paper": paper, "marian": marian}
    print("\n".join(context_lines(context)))
    print(
        f"{cfg.data.dataset}: {budget:g} s of training each, test sacreBLEU ({report['signature']})"
    )
    for name, r in (("paper", paper), ("marian", marian)):
        if r is None:
            print(f"  {name:<7} skipped: transformers is not installed (uv run --group bench)")
            continue
        print(f"  {name:<7} BLEU {r['bleu']:6.2f}  chrF {r['chrf']:6.2f}  {r['steps']:6d} steps  "
              f"{r['tokens_per_s']:8.0f} target tok/s")  # fmt: skip
    if marian is not None:
        report["bleu_difference"] = paper["bleu"] - marian["bleu"]
        report["tokens_per_s_ratio"] = paper["tokens_per_s"] / marian["tokens_per_s"]
        print(f"  paper - marian BLEU {report['bleu_difference']:+.2f}; "
              f"tokens/s paper/marian {report['tokens_per_s_ratio']:.2f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
