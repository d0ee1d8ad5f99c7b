"""Make the tests' helper module (`rd_training_testkit`) importable and keep torch single-threaded."""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _restore_onednn_cache_vars() -> Iterator[None]:
    """A bf16/fp16 Trainer on CPU sets oneDNN's cache variable; no test here leaks it to the next."""
    names = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY")
    saved = {name: os.environ.get(name) for name in names}
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
