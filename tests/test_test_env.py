"""tools/test_env.py reports the environment, fails only on required checks, never shows a token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import test_env
from workspace import WORKSPACE_ROOT

SCRIPT = str(WORKSPACE_ROOT / "tools" / "test_env.py")


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
    assert test_env.satisfies(version, spec) is expected


def test_unreadable_specifier_is_an_error() -> None:
    with pytest.raises(ValueError, match="requires-python"):
        test_env.satisfies((3, 11, 0), ">=three")


def test_hf_token_is_located_but_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.delenv("HF_TOKEN_PATH", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert test_env.hf_token_source() is None
    (tmp_path / "token").write_text("hf_file_secret\n")
    assert test_env.hf_token_source() == str(tmp_path / "token")
    monkeypatch.setenv("HF_TOKEN", "hf_env_secret")
    login, _ = test_env.check_hugging_face()
    assert login.status == "ok" and "$HF_TOKEN" in login.detail
    assert "secret" not in json.dumps([login.value, login.detail])


def test_offline_mode_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    _, offline = test_env.check_hugging_face()
    assert offline.value == "yes" and "HF_HUB_OFFLINE" in offline.detail


def test_assets_dir_follows_rd_assets_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "not-yet"))
    checks = {c.name: c for c in test_env.check_assets()}
    assert checks["assets dir"].value == str(tmp_path / "not-yet")
    assert checks["assets writable"].status == "ok"
    assert not (tmp_path / "not-yet").exists()  # checking creates nothing
    assert list(tmp_path.iterdir()) == []
    assert checks["free disk"].value.endswith("GB")


def test_assets_dir_under_a_file_fails(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("RD_ASSETS_DIR", str(tmp_path / "file" / "assets"))
    writable = {c.name: c for c in test_env.check_assets()}["assets writable"]
    assert writable.failed and "is a file" in writable.detail


def test_table_has_one_line_per_check() -> None:
    checks = [
        test_env.Check("python", "ok", "3.11.7"),
        test_env.Check("cuda", "info", "no", "CPU-only torch build"),
        test_env.Check("assets writable", "fail", "no", "read-only"),
    ]
    lines = test_env.format_table(checks).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("-") and lines[2].startswith("FAIL")


def run_script(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, SCRIPT, *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_json_output_passes_in_the_test_environment(tmp_path: Path) -> None:
    """Every member is installed here (the test command syncs them all), so everything passes."""
    result = run_script("--json", env_extra={"RD_ASSETS_DIR": str(tmp_path), "HF_TOKEN": "hf_x1"})
    report = json.loads(result.stdout)
    names = {c["name"] for c in report["checks"]}
    assert {"python", "uv", "torch", "cuda", "assets writable", "hf login", "git"} <= names
    assert {f"member {m}" for m in ("rd-models", "rd-training", "rd-data", "rd-viz")} <= names
    assert report["ok"] is True and result.returncode == 0, result.stderr
    assert "hf_x1" not in result.stdout + result.stderr


def test_a_failed_required_check_exits_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    result = run_script(env_extra={"RD_ASSETS_DIR": str(tmp_path / "file" / "assets")})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"test_env: FAIL assets writable: {tmp_path / 'file'} is a file, not a folder"
    ]
    assert "FAIL  assets writable" in result.stdout
