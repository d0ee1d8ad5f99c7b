"""Run each workspace member's tests in an environment holding only what that member declares.

uv installs the whole workspace into one `.venv`, so a member that imports an undeclared sibling
or library passes there and breaks for anyone who installs it alone (astral-sh/uv#4574). For
every member this creates its own environment with

    UV_PROJECT_ENVIRONMENT=<root>/.venvs/<member> uv sync --package <member> --exact --all-extras --group dev

and runs the member's tests with that environment's python. Environments are kept between runs
(uv makes them up to date in well under a second when nothing changed).

Usage: python tools/check_isolation.py [--member NAME ...] [--root DIR] [-- PYTEST_ARGS...]
Exit code: 0 when every member's tests pass in isolation, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # rd_tools, unsynced too
from rd_tools.workspace import WORKSPACE_ROOT, Member, find_members


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> int:
    print("$ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=cwd, env=env).returncode


def check_member(member: Member, root: Path, pytest_args: list[str], locked: bool) -> str | None:
    """Sync the member's own environment and run its tests. Return an error, or None if it passed."""
    if not member.tests.is_dir():
        return "has no tests/ folder"
    venv = root / ".venvs" / member.name
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv)}
    env.pop("VIRTUAL_ENV", None)
    # --all-extras: a member's tests cover its optional features too (rd-data[text]).
    sync = ["uv", "sync", "--package", member.name, "--exact", "--all-extras", "--group", "dev"]
    sync.append("--quiet")
    if locked:
        sync.append("--locked")
    if _run(sync, root, env) != 0:
        return "uv sync failed"
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    test_dir = str(member.tests.relative_to(root))
    code = _run(
        [str(python), "-m", "pytest", test_dir, "-p", "no:cacheprovider", *pytest_args], root, env
    )
    if code == 5:
        return "collected no tests"
    return None if code == 0 else f"tests failed (pytest exit code {code})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Run each member's tests in an environment synced with only its own dependencies."
    )
    parser.add_argument(
        "--member", action="append", default=[], help="only this member (repeatable)"
    )
    parser.add_argument("--root", type=Path, default=WORKSPACE_ROOT, help="workspace root")
    parser.add_argument(
        "--no-locked", action="store_true", help="allow uv to update uv.lock (default: --locked)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (put them after --)")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    members = find_members(root)
    unknown = set(args.member) - {m.name for m in members}
    if unknown:
        print(f"error: not a workspace member: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if args.member:
        members = [m for m in members if m.name in args.member]

    results: list[tuple[str, str | None, float]] = []
    for member in members:
        print(f"\n=== {member.name} (isolated environment) ===", flush=True)
        start = time.perf_counter()
        error = check_member(member, root, args.pytest_args, locked=not args.no_locked)
        results.append((member.name, error, time.perf_counter() - start))

    print("\nisolation check:")
    for name, error, seconds in results:
        print(f"  {'FAIL' if error else 'ok  '} {name:<24} {seconds:6.1f}s  {error or ''}".rstrip())
    failed = [name for name, error, _ in results if error]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
