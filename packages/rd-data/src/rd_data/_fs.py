"""Write a folder somewhere else first and move it into place only once it is complete."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARKER = ".rd-data.json"
"""Small JSON file rd_data writes into each downloaded asset folder (provenance, completeness)."""


@contextlib.contextmanager
def staging_dir(parent: Path, label: str) -> Iterator[Path]:
    """Yield a fresh hidden folder in `parent`; it is deleted on exit unless it was moved away."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".incoming-{label}-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def move_into_place(source: Path, target: Path) -> None:
    """Move the folder `source` to `target`, replacing a previous `target` (two renames)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
    os.replace(source, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_marker(folder: Path) -> dict[str, Any]:
    """Return the folder's marker, or {} when it has none (or an unreadable one)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write JSON to a temp file next to `path` and rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link `source` to `target` (same file system), else copy it; via a temp name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        os.link(source.resolve(), tmp)
    except OSError:
        shutil.copyfile(source, tmp)
    os.replace(tmp, target)
