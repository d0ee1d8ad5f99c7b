"""Isolation, wheels and independent versions, exercised with the real uv.

These call `uv` (from the registry cache; no downloads once `uv sync` has run) and take a few
seconds each, hence `slow`. They still run with the test command.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from check_isolation import main as check_isolation
from workspace import WORKSPACE_ROOT, find_members, read_toml

pytestmark = pytest.mark.slow
UV = shutil.which("uv")
if UV is None:  # pragma: no cover - the workspace is always run through uv
    pytest.fail("these tests need uv on PATH", pytrace=False)


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([UV, *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"uv {' '.join(args)} failed:\n{result.stderr}"
    return result


def write_member(root: Path, name: str, code: str, test: str) -> None:
    package = name.replace("-", "_")
    (root / name / "src" / package).mkdir(parents=True)
    (root / name / "tests").mkdir()
    (root / name / "src" / package / "__init__.py").write_text(textwrap.dedent(code))
    (root / name / "tests" / f"test_{package}.py").write_text(textwrap.dedent(test))
    (root / name / "pyproject.toml").write_text(
        textwrap.dedent(f"""
        [project]
        name = "{name}"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = []

        [build-system]
        requires = ["uv_build>=0.9,<0.14"]
        build-backend = "uv_build"
        """)
    )


def test_isolation_check_fails_a_member_importing_an_undeclared_sibling(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # A two-member workspace: `beta` imports `alpha` without declaring it. In the shared
    # environment both are installed and beta's test passes; in beta's own it must fail.
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent("""
        [tool.uv.workspace]
        members = ["alpha", "beta"]

        [dependency-groups]
        dev = ["pytest>=8"]
        """)
    )
    write_member(
        tmp_path,
        "alpha",
        "VALUE = 1\n",
        "import alpha\n\ndef test_a():\n    assert alpha.VALUE == 1\n",
    )
    write_member(
        tmp_path,
        "beta",
        "from alpha import VALUE\n",
        "import beta\n\ndef test_b():\n    assert beta.VALUE == 1\n",
    )
    uv("lock", cwd=tmp_path)

    shared = subprocess.run(
        [UV, "run", "--all-packages", "pytest", "-q", "-p", "no:cacheprovider", "beta/tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert shared.returncode == 0, "the planted import should pass in the shared environment"

    assert check_isolation(["--root", str(tmp_path), "--", "-q"]) == 1
    summary = capsys.readouterr().out.split("isolation check:")[1]
    assert "ok   alpha" in summary
    assert "FAIL beta" in summary and "tests failed" in summary
    assert "1 passed, 1 failed" in summary


def test_every_member_builds_a_wheel_and_rd_models_imports_outside_the_workspace(
    tmp_path: Path,
) -> None:
    dist = tmp_path / "dist"
    uv("build", "--all-packages", "--wheel", "--out-dir", str(dist), cwd=WORKSPACE_ROOT)
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    members = find_members()
    assert len(wheels) == len(members)
    for member in members:
        prefix = f"{member.name.replace('-', '_')}-{member.pyproject['project']['version']}-"
        assert any(w.startswith(prefix) for w in wheels), (member.name, wheels)

    # A fresh venv outside the workspace, the wheel and its declared dependencies only. torch is
    # pinned to the version we already run so uv takes it from its cache.
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    uv("venv", "--python", sys.executable, str(outside / "venv"), cwd=outside)
    python = outside / "venv" / "bin" / "python"
    wheel = next(dist.glob("rd_models-*.whl"))
    torch_pin = f"torch=={importlib.metadata.version('torch')}"
    uv("pip", "install", "--python", str(python), str(wheel), torch_pin, cwd=outside)
    result = subprocess.run(
        [
            str(python),
            "-I",
            "-c",
            "import rd_models, sys; print(rd_models.__file__, rd_models.__version__)",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    module_file, module_version = result.stdout.split()
    assert Path(module_file).is_relative_to(outside / "venv")
    assert (
        module_version
        == read_toml(WORKSPACE_ROOT / "packages/rd-models/pyproject.toml")["project"]["version"]
    )


def test_version_bump_changes_only_that_member(tmp_path: Path) -> None:
    # Copy the workspace's metadata (pyprojects, READMEs, lock) and bump rd-models there.
    for path in [WORKSPACE_ROOT / "pyproject.toml", WORKSPACE_ROOT / "uv.lock"]:
        shutil.copy(path, tmp_path / path.name)
    for member in find_members():
        target = tmp_path / member.path.relative_to(WORKSPACE_ROOT)
        target.mkdir(parents=True)
        shutil.copy(member.path / "pyproject.toml", target / "pyproject.toml")
        shutil.copy(member.path / "README.md", target / "README.md")
    before = {m.name: m.pyproject["project"]["version"] for m in find_members(tmp_path)}
    lock_before = (tmp_path / "uv.lock").read_text()

    uv("version", "--package", "rd-models", "--bump", "patch", "--no-sync", cwd=tmp_path)

    after = {m.name: m.pyproject["project"]["version"] for m in find_members(tmp_path)}
    major, minor, patch = before["rd-models"].split(".")
    assert after["rd-models"] == f"{major}.{minor}.{int(patch) + 1}"
    assert {k: v for k, v in after.items() if k != "rd-models"} == {
        k: v for k, v in before.items() if k != "rd-models"
    }
    changed = [
        (a, b)
        for a, b in zip(
            lock_before.splitlines(), (tmp_path / "uv.lock").read_text().splitlines(), strict=True
        )
        if a != b
    ]
    assert changed == [(f'version = "{before["rd-models"]}"', f'version = "{after["rd-models"]}"')]


def test_dockerfile_dependency_stage_resolves_from_the_files_it_copies(tmp_path: Path) -> None:
    """The paper's Dockerfile installs dependencies from uv.lock and the pyproject.toml files
    its first stage copies; uv needs every workspace member's file for that (a missing
    tools/pyproject.toml failed `docker build`). Replays the copy and a dry, offline sync."""
    dockerfile = (WORKSPACE_ROOT / "papers/transformer/docker/Dockerfile").read_text()
    loop = re.search(r"for f in (.*?); do", dockerfile, re.S)
    assert loop is not None, "the Dockerfile's copy loop moved: update this test"
    globs = [g.removeprefix("/src/") for g in loop.group(1).replace("\\\n", " ").split()]
    for name in ("uv.lock", "pyproject.toml"):
        shutil.copy(WORKSPACE_ROOT / name, tmp_path / name)
    for pattern in globs:
        for path in WORKSPACE_ROOT.glob(pattern):
            (tmp_path / path.relative_to(WORKSPACE_ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, tmp_path / path.relative_to(WORKSPACE_ROOT))
    command = [UV, "sync", "--package", "paper-transformer", "--locked", "--no-dev"]
    command += ["--no-install-workspace", "--dry-run", "--offline"]
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / ".venv")}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _locked_distributions(member: str) -> set[str]:
    """Every distribution `uv sync --package MEMBER` installs, from uv.lock (no workspace ones)."""
    result = subprocess.run(
        [UV, "export", "--package", member, "--frozen", "--no-hashes", "--no-dev",
         "--no-emit-workspace", "--no-header", "--no-annotate"],
        cwd=WORKSPACE_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = [line.split(";")[0].strip() for line in result.stdout.splitlines()]
    return {line.split("==")[0].lower() for line in lines if line and not line.startswith("#")}


@pytest.mark.parametrize(
    ("member", "needs", "must_not_pull"),
    [
        ("paper-resnet", {"torch", "scikit-learn"}, {"tokenizers", "sacrebleu", "torchvision"}),
        ("paper-transformer", {"tokenizers", "sacrebleu"}, {"torchvision", "scikit-learn"}),
    ],
)
def test_each_paper_installs_only_what_its_own_pieces_need(
    member: str, needs: set[str], must_not_pull: set[str]
) -> None:
    installed = _locked_distributions(member)
    assert needs <= installed
    assert not must_not_pull & installed, sorted(must_not_pull & installed)
