"""The run manifest: what code, environment and hardware produced a run directory."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from rd_training.atomic_files import write_text_atomic

MANIFEST_NAME = "manifest.json"
_TRACKED_PREFIXES = ("rd-", "paper-", "project-")


def _git(args: list[str], cwd: Path) -> bytes | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout


def git_info(cwd: str | Path | None = None) -> dict[str, Any]:
    """Commit sha, dirty flag and a sha256 of `git diff HEAD` (None values outside a git checkout)."""
    where = Path(cwd or os.getcwd())
    sha = _git(["rev-parse", "HEAD"], where)
    if sha is None:
        return {"git_sha": None, "git_dirty": None, "git_diff_sha256": None}
    status = _git(["status", "--porcelain", "--untracked-files=no"], where) or b""
    diff = _git(["diff", "HEAD"], where) or b""
    return {
        "git_sha": sha.decode().strip(),
        "git_dirty": bool(status.strip()),
        "git_diff_sha256": hashlib.sha256(diff).hexdigest() if diff else None,
    }


def find_lock_file(start: str | Path | None = None) -> Path | None:
    """The nearest `uv.lock` in `start` (default: the working directory) or a parent."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "uv.lock").is_file():
            return folder / "uv.lock"
    return None


def package_versions() -> dict[str, str]:
    """Versions of installed rd-*, paper-* and project-* distributions (read from metadata only)."""
    versions = {}
    for dist in metadata.distributions():
        name = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if name.startswith(_TRACKED_PREFIXES):
            versions[name] = dist.version
    return dict(sorted(versions.items()))


def environment_info() -> dict[str, Any]:
    """Python, torch, CUDA and hardware facts."""
    cuda = torch.cuda.is_available()
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda if cuda else None,
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if cuda
        else [],
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "hostname": platform.node(),
    }


def write_manifest(run_dir: str | Path, **extra: Any) -> dict[str, Any]:
    """Write `<run_dir>/manifest.json` (atomically) and return it.

    Records git sha / dirty flag / diff hash, the uv.lock hash, python/torch/rd-* versions,
    CUDA and GPU names, CPU count, argv and the start time; `extra` (e.g. `seed=1`,
    `status="running"`) is added on top. Use `update_manifest` to change fields later.

    Args:
        run_dir: the run directory (created if missing).
        **extra: JSON-serialisable fields to add or override.

    Returns:
        The manifest written.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = find_lock_file()
    manifest: dict[str, Any] = {
        **git_info(),
        "uv_lock_sha256": hashlib.sha256(lock.read_bytes()).hexdigest() if lock else None,
        "packages": package_versions(),
        **environment_info(),
        "argv": list(sys.argv),
        "cwd": os.getcwd(),
        "start_time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "end_time": None,
        "status": "running",
    }
    manifest.update(extra)
    write_text_atomic(json.dumps(manifest, indent=2, default=str) + "\n", run_dir / MANIFEST_NAME)
    return manifest


def update_manifest(run_dir: str | Path, **fields: Any) -> dict[str, Any]:
    """Update fields of an existing `manifest.json` (e.g. `status="completed"`, `end_time=...`)."""
    path = Path(run_dir) / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    manifest.update(fields)
    write_text_atomic(json.dumps(manifest, indent=2, default=str) + "\n", path)
    return manifest
