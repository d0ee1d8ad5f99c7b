"""Workspace tools: find the workspace and its members, and the environment check `rd-doctor`.

Standard library only (plus `tomli` on Python 3.10): the scripts in `tools/` import this package
from `tools/src` before anything is synced.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version as _version

from rd_tools.checks import Check, satisfies
from rd_tools.doctor import check_workspace, format_table, main, run_checks
from rd_tools.workspace import (
    WORKSPACE_ROOT,
    Member,
    find_members,
    find_workspace_root,
    is_workspace_root,
    read_toml,
)

try:
    __version__: str = _version("rd-tools")
except PackageNotFoundError:  # imported from tools/src by a script before `uv sync`
    __version__ = "0+unknown"

__all__ = [
    "WORKSPACE_ROOT",
    "Check",
    "Member",
    "__version__",
    "check_workspace",
    "find_members",
    "find_workspace_root",
    "format_table",
    "is_workspace_root",
    "main",
    "read_toml",
    "run_checks",
    "satisfies",
]
