"""Translate sentences given on the command line, or one per line on stdin, with a trained run.

    uv run --package paper-transformer translate assets/outputs/transformer/<run> "zwölftausenddrei"
    cat sentences.txt | uv run --package paper-transformer translate <run> --beam 1

stdout holds one translation per input line, in order, and nothing else (an empty line gives an
empty line), so it pipes. The model is loaded as `evaluate` loads it (the last
`eval.average_last` checkpoints averaged, the one checkpoint named, or a model folder such as
`<run>/model` or a downloaded Hub id); nothing is written into the run. Mistakes are one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from paper_transformer.errors import UserError
from paper_transformer.evaluate import PATH_HELP, check_decode_options, open_run

PROG = "translate"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line on stderr, exit code 2 (argparse's own usage line is left out)."""
        self.exit(2, f"{self.prog}: error: {message}\n")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog=PROG,
        description="Translate sentences with a trained paper-transformer run: one translation "
        "per input line on stdout, in order.",
    )
    parser.add_argument("path", type=Path, help=PATH_HELP)
    parser.add_argument(
        "sentences", nargs="*", help="sentences to translate (default: one per line on stdin)"
    )
    parser.add_argument(
        "--average-last", type=int, help="average the last N checkpoints (default: from config)"
    )
    parser.add_argument("--beam", type=int, help="beam size (1 = greedy; default: from config)")
    parser.add_argument("--lenpen", type=float, help="GNMT length penalty alpha (default: config)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    return parser.parse_intermixed_args(argv)  # sentences may come after the options


def read_sentences(args: argparse.Namespace) -> list[str]:
    """The arguments' sentences, else stdin's lines (UTF-8; `\\n` or `\\r\\n` endings)."""
    if args.sentences:
        return list(args.sentences)
    if sys.stdin is None or sys.stdin.isatty():
        raise UserError("no sentences: give them as arguments or one per line on stdin")
    try:
        text = sys.stdin.buffer.read().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UserError(f"stdin is not UTF-8 text ({err.reason} at byte {err.start})") from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start another
    return [line.removesuffix("\r") for line in lines]


def run(args: argparse.Namespace) -> list[str]:
    # Imported here, not at the top, so that `translate --help` answers at once.
    from paper_transformer.evaluate import load_model
    from paper_transformer.translate import translate_texts
    from rd_training import resolve_device

    check_decode_options(args)
    device = resolve_device(args.device, "--device")
    run_dir, cfg, checkpoints = open_run(args, PROG)
    sentences = read_sentences(args)
    if not sentences:
        return []
    tokenizer, model = load_model(run_dir, cfg, checkpoints, device)
    return translate_texts(model, tokenizer, sentences, cfg.eval, device)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from rd_data import RdDataError
    from rd_training import ConfigError

    try:
        translations = run(args)
    except (UserError, ConfigError, RdDataError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    try:
        for line in translations:
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. `| head -n 1`: the reader has what it wanted
        # Point stdout at /dev/null so that flushing it at exit raises nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
