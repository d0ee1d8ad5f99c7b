"""Where assets live: `RD_ASSETS_DIR`, else `<workspace root>/assets`, else a per-user cache.

The workspace root is the nearest folder, walking up from the current directory and then from
where rd-tools is installed, whose `pyproject.toml` has a `[tool.uv.workspace]` table
(`rd_tools.workspace.find_workspace_root`, the one home of that rule). Installed
outside a workspace, the packages fall back to a per-user cache folder so they still work.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from rd_data.errors import InvalidNameError
from rd_tools.workspace import find_workspace_root

__all__ = [
    "dataset_folder_name",
    "get_assets_dir",
    "get_datasets_dir",
    "get_models_dir",
    "get_outputs_dir",
    "validate_config_name",
    "validate_relative_path",
    "validate_repo_id",
]

ASSETS_ENV = "RD_ASSETS_DIR"
# One Hub id part: what the Hub allows, minus anything that could mean a path ("..", "~").
_ID_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def _user_cache_dir() -> Path:
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rd-data"


def get_assets_dir(create: bool = True) -> Path:
    """Return the assets root (absolute), creating it unless `create` is False.

    Order: `$RD_ASSETS_DIR`; `<workspace root>/assets`; `<per-user cache>/rd-data/assets`.
    """
    env = os.environ.get(ASSETS_ENV)
    if env:
        root = Path(env).expanduser().absolute()
    else:
        workspace = find_workspace_root()
        root = workspace / "assets" if workspace is not None else _user_cache_dir() / "assets"
    if create:
        root.mkdir(parents=True, exist_ok=True)
    return root


def _subdir(name: str, create: bool) -> Path:
    path = get_assets_dir(create=create) / name
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def get_datasets_dir(create: bool = True) -> Path:
    """Return `<assets>/datasets` (Hugging Face datasets saved with `save_to_disk`)."""
    return _subdir("datasets", create)


def get_models_dir(create: bool = True) -> Path:
    """Return `<assets>/models` (model snapshots, one folder per `org/name`)."""
    return _subdir("models", create)


def get_outputs_dir(create: bool = True) -> Path:
    """Return `<assets>/outputs` (run directories: `outputs/<paper>/<run-name>/`)."""
    return _subdir("outputs", create)


def validate_repo_id(repo_id: str, what: str = "repository id") -> str:
    """Check a Hub id (`name` or `org/name`) and return it; no I/O.

    Raises:
        InvalidNameError: empty, absolute, with `..`/`~`, more than one `/`, or odd characters.
    """
    if not isinstance(repo_id, str) or not repo_id.strip():
        raise InvalidNameError(f"{what} is empty; expected 'name' or 'org/name'")
    parts = repo_id.split("/")
    if (
        repo_id.startswith(("/", "\\", "~"))
        or len(parts) > 2
        or any(not _ID_PART.fullmatch(p) or ".." in p for p in parts)
    ):
        raise InvalidNameError(
            f"invalid {what} {repo_id!r}: expected 'name' or 'org/name' "
            "(letters, digits, '-', '_', '.'; no '..', no absolute path)"
        )
    return repo_id


def validate_config_name(value: str, what: str = "config name") -> str:
    """Check a dataset config or split name (one path component, e.g. `de-en`); no I/O.

    Raises:
        InvalidNameError: empty, a path, `..`, or odd characters.
    """
    if not isinstance(value, str) or not _NAME.fullmatch(value) or ".." in value:
        raise InvalidNameError(
            f"invalid {what} {value!r}: expected one name like 'de-en' (no '/', no '..')"
        )
    return value


def validate_relative_path(value: str, what: str = "file name") -> str:
    """Check a file path inside a repository (e.g. `onnx/model.onnx`); no I/O.

    Raises:
        InvalidNameError: empty, absolute, or with a `..`/empty component.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidNameError(f"{what} is empty")
    parts = value.replace("\\", "/").split("/")
    if (
        value.startswith(("/", "\\", "~"))
        or re.match(r"[A-Za-z]:", value)
        or any(p in ("", ".", "..") for p in parts)
    ):
        raise InvalidNameError(f"invalid {what} {value!r}: expected a relative path without '..'")
    return value


def dataset_folder_name(name: str) -> str:
    """Folder for a dataset id: `org/name` becomes `org__name`; `squad` stays `squad`."""
    return validate_repo_id(name, "dataset name").replace("/", "__")
