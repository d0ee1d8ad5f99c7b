"""Decode a split of a trained run with beam search and report sacreBLEU, chrF and exact match.

    uv run --package paper-transformer evaluate assets/outputs/transformer/<run>
    uv run --package paper-transformer evaluate <run> --average-last 5 --beam 4 --lenpen 0.6
    uv run --package paper-transformer evaluate <run>/checkpoints/step_00001000 --split validation

Hypotheses go to `<run>/hypotheses.<split>.txt`, scores to `<run>/metrics.jsonl` and
cross-attention maps of a few sentences to `<run>/plots/`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

from paper_transformer.config import Config, UserError


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="evaluate",
        description="Translate a split with a trained paper-transformer run and score it.",
    )
    parser.add_argument("path", type=Path, help="run directory or one checkpoint directory in it")
    parser.add_argument(
        "--average-last", type=int, help="average the last N checkpoints (default: from config)"
    )
    parser.add_argument("--split", help="split to decode (default: the config's test split)")
    parser.add_argument("--beam", type=int, help="beam size (1 = greedy)")
    parser.add_argument("--lenpen", type=float, help="GNMT length penalty alpha")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    return parser.parse_args(argv)


def locate(path: Path) -> tuple[Path, Path | None]:
    """The run directory, and the checkpoint when `path` names one."""
    if (path / "model.safetensors").is_file() and path.parent.name == "checkpoints":
        return path.parent.parent, path
    if (path / "config.yaml").is_file():
        return path, None
    raise UserError(f"{path} is neither a run directory nor a checkpoint of one")


def run(args: argparse.Namespace) -> tuple[Path, str, dict[str, float]]:
    # Imported here, not at the top, so that `evaluate --help` answers at once.
    from paper_transformer.data import load_splits
    from paper_transformer.pipeline import build_model, resolve_device
    from paper_transformer.translate import decode_and_report
    from rd_data import BPETokenizer, tokenize_dataset
    from rd_training import ConfigError, average_checkpoints, list_checkpoints, load_config

    if args.average_last is not None and args.average_last < 1:
        raise UserError("--average-last must be at least 1")
    if args.beam is not None and args.beam < 1:
        raise UserError("--beam must be at least 1")
    device = resolve_device(args.device, "--device")
    run_dir, checkpoint = locate(args.path)
    try:
        cfg = load_config(run_dir / "config.yaml", Config)
    except ConfigError as err:
        raise UserError(f"{run_dir} is not a paper-transformer run ({err})") from None
    overrides = {
        "average_last": args.average_last,
        "beam_size": args.beam,
        "length_penalty": args.lenpen,
    }
    cfg.eval = dataclasses.replace(
        cfg.eval, **{k: v for k, v in overrides.items() if v is not None}
    )
    checkpoints = (
        [checkpoint] if checkpoint else list_checkpoints(run_dir)[-cfg.eval.average_last :]
    )
    if not checkpoints:
        raise UserError(f"{run_dir} has no checkpoints")
    if checkpoint is None and len(checkpoints) < cfg.eval.average_last:
        print(
            f"evaluate: note: the run has {len(checkpoints)} checkpoints (training.keep_last: "
            f"{cfg.training.keep_last}): averaging those, not {cfg.eval.average_last}",
            file=sys.stderr,
        )
    split_name = args.split or cfg.data.test_split

    splits = load_splits(cfg.data)
    if split_name not in splits:
        raise UserError(f"--split {split_name!r}: the dataset has {sorted(splits)}")
    tokenizer = BPETokenizer.load(run_dir / "tokenizer.json")
    model = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
    model.load_state_dict(average_checkpoints(checkpoints))
    model.to(device)
    columns = {"src": f"translation.{cfg.data.source_lang}"}
    tokenized = tokenize_dataset(splits[split_name], tokenizer, columns)
    references = [row[cfg.data.target_lang] for row in splits[split_name]["translation"]]
    step = int(checkpoints[-1].name.removeprefix("step_"))
    metrics = decode_and_report(
        model,
        tokenizer,
        tokenized,
        references,
        cfg.eval,
        run_dir,
        split_name,
        step,
        device,
        averaged_checkpoints=len(checkpoints),
        beam_size=cfg.eval.beam_size,
    )
    return run_dir, split_name, metrics


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        run_dir, split, m = run(args)
    except (UserError, ConfigError, RdDataError) as err:
        print(f"evaluate: error: {err}", file=sys.stderr)
        return 2
    print(
        f"{run_dir} [{split}]: sacreBLEU {m['bleu']:.2f}  chrF {m['chrf']:.2f}  "
        f"exact match {m['exact_match']:.1f}%  (hypotheses.{split}.txt)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
