"""Environment check ("doctor"): is this machine ready to work in the workspace?

    uv run --all-packages rd-doctor          # table; exit 0 = every required check ok
    uv run --all-packages rd-doctor --json   # the same as JSON, for scripts

(`uv run --all-packages python tools/test_env.py [--json]` runs the same program.)

The workspace is found from the current directory, walking up to the first `pyproject.toml`
with a `[tool.uv.workspace]` table as uv does, else from where rd-tools itself is (a checkout's
`.venv/bin/rd-doctor` run from anywhere checks that checkout). Checks Python against the
members' requires-python, uv, torch (CUDA, cuDNN, MPS, GPUs), that every workspace member
imports (and its version), the assets dir (writable, free disk), the Hugging Face login (never
the token itself) and offline mode, and git.

Each check is `ok`, `warn` (worth knowing, does not fail), `info` or `FAIL`. Failures are
repeated on stderr, one line each, and make the exit code 1; otherwise it is 0. Outside any
workspace there are no members to check: the `workspace` and `members` checks are `warn`s, so
exit code 0 there means only that nothing the doctor could check failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from rd_tools.checks import (
    Check,
    check_assets,
    check_git,
    check_hugging_face,
    check_member,
    check_python,
    check_torch,
    check_uv,
)
from rd_tools.workspace import Member, find_members, find_workspace_root

__all__ = ["check_workspace", "format_table", "main", "run_checks"]

PROG = "rd-doctor"


def check_workspace(start: Path | None = None) -> tuple[Path | None, list[Member], list[Check]]:
    """Find the workspace (see `find_workspace_root`) and read its members.

    Args:
        start: look only above this folder (default: the current directory, then rd-tools'
            own location).

    Returns:
        The root (None when there is none), its members, and the checks saying what was found.
    """
    root = find_workspace_root(start)
    origin = (start or Path.cwd()).resolve()
    if root is None:
        return (
            None,
            [],
            [
                Check(
                    "workspace",
                    "warn",
                    "not found",
                    f"no pyproject.toml with [tool.uv.workspace] in {origin} or above",
                ),
                Check(
                    "members", "warn", "not checked", "outside a workspace: run rd-doctor in one"
                ),
            ],
        )
    detail = (
        ""
        if origin.is_relative_to(root)
        else "found from rd-tools' location: the current directory is in no workspace"
    )
    found = Check("workspace", "ok", str(root), detail)
    try:
        members = find_members(root)
    except (OSError, ValueError, KeyError) as err:  # a member's pyproject.toml is broken
        message = f"{type(err).__name__}: {err}".splitlines()[0]
        return root, [], [found, Check("members", "fail", "unreadable", message)]
    return root, members, [found]


def run_checks(start: Path | None = None) -> list[Check]:
    """Run every check, in table order, for the workspace found from `start` (see above)."""
    root, members, workspace = check_workspace(start)
    steps: list[Callable[[], Check | list[Check]]] = [
        lambda: check_python(members),
        check_uv,
        check_torch,
        lambda: workspace,
        *[lambda m=m: check_member(m) for m in members],
        lambda: check_assets(root),
        check_hugging_face,
        lambda: check_git(root or Path.cwd()),
    ]
    checks: list[Check] = []
    for step in steps:
        result = step()
        checks.extend(result if isinstance(result, list) else [result])
    return checks


def format_table(checks: list[Check]) -> str:
    """One line per check: status, name, value, detail."""
    width = max(len(c.name) for c in checks)
    value_width = min(48, max(len(c.value) for c in checks))
    label = {"ok": "ok", "warn": "warn", "info": "-", "fail": "FAIL"}
    return "\n".join(
        f"{label[c.status]:<4}  {c.name:<{width}}  {c.value:<{value_width}}  {c.detail}".rstrip()
        for c in checks
    )


def main(argv: list[str] | None = None) -> int:
    """The `rd-doctor` command. Returns the exit code: 1 when a required check failed, else 0."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Exit code 0: no check failed (warnings do not count); 1: a check failed.",
    )
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    args = parser.parse_args(argv)
    checks = run_checks()
    failures = [c for c in checks if c.failed]
    if args.json:
        print(json.dumps({"ok": not failures, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        print(format_table(checks))
        print(f"\n{len(checks) - len(failures)} of {len(checks)} checks passed")
    for c in failures:
        print(f"{PROG}: FAIL {c.name}: {c.detail or c.value}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
