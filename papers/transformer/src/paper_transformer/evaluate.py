"""Decode a split of a trained run with beam search and report sacreBLEU, chrF and exact match.

    uv run --package paper-transformer evaluate assets/outputs/transformer/<run>
    uv run --package paper-transformer evaluate <run> --average-last 5 --beam 4 --lenpen 0.6
    uv run --package paper-transformer evaluate <run>/checkpoints/step_00001000 --split validation
    uv run --package paper-transformer evaluate <run>/model          # or a downloaded Hub id

Hypotheses go to `<run>/hypotheses.<split>.txt`, scores to `<run>/metrics.jsonl` and
cross-attention maps of a few sentences to `<run>/plots/`; for a model folder, into
`assets/outputs/transformer/evaluate-<folder name>/`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from paper_transformer.errors import UserError
from paper_transformer.model_folder import (
    evaluation_dir,
    is_model_folder,
    model_folder_step,
    resolve_model_path,
)

if TYPE_CHECKING:
    import torch

    from paper_transformer.config import Config
    from rd_data import BPETokenizer
    from rd_models import Transformer


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="evaluate",
        description="Translate a split with a trained paper-transformer run and score it.",
    )
    parser.add_argument("path", type=Path, help=PATH_HELP)
    parser.add_argument(
        "--average-last", type=int, help="average the last N checkpoints (default: from config)"
    )
    parser.add_argument("--split", help="split to decode (default: the config's test split)")
    parser.add_argument("--beam", type=int, help="beam size (1 = greedy)")
    parser.add_argument("--lenpen", type=float, help="GNMT length penalty alpha")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    return parser.parse_args(argv)


PATH_HELP = (
    "a run directory, one checkpoint directory in it, a model folder (<run>/model) or the Hub "
    "id of one downloaded with rd-download-model"
)


def locate(path: Path) -> tuple[Path, Path | None]:
    """The run directory or model folder, and the checkpoint when `path` names one."""
    path = resolve_model_path(path)
    if (path / "model.safetensors").is_file() and path.parent.name == "checkpoints":
        return path.parent.parent, path
    if is_model_folder(path) or (path / "config.yaml").is_file():
        return path, None
    raise UserError(
        f"{path} is neither a run directory, a checkpoint of one, nor a model folder "
        "(config.json, model.safetensors, tokenizer.json, config.yaml)"
    )


def check_decode_options(args: argparse.Namespace) -> None:
    """Reject an --average-last or --beam below 1 and a negative --lenpen (shared with translate)."""
    if args.average_last is not None and args.average_last < 1:
        raise UserError("--average-last must be at least 1")
    if args.beam is not None and args.beam < 1:
        raise UserError("--beam must be at least 1")
    if args.lenpen is not None and args.lenpen < 0:
        raise UserError("--lenpen must be at least 0")


def open_run(args: argparse.Namespace, prog: str) -> tuple[Path, Config, list[Path]]:
    """The run directory (or model folder) of `args.path`, its config with the command line's
    decoding settings (--average-last, --beam, --lenpen), and the checkpoints to average (only
    the one `args.path` names, if it names one; none for a model folder). Reads the run, writes
    nothing; a note on stderr when the run kept fewer checkpoints than asked for."""
    from paper_transformer.config import Config
    from rd_training import ConfigError, list_checkpoints, load_config

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
    if is_model_folder(run_dir):  # its weights are final: nothing to average
        if args.average_last is not None:
            raise UserError(f"--average-last: {run_dir} is a model folder, it has no checkpoints")
        return run_dir, cfg, []
    checkpoints = (
        [checkpoint] if checkpoint else list_checkpoints(run_dir)[-cfg.eval.average_last :]
    )
    if not checkpoints:
        raise UserError(f"{run_dir} has no checkpoints")
    if checkpoint is None and len(checkpoints) < cfg.eval.average_last:
        print(
            f"{prog}: note: the run has {len(checkpoints)} checkpoints (training.keep_last: "
            f"{cfg.training.keep_last}): averaging those, not {cfg.eval.average_last}",
            file=sys.stderr,
        )
    return run_dir, cfg, checkpoints


def load_model(
    run_dir: Path, cfg: Config, checkpoints: list[Path], device: torch.device
) -> tuple[BPETokenizer, Transformer]:
    """The run's tokenizer, and its model on `device`: the average of `checkpoints`, or a model
    folder's own weights when there are none."""
    from paper_transformer.pipeline import build_model
    from rd_data import BPETokenizer
    from rd_models import Transformer
    from rd_training import average_checkpoints

    if not (run_dir / "tokenizer.json").is_file():
        raise UserError(f"{run_dir} has no tokenizer.json")
    tokenizer = BPETokenizer.load(run_dir / "tokenizer.json")
    if checkpoints:
        model = build_model(cfg, tokenizer.vocab_size, tokenizer.pad_id)
        model.load_state_dict(average_checkpoints(checkpoints))
    else:
        model = Transformer.from_pretrained(run_dir)
    model.to(device)
    return tokenizer, model


def run(args: argparse.Namespace) -> tuple[Path, str, dict[str, float]]:
    # Imported here, not at the top, so that `evaluate --help` answers at once.
    from paper_transformer.data import load_splits
    from paper_transformer.translate import decode_and_report
    from rd_data import tokenize_dataset
    from rd_training import resolve_device

    check_decode_options(args)
    device = resolve_device(args.device, "--device")
    run_dir, cfg, checkpoints = open_run(args, "evaluate")
    split_name = args.split or cfg.data.test_split

    splits = load_splits(cfg.data)
    if split_name not in splits:
        raise UserError(f"--split {split_name!r}: the dataset has {sorted(splits)}")
    tokenizer, model = load_model(run_dir, cfg, checkpoints, device)
    columns = {"src": f"translation.{cfg.data.source_lang}"}
    tokenized = tokenize_dataset(splits[split_name], tokenizer, columns)
    references = [row[cfg.data.target_lang] for row in splits[split_name]["translation"]]
    if checkpoints:
        out_dir, step = run_dir, int(checkpoints[-1].name.removeprefix("step_"))
    else:
        out_dir, step = evaluation_dir(run_dir), model_folder_step(run_dir)
    metrics = decode_and_report(
        model,
        tokenizer,
        tokenized,
        references,
        cfg.eval,
        out_dir,
        split_name,
        step,
        device,
        averaged_checkpoints=len(checkpoints),
        beam_size=cfg.eval.beam_size,
    )
    return out_dir, split_name, metrics


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from paper_transformer.translate import bleu_signature
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        run_dir, split, m = run(args)
    except (UserError, ConfigError, RdDataError) as err:
        print(f"evaluate: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("evaluate: interrupted", file=sys.stderr)
        return 130
    print(
        f"{run_dir} [{split}]: sacreBLEU {m['bleu']:.2f}  chrF {m['chrf']:.2f}  "
        f"exact match {m['exact_match']:.1f}%  (hypotheses.{split}.txt)\n"
        f"sacreBLEU signature: {bleu_signature()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
