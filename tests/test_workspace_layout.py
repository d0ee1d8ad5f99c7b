"""The workspace has the shape ARCHITECTURE.md describes."""

from __future__ import annotations

import importlib
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from workspace import WORKSPACE_ROOT, find_members, read_toml

MEMBERS = find_members()
LIBRARIES = ["rd-data", "rd-models", "rd-training", "rd-viz"]


def test_the_four_libraries_are_members() -> None:
    names = {m.name for m in MEMBERS}
    assert set(LIBRARIES) <= names


def test_the_tools_are_a_member_with_the_doctor_command() -> None:
    tools = next(m for m in MEMBERS if m.name == "rd-tools")
    assert tools.path == WORKSPACE_ROOT / "tools" and tools.import_names == ["rd_tools"]
    assert tools.pyproject["project"]["scripts"] == {"rd-doctor": "rd_tools.doctor:main"}
    # Standard library only, so tools/*.py run before anything else is synced.
    assert all(d.startswith("tomli") for d in tools.pyproject["project"]["dependencies"])
    dev = read_toml(WORKSPACE_ROOT / "pyproject.toml")["dependency-groups"]["dev"]
    assert "rd-tools" in dev  # `uv run rd-doctor` from the root


def test_torch_bound_is_workspace_wide() -> None:
    uv = read_toml(WORKSPACE_ROOT / "pyproject.toml")["tool"]["uv"]
    assert "torch>=2.9,<2.11" in uv["constraint-dependencies"]
    torch_version = tuple(int(p) for p in version("torch").split("+")[0].split(".")[:2])
    assert (2, 9) <= torch_version < (2, 11)


def test_no_python_version_pin_that_uv_would_download() -> None:
    assert not (WORKSPACE_ROOT / ".python-version").exists()


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_member_has_the_standard_files(member) -> None:
    project = member.pyproject["project"]
    assert project["requires-python"] == ">=3.10"
    assert re.fullmatch(r"\d+\.\d+\.\d+", project["version"])
    assert project.get("description")
    assert member.pyproject["build-system"]["build-backend"] == "uv_build"
    for name in ["README.md", "CHANGELOG.md", "tests"]:
        assert (member.path / name).exists(), f"{member.name} lacks {name}"
    assert len(member.import_names) == 1, member.import_names
    package = member.src / member.import_names[0]
    assert (package / "py.typed").is_file()


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_member_exports_version_and_api(member) -> None:
    module = importlib.import_module(member.import_names[0])
    assert module.__version__ == member.pyproject["project"]["version"]
    assert "__version__" in module.__all__
    assert all(hasattr(module, name) for name in module.__all__)


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_changelog_mentions_current_version(member) -> None:
    changelog = (member.path / "CHANGELOG.md").read_text()
    assert f"## {member.pyproject['project']['version']}" in changelog


def test_rd_viz_does_not_depend_on_torch() -> None:
    viz = next(m for m in MEMBERS if m.name == "rd-viz")
    assert not any(d.startswith("torch") for d in viz.pyproject["project"]["dependencies"])


def test_libraries_never_depend_on_papers_or_projects() -> None:
    apps = {m.name for m in MEMBERS if m.path.parent.name in ("papers", "projects")}
    for member in MEMBERS:
        if member.path.parent.name != "packages":
            continue
        deps = " ".join(member.pyproject["project"]["dependencies"])
        assert not any(app in deps for app in apps), member.name


def test_assets_are_ignored_but_documented() -> None:
    gitignore = (WORKSPACE_ROOT / ".gitignore").read_text().splitlines()
    assert "assets/*" in gitignore and "!assets/README.md" in gitignore
    assert (Path(WORKSPACE_ROOT) / "assets" / "README.md").is_file()
