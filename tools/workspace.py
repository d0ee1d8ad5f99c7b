"""Find the workspace root and its members; shared by the tools in this folder.

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

WORKSPACE_ROOT = Path(__file__).resolve().parent.parent


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


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
