"""Console scripts `rd-download-dataset`, `rd-download-model`, `rd-push-model`,
`rd-import-corpus` and `rd-link`.

Each `*_main(argv)` returns an exit code: 0 on success (the destination path is printed on
stdout), 2 for anything the user can fix (one line on stderr, no traceback), 130 on Ctrl-C.
Heavy libraries are imported only after the arguments are parsed, so `--help` answers at once.
The scripts in the workspace's `tools/` folder call these same functions.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from rd_data.errors import RdDataError

__all__ = [
    "download_dataset_main",
    "download_model_main",
    "import_corpus_main",
    "link_main",
    "push_model_main",
]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _run(action: Callable[[], object]) -> int:
    try:
        result = action()
    except RdDataError as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left in assets/", file=sys.stderr)
        return 130
    print(result, flush=True)
    return 0


def download_dataset_main(argv: Sequence[str] | None = None) -> int:
    """`rd-download-dataset --name NAME [--config C] [--split S] [--revision R] [--force]`."""
    parser = _Parser(
        prog="rd-download-dataset",
        description="Download a Hugging Face dataset into assets/datasets/<name>[/<config>] "
        "(save_to_disk) once; later runs use the saved copy without the network.",
        epilog="example: rd-download-dataset --name wmt/wmt14 --config de-en",
    )
    parser.add_argument("--name", required=True, help="Hub id, e.g. squad or wmt/wmt14")
    parser.add_argument("--config", help="config (subset) name, e.g. de-en")
    parser.add_argument("--split", help="download only this split, e.g. train")
    parser.add_argument("--revision", help="branch, tag or commit (default: main)")
    parser.add_argument("--force", action="store_true", help="download again even if saved")
    args = parser.parse_args(argv)

    def action() -> object:
        from rd_data.hf_datasets import dataset_dir, download_dataset, saved_dataset_path

        if not args.force:  # answer from disk without importing datasets
            saved = saved_dataset_path(args.name, args.config, args.split, args.revision)
            if saved is not None:
                return saved
        download_dataset(args.name, args.config, args.split, args.revision, args.force)
        folder = dataset_dir(args.name, args.config)
        return folder / args.split if args.split else folder

    return _run(action)


def download_model_main(argv: Sequence[str] | None = None) -> int:
    """`rd-download-model --repo-id ID [--filename F] [--revision R] [--force]`."""
    parser = _Parser(
        prog="rd-download-model",
        description="Download a Hugging Face model repository (or one file) into "
        "assets/models/<org>/<name> once.",
        epilog="example: rd-download-model --repo-id bert-base-uncased --filename config.json",
    )
    parser.add_argument("--repo-id", required=True, help="Hub id, e.g. bert-base-uncased")
    parser.add_argument("--filename", help="download only this file, e.g. pytorch_model.bin")
    parser.add_argument("--revision", help="branch, tag or commit (default: main)")
    parser.add_argument("--force", action="store_true", help="download again even if present")
    args = parser.parse_args(argv)

    def action() -> object:
        from rd_data.hf_models import download_model

        return download_model(args.repo_id, args.filename, args.revision, args.force)

    return _run(action)


def push_model_main(argv: Sequence[str] | None = None) -> int:
    """`rd-push-model FOLDER --repo-id ID [--private] [--message M]`."""
    parser = _Parser(
        prog="rd-push-model",
        description="Upload a model folder (e.g. a run's model/: weights, config, tokenizer, "
        "model card) to the Hugging Face Hub in one commit, creating the repository if needed. "
        "The token is HF_TOKEN or the one `hf auth login` saved; it is never printed.",
        epilog="example: rd-push-model assets/outputs/transformer/base/model --repo-id me/mt-base",
    )
    parser.add_argument("folder", help="the folder to upload")
    parser.add_argument("--repo-id", required=True, help="Hub model id, e.g. me/my-model")
    parser.add_argument("--private", action="store_true", help="create the repository private")
    parser.add_argument("--message", help="commit message")
    args = parser.parse_args(argv)

    def action() -> object:
        from rd_data.hf_models import upload_model

        return upload_model(args.folder, args.repo_id, private=args.private, message=args.message)

    return _run(action)


def import_corpus_main(argv: Sequence[str] | None = None) -> int:
    """`rd-import-corpus --name NAME --source-lang S --target-lang T PATH... [--force]`."""
    parser = _Parser(
        prog="rd-import-corpus",
        description="Check a local parallel corpus and save it as assets/datasets/<name> "
        "(a translation column, the Hub's WMT layout), for load_local_dataset(name) and "
        "data.dataset=<name>. PATH: line-aligned files (train.en + train.de, valid.*/dev.*, "
        "test.*), TSV/CSV with a header naming the languages, JSONL/Parquet, folders of those, "
        "or one folder saved by datasets.",
        epilog="example: rd-import-corpus --name my-en-de --source-lang en --target-lang de "
        "corpus/",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="corpus files or folders")
    parser.add_argument("--name", required=True, help="dataset name under assets/datasets/")
    parser.add_argument("--source-lang", required=True, help="source language code, e.g. en")
    parser.add_argument("--target-lang", required=True, help="target language code, e.g. de")
    parser.add_argument("--force", action="store_true", help="replace a dataset of that name")
    args = parser.parse_args(argv)

    def action() -> object:
        from rd_data.corpus import import_corpus

        return import_corpus(
            args.name, args.paths, args.source_lang, args.target_lang, force=args.force
        )

    return _run(action)


def link_main(argv: Sequence[str] | None = None) -> int:
    """`rd-link MEMBER_DIR NAME [--config C] [--model] [--link-name data]`."""
    parser = _Parser(
        prog="rd-link",
        description="Create MEMBER_DIR/data as a relative symlink to assets/datasets/<name>"
        "[/<config>] (or to assets/models/<name> with --model). Idempotent; never replaces "
        "anything that is not a symlink.",
        epilog="example: rd-link papers/transformer wmt/wmt14 --config de-en",
    )
    parser.add_argument("member_dir", help="paper or project folder, e.g. papers/transformer")
    parser.add_argument("name", help="dataset name (or model id with --model)")
    parser.add_argument("--config", help="dataset config (sub-folder), e.g. de-en")
    parser.add_argument("--model", action="store_true", help="link a model, not a dataset")
    parser.add_argument("--link-name", default="data", help="name of the link (default: data)")
    args = parser.parse_args(argv)

    def action() -> object:
        from rd_data.links import link_asset

        link = link_asset(
            args.member_dir,
            args.name,
            config=args.config,
            kind="model" if args.model else "dataset",
            link_name=args.link_name,
        )
        return f"{link} -> {os.readlink(link)}"

    return _run(action)
