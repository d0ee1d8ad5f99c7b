"""Static check: every import in a member's `src/` is stdlib, the member itself, or declared.

uv installs a whole workspace into one environment, so an import of a sibling or of a library
that only another member declares works by accident there and breaks for anyone who installs
the member alone (astral-sh/uv#4574). This check reads the code with `ast` and compares each
imported top-level module with the member's `[project] dependencies` (and optional extras).
Imports inside `try: ... except ImportError:` are optional by construction and are skipped.
A module that only newer Pythons have in the standard library (`tomllib`) is allowed inside an
`if sys.version_info ...:` branch, whatever Python runs the check.

Usage: python tools/check_imports.py [MEMBER_DIR ...]   (default: every workspace member)
"""

from __future__ import annotations

import argparse
import ast
import importlib.metadata
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))  # rd_tools, unsynced too
from rd_tools.workspace import WORKSPACE_ROOT, Member, find_members, read_toml

_IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}
NEWER_STDLIB = {"tomllib"}
"""Standard-library modules of Pythons newer than the oldest supported one (3.10)."""


@dataclass(frozen=True)
class Violation:
    file: Path
    line: int
    module: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: imports '{self.module}', which is not a declared dependency"
        )


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"cannot parse requirement {requirement!r}")
    return _normalize(match.group(1))


def declared_distributions(pyproject: dict) -> set[str]:
    """Normalised names of the distributions a pyproject declares (dependencies and extras)."""
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return {_requirement_name(r) for r in requirements}


def _top_level_modules(dist: importlib.metadata.Distribution) -> set[str]:
    """The top-level modules `dist` installs: its top_level.txt, else inferred from its files.

    Wheels not built by setuptools (scikit-learn's meson build) have no top_level.txt, and
    Python 3.10's `packages_distributions()` reads nothing else, so infer as 3.11+ does.
    """
    declared = (dist.read_text("top_level.txt") or "").split()
    if declared:
        return set(declared)
    return {
        f.parts[0] if len(f.parts) > 1 else f.name.removesuffix(".py")
        for f in dist.files or ()
        if f.suffix == ".py" and not f.parts[0].endswith((".dist-info", ".data"))
    }


def _modules_by_distribution() -> dict[str, set[str]]:
    """Installed distribution (normalised) -> top-level modules it provides."""
    result: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        name = _normalize(dist.metadata["Name"] or "")
        result.setdefault(name, set()).update(_top_level_modules(dist))
    return result


def allowed_modules(member: Member, workspace: list[Member]) -> set[str]:
    """Top-level module names the member may import."""
    installed = _modules_by_distribution()
    siblings = {_normalize(m.name): m for m in workspace}
    allowed = set(sys.stdlib_module_names) | {"__future__"} | set(member.import_names)
    for dist in declared_distributions(member.pyproject):
        if dist in siblings:
            allowed |= set(siblings[dist].import_names)
        # Not installed here: fall back to the usual name convention (pyyaml is the exception).
        allowed |= installed.get(dist) or {dist.replace("-", "_")}
    return allowed


def _is_guarded(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when `node` sits in the body of a `try` that catches ImportError."""
    child, parent = node, parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.Try) and child in parent.body:
            for handler in parent.handlers:
                names = handler.type
                elts = names.elts if isinstance(names, ast.Tuple) else [names]
                if any(isinstance(e, ast.Name) and e.id in _IMPORT_ERRORS for e in elts):
                    return True
        child, parent = parent, parents.get(parent)
    return False


def _in_version_branch(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    """True when `node` sits in an `if` whose condition reads `sys.version_info`."""
    parent = parents.get(node)
    while parent is not None:
        if isinstance(parent, ast.If) and any(
            isinstance(n, ast.Attribute) and n.attr == "version_info" for n in ast.walk(parent.test)
        ):
            return True
        parent = parents.get(parent)
    return False


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line, top-level module) for each unguarded absolute import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if _is_guarded(node, parents):
            continue
        for name in names:
            module = name.split(".")[0]
            if module in NEWER_STDLIB and _in_version_branch(node, parents):
                continue
            yield node.lineno, module


def check_member(member: Member, workspace: list[Member]) -> list[Violation]:
    """Return the undeclared imports in `member`'s `src/`."""
    allowed = allowed_modules(member, workspace)
    return [
        Violation(path, line, module)
        for path in sorted(member.src.rglob("*.py"))
        for line, module in imported_modules(path)
        if module not in allowed
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("members", nargs="*", type=Path, help="member folders (default: all)")
    args = parser.parse_args(argv)
    workspace = find_members(WORKSPACE_ROOT)
    if args.members:
        chosen = []
        for path in args.members:
            if not (path / "pyproject.toml").is_file():
                parser.error(f"{path} is not a member folder (no pyproject.toml)")
            data = read_toml(path / "pyproject.toml")
            chosen.append(Member(name=data["project"]["name"], path=path, pyproject=data))
    else:
        chosen = workspace
    violations = [v for m in chosen for v in check_member(m, workspace)]
    for v in violations:
        print(v, file=sys.stderr)
    print(f"checked {len(chosen)} members: {len(violations)} undeclared imports")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
