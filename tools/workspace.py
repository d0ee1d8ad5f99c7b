"""Compatibility shim: the workspace helpers now live in `rd_tools.workspace` (tools/src)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
from rd_tools.workspace import (
    PACKAGE_DIR,
    WORKSPACE_ROOT,
    Member,
    find_members,
    find_workspace_root,
    is_workspace_root,
    read_toml,
)

__all__ = [
    "PACKAGE_DIR",
    "WORKSPACE_ROOT",
    "Member",
    "find_members",
    "find_workspace_root",
    "is_workspace_root",
    "read_toml",
]
