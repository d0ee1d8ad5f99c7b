"""Scaffold a new paper (or project) member that trains out of the box, then `uv lock`.

    uv run python tools/new_paper.py NAME [--uses models,training,data,viz] [--project]

creates `papers/NAME` (distribution `paper-NAME`, import `paper_NAME`) or, with `--project`,
`projects/NAME` (`project-NAME`), declaring only the chosen rd-* libraries plus torch:

    pyproject.toml  README.md  CHANGELOG.md
    src/<pkg>/      __init__.py py.typed config.yaml config.py task.py model.py train.py evaluate.py
    tests/          test_smoke.py

Its `NAME-train` trains a tiny model on a synthetic task (sequence reversal) in seconds on a CPU
with the chosen pieces: rd_models' Transformer (else a placeholder MLP), rd_training's Trainer and
config loader (else a plain loop and a small YAML loader), rd_data's assets paths and collation,
rd_viz's loss plot. An existing or invalid NAME is refused: one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import keyword
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # rd_tools, unsynced too
import new_paper_templates as tpl

from rd_tools.workspace import WORKSPACE_ROOT, find_members

PIECES = ("models", "training", "data", "viz")
"""What `--uses` accepts; each is the rd-* library of that name."""
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME_LENGTH = 40


class ScaffoldError(Exception):
    """A request the user can fix (bad or existing name, unknown piece): one line, exit code 2."""


def parse_uses(text: str) -> tuple[str, ...]:
    """`"models,viz"` -> `("models", "viz")` in canonical order.

    Raises:
        ScaffoldError: an unknown piece.
    """
    chosen = {part.strip().removeprefix("rd-") for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(PIECES))
    if unknown:
        raise ScaffoldError(
            f"--uses: unknown {', '.join(unknown)} (choose from {','.join(PIECES)})"
        )
    return tuple(p for p in PIECES if p in chosen)


def validate_name(name: str, root: Path, project: bool) -> Path:
    """The folder the member will live in.

    Raises:
        ScaffoldError: `name` is not lower-case-with-dashes, or the folder or distribution exists.
    """
    if not NAME_PATTERN.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(
            f"invalid name {name!r}: use lower-case letters, digits and single dashes, starting "
            f"with a letter, at most {MAX_NAME_LENGTH} characters (e.g. 'vit' or 'ln-placement')"
        )
    if keyword.iskeyword(name):
        raise ScaffoldError(f"invalid name {name!r}: a Python keyword")
    folder = root / ("projects" if project else "papers") / name
    dist = f"{'project' if project else 'paper'}-{name}"
    if folder.exists() or folder.is_symlink():
        raise ScaffoldError(f"{folder.relative_to(root)} already exists")
    if dist in {m.name for m in find_members(root)}:
        raise ScaffoldError(f"a workspace member is already named {dist}")
    return folder


def render_files(name: str, uses: tuple[str, ...], project: bool) -> dict[str, str]:
    """Every file of the new member: path relative to the member folder -> text."""
    kind = "project" if project else "paper"
    dist, pkg = f"{kind}-{name}", f"{kind}_{name.replace('-', '_')}"
    models, training, data, viz = (p in uses for p in PIECES)
    deps = [f"rd-{p}" for p in uses] + ["torch>=2.9"] + ([] if training else ["pyyaml>=6.0"])

    rd_training_names = ["ConfigError", "load_config", "save_config"]
    if training:
        rd_training_names += ["MetricsLogger", "Trainer", "TrainerConfig", "build_optimizer"]
        rd_training_names.append("label_smoothed_cross_entropy")
    train_rd = [import_line("rd_data", ["get_outputs_dir"])] if data else []
    if training:
        train_rd.append(import_line("rd_training", rd_training_names))
    if viz:
        train_rd.append(import_line("rd_viz", ["plot_training_curves"]))
    config_names = ["DEFAULT_CONFIG", "Config"]
    if not training:
        config_names += ["ConfigError", "load_config", "save_config"]
    run_files = (", checkpoints/, manifest.json" if training else "") + (
        ", plots/loss.png" if viz else ""
    )
    uses_text = ", ".join(f"rd-{p}" for p in uses) + (" and torch" if uses else "torch")
    values = {
        "name": name,
        "dist": dist,
        "pkg": pkg,
        "kind": kind,
        "title": f"{kind.capitalize()} {name}",
        "member_path": f"{kind}s/{name}",
        "uses_text": uses_text,
        "dependencies": "".join(f'    "{d}",\n' for d in deps),
        "config_typing": "" if training else "from typing import Any\n\nimport yaml\n",
        "config_imports": ""
        if training
        else "import dataclasses\nfrom collections.abc import Sequence\n",
        "task_imports": "\nfrom rd_data import collate_padded\n" if data else "",
        "collate": tpl.COLLATE_DATA if data else tpl.COLLATE_PLAIN,
        "train_stdlib": "" if training else "import itertools\nimport json\n",
        "train_torch": "" if training else "import torch.nn.functional as F\n",
        "config_imports_line": import_line(f"{pkg}.config", config_names),
        "train_rd_imports": "".join(line + "\n" for line in train_rd),
        "loss_body": tpl.LOSS_RD if training else tpl.LOSS_PLAIN,
        "train_loop": tpl.LOOP_RD if training else tpl.LOOP_PLAIN,
        "load_call": "load_config(args.config, Config, args.overrides)"
        if training
        else "load_config(args.config, args.overrides)",
        "outputs_line": "outputs = get_outputs_dir()"
        if data
        else 'outputs = Path(os.environ.get("RD_ASSETS_DIR", "assets")) / "outputs"',
        "log_test": 'MetricsLogger(run_dir).log(steps, "test", exact_match=accuracy)'
        if training
        else 'log_metrics(run_dir, steps, "test", exact_match=accuracy)',
        "plot": tpl.PLOT if viz else "",
        "run_files": run_files,
        "eval_config_names": "Config" if training else "Config, load_config",
        "eval_rd_imports": "from rd_training import load_config\n" if training else "",
        "eval_load_call": "load_config(config_file, Config)"
        if training
        else "load_config(config_file)",
        "test_plot": '    assert (run / "plots" / "loss.png").is_file()\n' if viz else "",
        "plot_cmd": f"uv run rd-plot assets/outputs/{name}/<run-name>\n" if viz else "",
        "data_note": "`rd_data.load_local_dataset` reads it back."
        if data
        else "Add `rd-data` to the dependencies for the download and link helpers in Python.",
    }
    if not data:
        values["train_stdlib"] += "import os\n"
    files = {
        "pyproject.toml": tpl.PYPROJECT,
        "README.md": tpl.README_MD,
        "CHANGELOG.md": tpl.CHANGELOG_MD,
        f"src/{pkg}/__init__.py": tpl.INIT,
        f"src/{pkg}/py.typed": "",
        f"src/{pkg}/config.yaml": tpl.CONFIG_YAML,
        f"src/{pkg}/config.py": tpl.CONFIG_PY_HEAD + ("" if training else tpl.CONFIG_PY_LOADER),
        f"src/{pkg}/task.py": tpl.TASK_PY,
        f"src/{pkg}/model.py": tpl.MODEL_PY_RD if models else tpl.MODEL_PY_PLAIN,
        f"src/{pkg}/train.py": tpl.TRAIN_PY,
        f"src/{pkg}/evaluate.py": tpl.EVALUATE_PY,
        "tests/test_smoke.py": tpl.TEST_PY,
    }
    return {path: fill(text, values) for path, text in files.items()}


def _order(name: str) -> tuple[int, str]:
    """isort's order within one import: CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def import_line(module: str, names: list[str]) -> str:
    """`from module import a, b` as ruff formats it (one name per line when it gets long)."""
    names = sorted(set(names), key=_order)
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= 100:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every `{{key}}`; a placeholder without a value is a bug in the templates."""
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)
    return text


def format_with_ruff(folder: Path) -> None:
    """Let ruff wrap the lines a long NAME made too long (best effort: skipped without ruff)."""
    ruff = shutil.which("ruff")
    if ruff:
        subprocess.run([ruff, "format", "--quiet", str(folder)], check=False)


def scaffold(
    name: str, uses: tuple[str, ...], project: bool, root: Path, lock: bool = True
) -> Path:
    """Write the member (all files or none), then `uv lock`. Returns the member folder.

    Raises:
        ScaffoldError: a bad or existing name.
        RuntimeError: `uv lock` failed (the member folder is removed again).
    """
    folder = validate_name(name, root, project)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        for relative, text in render_files(name, uses, project).items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        staging.rename(folder)  # nothing half-written is ever visible under papers/
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    format_with_ruff(folder)
    if lock:
        result = subprocess.run(["uv", "lock"], cwd=root, capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(folder)
            raise RuntimeError(f"uv lock failed, {folder} removed again:\n{result.stderr}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="new_paper.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="lower-case name with dashes, e.g. 'vit' or 'ln-placement'")
    parser.add_argument(
        "--uses",
        default=",".join(PIECES),
        help=f"rd-* libraries to depend on, comma-separated (default: {','.join(PIECES)})",
    )
    parser.add_argument("--project", action="store_true", help="projects/NAME instead of papers/")
    parser.add_argument("--no-lock", action="store_true", help="skip `uv lock` (run it yourself)")
    args = parser.parse_args(argv)
    try:
        uses = parse_uses(args.uses)
        folder = scaffold(args.name, uses, args.project, WORKSPACE_ROOT, lock=not args.no_lock)
    except ScaffoldError as err:
        print(f"new_paper.py: error: {err}", file=sys.stderr)
        return 2
    except RuntimeError as err:
        print(f"new_paper.py: error: {err}", file=sys.stderr)
        return 1
    kind = "project" if args.project else "paper"
    dist, rel = f"{kind}-{args.name}", folder.relative_to(WORKSPACE_ROOT)
    print(
        f"created {rel} ({dist}, uses {', '.join(uses) or 'torch only'}) and updated uv.lock\n"
        f"next:\n"
        f"  uv run --package {dist} {args.name}-train           # trains in seconds\n"
        f"  uv run --package {dist} pytest {rel}/tests\n"
        f"  uv run rd-link {rel} <org/dataset>                  # {rel}/data -> assets/datasets/..."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
