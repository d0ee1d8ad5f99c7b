"""Find the workspace root and its members; shared by the tools in `tools/`, `rd-doctor` and
rd-data (whose assets root is `<workspace root>/assets`): the one home of that rule.

Only the standard library (plus `tomli` on Python 3.10) so every tool can run before anything
is synced.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

__all__ = [
    "PACKAGE_DIR",
    "WORKSPACE_ROOT",
    "Member",
    "find_members",
    "find_workspace_root",
    "is_workspace_root",
    "read_toml",
]

PACKAGE_DIR = Path(__file__).resolve().parent
"""Where this package's code is: `tools/src/rd_tools` in a checkout (editable installs too)."""

WORKSPACE_ROOT = PACKAGE_DIR.parents[2]
"""The checkout these tools belong to (`tools/src/rd_tools/../../..`).

The scripts in `tools/` work on it. It means nothing for a wheel installed elsewhere: code that
may run installed (`rd-doctor`) calls `find_workspace_root()` instead.
"""


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file.

    Raises:
        OSError: the file cannot be read.
        tomllib.TOMLDecodeError: it is not valid TOML.
    """
    with path.open("rb") as f:
        return tomllib.load(f)


def is_workspace_root(folder: Path) -> bool:
    """Whether `folder` holds a `pyproject.toml` with a `[tool.uv.workspace]` table."""
    try:
        config = read_toml(folder / "pyproject.toml")
    except (OSError, tomllib.TOMLDecodeError):
        return False
    return "workspace" in config.get("tool", {}).get("uv", {})


def find_workspace_root(start: Path | None = None) -> Path | None:
    """Return the uv workspace root above `start`, or None when there is none.

    Walks up from `start` to the first folder whose `pyproject.toml` has a `[tool.uv.workspace]`
    table, as uv does. Without `start`: from the current directory, then from this package's
    own location (so a checkout's tools find their workspace from anywhere).

    Args:
        start: the folder to start from; only this one is searched when it is given.

    Returns:
        The workspace root (absolute), or None.
    """
    origins = [start] if start is not None else [Path.cwd(), PACKAGE_DIR]
    for origin in origins:
        origin = origin.resolve()
        for folder in [origin, *origin.parents]:
            if is_workspace_root(folder):
                return folder
    return None


@dataclass(frozen=True)
class Member:
    """One workspace member: a folder with a pyproject.toml matched by the workspace globs."""

    name: str
    """Distribution name, e.g. `rd-models`."""
    path: Path
    """Folder holding the member's pyproject.toml."""
    pyproject: dict[str, Any]

    @property
    def src(self) -> Path:
        return self.path / "src"

    @property
    def tests(self) -> Path:
        return self.path / "tests"

    @property
    def import_names(self) -> list[str]:
        """Top-level packages the member ships (the folders under `src/`)."""
        if not self.src.is_dir():
            return []
        return sorted(p.name for p in self.src.iterdir() if (p / "__init__.py").is_file())


def find_members(root: Path = WORKSPACE_ROOT) -> list[Member]:
    """Return the members of the workspace at `root`, sorted by name.

    Raises:
        ValueError: `root` has no `[tool.uv.workspace]` table.
    """
    config = read_toml(root / "pyproject.toml")
    workspace = config.get("tool", {}).get("uv", {}).get("workspace")
    if workspace is None:
        raise ValueError(f"{root / 'pyproject.toml'} has no [tool.uv.workspace] table")
    excluded = {p.resolve() for pattern in workspace.get("exclude", []) for p in root.glob(pattern)}
    members = []
    for pattern in workspace.get("members", []):
        for path in sorted(root.glob(pattern)):
            pyproject = path / "pyproject.toml"
            if path.resolve() in excluded or not pyproject.is_file():
                continue
            data = read_toml(pyproject)
            members.append(Member(name=data["project"]["name"], path=path, pyproject=data))
    return sorted(members, key=lambda m: m.name)
