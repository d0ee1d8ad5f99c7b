"""Shared fixtures: a private assets dir and one finished tiny run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from paper_resnet_testing import TINY, run_cli


@pytest.fixture
def assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh assets root for this test (RD_ASSETS_DIR, for in-process calls too)."""
    root = tmp_path / "assets"
    monkeypatch.setenv("RD_ASSETS_DIR", str(root))
    return root


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One completed tiny run shared by the tests that only read it: (run dir, stdout)."""
    assets = tmp_path_factory.mktemp("shared") / "assets"
    result = run_cli("train", *TINY, "--run-name", "tiny", assets=assets)
    return assets / "outputs" / "resnet" / "tiny", result.stdout
