"""Scaffold a new paper (or project) member that trains out of the box, then `uv lock`.

    uv run python tools/new_paper.py NAME [--uses models,viz] [--project] [--no-lock]

creates `papers/NAME` (distribution `paper-NAME`, import `paper_NAME`) or, with `--project`,
`projects/NAME` (`project-NAME`) from the template folder `tools/scaffold/template/`:

    pyproject.toml  README.md  CHANGELOG.md
    src/<pkg>/      __init__.py py.typed config.yaml config.py task.py model.py train.py evaluate.py
    tests/          test_smoke.py

Every member uses rd-training (config loading, the Trainer, checkpoints) and rd-data (the
assets paths, collation); `--uses` adds rd-models (model.py is then an rd_models.Transformer,
else a small plain-torch model) and rd-viz (the loss plot). Its `NAME-train` trains a tiny model
on a synthetic task (sequence reversal) in seconds on a CPU. An existing or invalid NAME is
refused: one line on stderr, exit code 2. How the template is rendered: tools/scaffold/README.md.
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

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # rd_tools, unsynced too
from rd_tools.workspace import WORKSPACE_ROOT, find_members

PIECES = ("models", "training", "data", "viz")
"""What `--uses` accepts; each is the rd-* library of that name."""
ALWAYS = ("training", "data")
"""The pieces every scaffold uses, named or not: its skeleton is built on them."""
OPTIONAL = tuple(p for p in PIECES if p not in ALWAYS)
"""The pieces a scaffold may leave out: 4 variants of the template."""
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME_LENGTH = 40

TEMPLATE = Path(__file__).resolve().parent / "scaffold" / "template"
TEMPLATE_PACKAGE = "paper_template"
"""The template's import name (and package folder); rendering replaces it with the member's."""
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
MARKER = re.compile(r"\s+# (uses|without): (\w+)$")
"""A line ending in `# uses: viz` is kept (without the marker) only with viz; `# without: viz`
the other way round."""


class ScaffoldError(Exception):
    """A request the user can fix (bad or existing name, unknown piece): one line, exit code 2."""


def parse_uses(text: str) -> tuple[str, ...]:
    """`"viz, rd-models"` -> `("models", "training", "data", "viz")`: canonical order, with the
    pieces every scaffold uses.

    Raises:
        ScaffoldError: an unknown piece.
    """
    chosen = {part.strip().removeprefix("rd-") for part in text.split(",") if part.strip()}
    unknown = sorted(chosen - set(PIECES))
    if unknown:
        raise ScaffoldError(
            f"--uses: unknown {', '.join(unknown)} (choose from {','.join(PIECES)})"
        )
    return tuple(p for p in PIECES if p in chosen or p in ALWAYS)


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


def placeholder_values(name: str, uses: tuple[str, ...], project: bool) -> dict[str, str]:
    """What each `{{placeholder}}` of the template becomes, and `pkg`, the import name."""
    kind = "project" if project else "paper"
    return {
        "name": name,
        "dist": f"{kind}-{name}",
        "pkg": f"{kind}_{name.replace('-', '_')}",
        "kind": kind,
        "title": f"{kind.capitalize()} {name}",
        "member_path": f"{kind}s/{name}",
        "uses": ", ".join(f"rd-{p}" for p in uses) + " and torch",
    }


def template_files(models: bool) -> dict[str, Path]:
    """The template's files by the path each gets in the member (before the package rename).

    `model_plain.py` becomes `model.py` without rd-models; `.in` suffixes (which keep uv from
    reading the template's pyproject as a member) are dropped; caches are skipped.
    """
    files = {}
    for path in sorted(TEMPLATE.rglob("*")):
        parts = path.relative_to(TEMPLATE).parts
        if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts):
            files["/".join(parts).removesuffix(".in")] = path
    package = f"src/{TEMPLATE_PACKAGE}"
    plain = files.pop(f"{package}/model_plain.py")
    if not models:
        files[f"{package}/model.py"] = plain
    return files


def render_text(text: str, values: dict[str, str], uses: tuple[str, ...]) -> str:
    """Keep or drop the marked lines, rename the package and fill the `{{placeholders}}`."""
    kept = []
    for line in text.split("\n"):
        marker = MARKER.search(line)
        if marker:
            rule, piece = marker.groups()
            if piece not in OPTIONAL:
                raise ValueError(f"template line {line!r}: no optional piece {piece!r}")
            if (piece in uses) != (rule == "uses"):
                continue
            line = line[: marker.start()]
        kept.append(line)
    text = "\n".join(kept).replace(TEMPLATE_PACKAGE, values["pkg"])
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)  # KeyError: a template bug


def render_files(name: str, uses: tuple[str, ...], project: bool) -> dict[str, str]:
    """Every file of the new member: path relative to the member folder -> text."""
    values = placeholder_values(name, uses, project)
    return {
        relative.replace(TEMPLATE_PACKAGE, values["pkg"]): render_text(
            path.read_text(encoding="utf-8"), values, uses
        )
        for relative, path in template_files("models" in uses).items()
    }


def scaffold(
    name: str, uses: tuple[str, ...], project: bool, root: Path, lock: bool = True
) -> Path:
    """Write the member (all files or none), then `uv lock`. Returns the member folder.

    Raises:
        ScaffoldError: a bad or existing name.
        RuntimeError: `uv lock` failed (the member folder is removed again).
    """
    folder = validate_name(name, root, project)
    files = render_files(name, uses, project)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.rename(folder)  # nothing half-written is ever visible under papers/
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if lock:
        result = subprocess.run(["uv", "lock"], cwd=root, capture_output=True, text=True)
        if result.returncode != 0:
            shutil.rmtree(folder)
            raise RuntimeError(f"uv lock failed, {folder} removed again:\n{result.stderr}")
    return folder


def summary(name: str, uses: tuple[str, ...], project: bool, rel: Path, locked: bool) -> str:
    """What was made, what it uses, and what to run next."""
    dist = f"{'project' if project else 'paper'}-{name}"
    libraries = ", ".join(f"rd-{p}" for p in uses)
    lock = "updated uv.lock" if locked else "run `uv lock` next"
    steps = [
        (f"uv run --package {dist} {name}-train", "trains in seconds"),
        (f"uv run --package {dist} pytest {rel}/tests", "its smoke tests"),
        (f"uv run rd-link {rel} <org/dataset>", f"{rel}/data -> assets/datasets/..."),
    ]
    width = max(len(command) for command, _ in steps)
    return "\n".join(
        [f"created {rel} ({dist}, uses {libraries} and torch); {lock}", "next:"]
        + [f"  {command:<{width}}  # {note}" for command, note in steps]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="new_paper.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="lower-case name with dashes, e.g. 'vit' or 'ln-placement'")
    parser.add_argument(
        "--uses",
        default=",".join(OPTIONAL),
        help=f"optional rd-* libraries, comma-separated: {','.join(OPTIONAL)} (default: both); "
        f"{' and '.join(ALWAYS)} are always used",
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
    rel = folder.relative_to(WORKSPACE_ROOT)
    print(summary(args.name, uses, args.project, rel, locked=not args.no_lock))
    return 0


if __name__ == "__main__":
    sys.exit(main())
