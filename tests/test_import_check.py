"""The static import check accepts the workspace and catches planted undeclared imports."""

from __future__ import annotations

import importlib.metadata
import textwrap
from pathlib import Path

import pytest
from check_imports import _top_level_modules, check_member, imported_modules, main
from workspace import Member, find_members, read_toml

WORKSPACE = find_members()


def make_member(tmp_path: Path, code: str, dependencies: list[str]) -> Member:
    """A throwaway member `planted` whose single module holds `code`."""
    root = tmp_path / "planted"
    package = root / "src" / "planted"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "module.py").write_text(textwrap.dedent(code))
    deps = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "planted"\nversion = "0.1.0"\ndependencies = [{deps}]\n'
    )
    return Member("planted", root, read_toml(root / "pyproject.toml"))


@pytest.mark.parametrize("member", WORKSPACE, ids=lambda m: m.name)
def test_every_workspace_member_declares_what_it_imports(member: Member) -> None:
    assert check_member(member, WORKSPACE) == []


def test_a_wheel_without_top_level_txt_maps_to_the_modules_its_files_install(
    tmp_path: Path,
) -> None:
    # scikit-learn's meson-built wheel installs `sklearn` and no top_level.txt, and Python
    # 3.10's packages_distributions() reads nothing else: `import sklearn` looked undeclared.
    info = tmp_path / "scikit_learn-1.7.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scikit-learn\nVersion: 1.7.2\n")
    files = ["sklearn/__init__.py", "sklearn/svm/_base.py", "scikit_learn-1.7.2.dist-info/RECORD"]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files))
    for name in files[:2]:  # Python 3.13 lists only the files that exist
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert _top_level_modules(importlib.metadata.PathDistribution(info)) == {"sklearn"}
    (info / "top_level.txt").write_text("sklearn_declared\n")
    assert _top_level_modules(importlib.metadata.PathDistribution(info)) == {"sklearn_declared"}


def test_planted_undeclared_library_is_caught(tmp_path: Path) -> None:
    member = make_member(tmp_path, "import os\nimport numpy as np\n", dependencies=["matplotlib"])
    violations = check_member(member, WORKSPACE)
    assert [(v.line, v.module) for v in violations] == [(2, "numpy")]
    assert "module.py:2" in str(violations[0])


def test_planted_undeclared_sibling_is_caught(tmp_path: Path) -> None:
    code = """
        def lazy():
            from rd_models import Transformer  # lazy imports count too
            return Transformer
    """
    member = make_member(tmp_path, code, dependencies=["numpy"])
    assert [v.module for v in check_member(member, WORKSPACE)] == ["rd_models"]


def test_declared_sibling_and_distribution_names_map_to_modules(tmp_path: Path) -> None:
    # pyyaml is imported as `yaml`; a declared sibling is imported by its import name.
    member = make_member(tmp_path, "import yaml\nimport rd_viz\n", ["PyYAML>=6", "rd-viz"])
    assert check_member(member, WORKSPACE) == []


def test_optional_import_guarded_by_import_error_is_allowed(tmp_path: Path) -> None:
    code = """
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            SummaryWriter = None
    """
    member = make_member(tmp_path, code, dependencies=[])
    assert check_member(member, WORKSPACE) == []


def test_newer_stdlib_module_is_allowed_only_behind_a_version_check(tmp_path: Path) -> None:
    # tomllib is stdlib from 3.11: fine behind `sys.version_info`, even when the check runs on
    # 3.10; the 3.10 branch's backport must still be declared.
    guarded = """
        import sys
        if sys.version_info >= (3, 11):
            import tomllib
        else:
            import tomli as tomllib
    """
    member = make_member(tmp_path / "a", guarded, dependencies=["tomli; python_version < '3.11'"])
    assert check_member(member, WORKSPACE) == []
    undeclared = make_member(tmp_path / "b", guarded, dependencies=[])
    assert [v.module for v in check_member(undeclared, WORKSPACE)] == ["tomli"]
    plain = make_member(tmp_path / "c", "import tomllib\n", dependencies=[])
    assert [m for _, m in imported_modules(plain.src / "planted" / "module.py")] == ["tomllib"]


def test_relative_and_stdlib_imports_are_ignored(tmp_path: Path) -> None:
    code = (
        "from . import other\nfrom .other import x\nimport json, sys\nfrom collections import abc\n"
    )
    member = make_member(tmp_path, code, dependencies=[])
    assert list(imported_modules(member.src / "planted" / "module.py"))[-1] == (4, "collections")
    assert check_member(member, WORKSPACE) == []


def test_cli_exit_code_reports_violations(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    member = make_member(tmp_path, "import requests\n", dependencies=[])
    assert main([str(member.path)]) == 1
    assert "imports 'requests'" in capsys.readouterr().err


def test_cli_refuses_a_folder_that_is_not_a_member(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as info:
        main([str(tmp_path / "nosuch")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert (
        err.strip().splitlines()[-1].endswith("nosuch is not a member folder (no pyproject.toml)")
    )
    assert "Traceback" not in err
