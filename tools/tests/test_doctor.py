"""rd-doctor reports the environment, fails only on required checks, and never shows a token.

These tests need neither torch nor the other members, so they also pass in rd-tools' own
environment (tools/check_isolation.py); the whole-workspace run is in tests/test_test_env.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rd_tools import checks, doctor
from rd_tools.checks import Check

RD_DOCTOR = Path(sys.executable).with_name("rd-doctor.exe" if os.name == "nt" else "rd-doctor")


@pytest.mark.parametrize(
    ("version", "spec", "expected"),
    [
        ((3, 11, 7), ">=3.10", True),
        ((3, 9, 18), ">=3.10", False),
        ((3, 13, 0), ">=3.10,<3.13", False),
        ((3, 12, 1), ">=3.10, <3.13", True),
        ((3, 11, 2), "==3.11.*", True),
        ((3, 12, 0), "==3.11.*", False),
        ((3, 10, 0), "~=3.10", True),
        ((3, 11, 0), "!=3.11.*", False),
    ],
)
def test_requires_python_specifiers(version: tuple, spec: str, expected: bool) -> None:
    assert checks.satisfies(version, spec) is expected


def test_unreadable_specifier_is_an_error() -> None:
    with pytest.raises(ValueError, match="requires-python"):
        checks.satisfies((3, 11, 0), ">=three")


def test_hf_token_is_located_but_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert checks.hf_token_source() is None
    (tmp_path / "token").write_text("hf_file_secret\n")
    assert checks.hf_token_source() == str(tmp_path / "token")
    monkeypatch.setenv("HF_TOKEN", "hf_env_secret")
    login, _ = checks.check_hugging_face()
    assert login.status == "ok" and "$HF_TOKEN" in login.detail
    assert "secret" not in json.dumps([login.value, login.detail])


def test_offline_mode_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _, offline = checks.check_hugging_face()
    assert offline.value == "yes" and "HF_HUB_OFFLINE" in offline.detail


def test_assets_dir_follows_rd_assets_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "not-yet"))
    found = {c.name: c for c in checks.check_assets(workspace=tmp_path / "ws")}
    assert found["assets dir"].value == str(tmp_path / "not-yet")
    assert found["assets writable"].status == "ok"
    assert not (tmp_path / "not-yet").exists()  # checking creates nothing
    assert list(tmp_path.iterdir()) == []
    assert found["free disk"].value.endswith("GB")


def test_assets_dir_defaults_to_the_workspace_then_a_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RD_ASSETS_DIR", raising=False)
    assert checks.assets_dir(tmp_path) == (tmp_path / "assets", "workspace default")
    path, source = checks.assets_dir(None)
    assert path.parts[-2:] == ("rd-data", "assets") and "no workspace" in source


def test_assets_dir_under_a_file_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "file" / "assets"))
    writable = {c.name: c for c in checks.check_assets(None)}["assets writable"]
    assert writable.failed and "is a file" in writable.detail


def test_table_has_one_line_per_check() -> None:
    table = [
        Check("python", "ok", "3.11.7"),
        Check("cuda", "info", "no", "CPU-only torch build"),
        Check("assets writable", "fail", "no", "read-only"),
    ]
    lines = doctor.format_table(table).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("-") and lines[2].startswith("FAIL")


# ----------------------------------------------------------------------------- which workspace
@pytest.fixture
def no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skip the torch check: these tests are about the workspace, and torch is slow to import."""
    monkeypatch.setattr(doctor, "check_torch", lambda: [])


def test_run_from_a_subfolder_checks_that_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_torch: None
) -> None:
    root = tmp_path / "ws"
    (root / "libs" / "demo" / "src").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["libs/*"]\n')
    (root / "libs" / "demo" / "pyproject.toml").write_text(
        '[project]\nname = "rd-doctor-test-demo"\nversion = "0.1.0"\nrequires-python = ">=3.8"\n'
    )
    monkeypatch.chdir(root / "libs" / "demo" / "src")
    monkeypatch.delenv("RD_ASSETS_DIR", raising=False)
    found = {c.name: c for c in doctor.run_checks()}
    assert found["workspace"].value == str(root) and found["workspace"].status == "ok"
    member = found["member rd-doctor-test-demo"]
    assert member.failed and member.value == "not installed"
    assert found["python"].detail == "requires-python >=3.8"
    assert found["assets dir"].value == str(root / "assets")
    assert "members" not in found


def test_outside_any_workspace_members_are_a_warning(tmp_path: Path, no_torch: None) -> None:
    found = {c.name: c for c in doctor.run_checks(start=tmp_path)}
    assert (found["workspace"].status, found["workspace"].value) == ("warn", "not found")
    assert str(tmp_path) in found["workspace"].detail
    assert (found["members"].status, found["members"].value) == ("warn", "not checked")
    assert not any(name.startswith("member ") for name in found)


def test_a_broken_member_pyproject_fails_the_members_check(tmp_path: Path, no_torch: None) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["m"]\n')
    (tmp_path / "m" / "pyproject.toml").write_text("[project\n")
    members = {c.name: c for c in doctor.run_checks(start=tmp_path)}["members"]
    assert members.failed and members.value == "unreadable" and "\n" not in members.detail


# ----------------------------------------------------------------------------- the command
def test_console_script_help() -> None:
    result = subprocess.run(
        [str(RD_DOCTOR), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: rd-doctor") and "--json" in result.stdout


def test_a_failed_check_exits_1_with_one_line_on_stderr(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_torch: None,
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.uv.workspace]\n")  # no members to import
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "file" / "assets"))
    monkeypatch.setenv("HF_TOKEN", "hf_x1")
    assert doctor.main([]) == 1
    out, err = capsys.readouterr()
    assert "FAIL  assets writable" in out
    assert f"rd-doctor: FAIL assets writable: {tmp_path / 'file'} is a file, not a folder" in (
        err.splitlines()
    )
    assert len(err.splitlines()) == out.count("\nFAIL  ")  # one line per failure, nothing else
    assert "hf_x1" not in out + err


def test_installed_outside_a_workspace_it_warns_instead_of_crashing(tmp_path: Path) -> None:
    """Where a wheel puts rd_tools: a folder in no workspace, run from a folder in none."""
    site = tmp_path / "site"
    shutil.copytree(Path(doctor.__file__).parent, site / "rd_tools")
    code = (
        "import sys, rd_tools, rd_tools.doctor as d\n"
        "assert rd_tools.__file__.startswith(sys.argv[1]), rd_tools.__file__\n"
        "d.check_torch = lambda: []  # fast: this test is about the workspace\n"
        "sys.exit(d.main(['--json']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site), "RD_ASSETS_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    found = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert found["workspace"]["status"] == "warn"
    assert found["members"]["status"] == "warn"
    assert found["members"]["detail"] == "outside a workspace: run rd-doctor in one"
    # Warnings do not fail: the exit code is 1 exactly when a check failed.
    failed = [name for name, c in found.items() if c["status"] == "fail"]
    assert result.returncode == (1 if failed else 0), failed
    assert len(result.stderr.splitlines()) == len(failed)
