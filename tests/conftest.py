"""Make the workspace tools (tools/*.py) importable from the root tests."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))


@pytest.fixture(autouse=True)
def _restore_onednn_cache_vars() -> Iterator[None]:
    """Importing benchmarks/bench_common (or a bf16 Trainer on CPU) sets oneDNN's cache size in
    this process; no test leaks it to the next."""
    names = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY")
    saved = {name: os.environ.get(name) for name in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
