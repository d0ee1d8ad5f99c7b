"""In the fully synced workspace, `tools/test_env.py` and `rd-doctor` pass, and agree.

The doctor's own tests (each check, finding the workspace, exit codes) are in
tools/tests/test_doctor.py; these need every member installed, as the test command has them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from workspace import WORKSPACE_ROOT, find_members

SCRIPT = str(WORKSPACE_ROOT / "tools" / "test_env.py")
RD_DOCTOR = str(Path(sys.executable).with_name("rd-doctor.exe" if os.name == "nt" else "rd-doctor"))


def run_json(command: list[str], cwd: Path, assets: Path) -> dict[str, Any]:
    """Run a doctor with `--json` in `cwd`; it must pass. Returns its report."""
    result = subprocess.run(
        [*command, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "RD_ASSETS_DIR": str(assets), "HF_TOKEN": "hf_x1"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "hf_x1" not in result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def script_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`python tools/test_env.py --json`, run in a member's folder inside the workspace."""
    assets = tmp_path_factory.mktemp("assets")
    return run_json([sys.executable, SCRIPT], WORKSPACE_ROOT / "packages" / "rd-viz", assets)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in report["checks"]}


def test_every_check_passes_in_the_test_environment(script_report: dict[str, Any]) -> None:
    """Every member is installed here (the test command syncs them all), so everything passes."""
    checks = by_name(script_report)
    assert {"python", "uv", "torch", "cuda", "workspace", "assets writable", "git"} <= set(checks)
    members = {f"member {m.name}" for m in find_members()}
    assert {"member rd-models", "member rd-tools"} <= members <= set(checks)
    assert script_report["ok"] is True


def test_from_a_member_folder_the_workspace_root_is_found(script_report: dict[str, Any]) -> None:
    workspace = by_name(script_report)["workspace"]
    assert (workspace["status"], workspace["value"]) == ("ok", str(WORKSPACE_ROOT))
    assert workspace["detail"] == ""  # found from the current directory


def test_console_script_from_outside_checks_the_same_workspace(
    script_report: dict[str, Any], tmp_path: Path
) -> None:
    """Run in a folder that is in no workspace, the checkout's rd-doctor checks that checkout."""
    assets = Path(by_name(script_report)["assets dir"]["value"])
    report = run_json([RD_DOCTOR], tmp_path, assets)
    assert [(c["name"], c["status"]) for c in report["checks"]] == [
        (c["name"], c["status"]) for c in script_report["checks"]
    ]
    workspace = by_name(report)["workspace"]
    assert workspace["value"] == str(WORKSPACE_ROOT) and "no workspace" in workspace["detail"]


def test_doctor_and_rd_data_find_the_same_assets_dir(tmp_path: Path, monkeypatch) -> None:
    """rd-tools copies rd_data's assets rule (it must run before anything is synced): same answer."""
    import rd_data
    import rd_data.paths
    from rd_tools import checks, workspace

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert checks._user_cache_dir() == rd_data.paths._user_cache_dir()
    for cwd in (WORKSPACE_ROOT / "packages", tmp_path):
        monkeypatch.chdir(cwd)
        for custom in (None, tmp_path / "custom"):
            if custom is None:
                monkeypatch.delenv("RD_ASSETS_DIR", raising=False)
            else:
                monkeypatch.setenv("RD_ASSETS_DIR", str(custom))
            found, _ = checks.assets_dir(workspace.find_workspace_root())
            assert found == rd_data.get_assets_dir(create=False)
