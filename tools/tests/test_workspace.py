"""The workspace is found as uv finds it, and its members are read from the workspace globs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rd_tools.workspace import PACKAGE_DIR, find_members, find_workspace_root, is_workspace_root


def make_workspace(root: Path, members: dict[str, str]) -> Path:
    """A workspace at `root` with `members` ({folder: distribution name}) under `libs/`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/skipped"]\n'
    )
    for folder, name in {**members, "skipped": "skipped"}.items():
        (root / "libs" / folder).mkdir(parents=True)
        (root / "libs" / folder / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0.1.0"\n'
        )
    return root


def test_the_root_is_the_first_folder_up_with_a_workspace_table(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"a": "lib-a"})
    deep = root / "libs" / "a" / "src" / "pkg"
    deep.mkdir(parents=True)
    # libs/a/pyproject.toml has no [tool.uv.workspace] table: the walk goes past it.
    assert find_workspace_root(deep) == root
    assert find_workspace_root(root) == root


def test_no_workspace_above_an_explicit_start_is_none(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')  # a project, no workspace
    assert find_workspace_root(tmp_path) is None


def test_a_broken_pyproject_is_not_a_workspace_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.uv.workspace\n")
    assert not is_workspace_root(tmp_path)


def test_the_current_directory_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_workspace(tmp_path / "ws", {"a": "lib-a"})
    monkeypatch.chdir(root / "libs" / "a")
    assert find_workspace_root() == root


def test_outside_any_workspace_the_package_location_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_workspace_root() == find_workspace_root(PACKAGE_DIR)


def test_members_follow_the_globs_and_excludes(tmp_path: Path) -> None:
    root = make_workspace(tmp_path, {"b": "lib-b", "a": "lib-a"})
    (root / "libs" / "not-a-member").mkdir()  # no pyproject.toml
    members = find_members(root)
    assert [m.name for m in members] == ["lib-a", "lib-b"]
    assert members[0].path == root / "libs" / "a"
    assert members[0].import_names == []  # no src/ yet


def test_members_of_a_folder_that_is_no_workspace_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"no \[tool.uv.workspace\] table"):
        find_members(tmp_path)
