"""Fixtures for the download tests: a loopback Hub and a runner for subprocesses.

The real huggingface_hub and datasets read `HF_ENDPOINT` and `HF_HOME` at import time, so the
tests run them in a subprocess whose environment points at the loopback server (hub_server.py)
and at fresh temp folders for the HF cache and the assets root.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _load_hub_server():
    """Import hub_server.py next to this file (tests run with --import-mode=importlib)."""
    name = "rd_data_tests_hub_server"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(__file__).with_name("hub_server.py")
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


_hub_server = _load_hub_server()
LoopbackHub = _hub_server.LoopbackHub
Repo = _hub_server.Repo
parquet_bytes = _hub_server.parquet_bytes
safetensors_bytes = _hub_server.safetensors_bytes

TRAIN = {
    "src": ["one", "two three", "four five six"],
    "tgt": ["eins", "zwei drei", "vier fünf sechs"],
}
VALID = {"src": ["seven"], "tgt": ["sieben"]}
MULTI_CONFIG_CARD = """---
configs:
- config_name: de-en
  data_files:
  - split: train
    path: de-en/train-*.parquet
  - split: validation
    path: de-en/validation-*.parquet
- config_name: fr-en
  data_files:
  - split: train
    path: fr-en/train-*.parquet
---
# Two configs
"""


@pytest.fixture(scope="session")
def hub() -> object:
    """The loopback hub with the repos the tests use."""
    server = LoopbackHub()
    model = {"config.json": b'{"d_model": 4}', "model.safetensors": safetensors_bytes(64)}
    pairs = {
        "data/train-00000-of-00001.parquet": parquet_bytes(TRAIN),
        "data/validation-00000-of-00001.parquet": parquet_bytes(VALID),
    }
    multi = {
        "README.md": MULTI_CONFIG_CARD.encode(),
        "de-en/train-00000-of-00001.parquet": parquet_bytes(TRAIN),
        "de-en/validation-00000-of-00001.parquet": parquet_bytes(VALID),
        "fr-en/train-00000-of-00001.parquet": parquet_bytes({"src": ["un"], "tgt": ["one"]}),
    }
    server.add("dataset", "org/multi", Repo(multi))
    server.add("model", "org/tiny-model", Repo(model))
    server.add("model", "org/gated-model", Repo(model, gated=True))
    server.add("model", "org/flaky-model", Repo(model, cut={"model.safetensors"}))
    server.add("dataset", "org/pairs", Repo(pairs))
    server.add("dataset", "org/gated-pairs", Repo(pairs, gated=True))
    server.add("dataset", "org/flaky-pairs", Repo(pairs, cut={"data/train-00000-of-00001.parquet"}))
    yield server
    server.close()


def hub_environment(hub: LoopbackHub, tmp: Path) -> dict[str, str]:
    """Environment for a subprocess: `hub`, a fresh HF cache and assets root under `tmp`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update(
        HF_ENDPOINT=hub.url,
        HF_HOME=str(tmp / "hf-home"),
        HF_HUB_DISABLE_TELEMETRY="1",
        RD_ASSETS_DIR=str(tmp / "assets"),
        NO_PROXY="127.0.0.1,localhost",
        PYTHONIOENCODING="utf-8",
    )
    return env


@pytest.fixture
def hub_env(hub: LoopbackHub, tmp_path: Path) -> dict[str, str]:
    """Environment for one test's subprocesses; the hub's request log starts empty."""
    hub.reset()
    return hub_environment(hub, tmp_path)


class Runner:
    """Runs code in a fresh interpreter (so HF_* variables take effect at import time)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def _run(self, argv: list[str], overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *argv],
            env={**self.env, **overrides},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def python(self, code: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        """`python -c code`."""
        return self._run(["-c", code], overrides)

    def cli(self, command: str, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        """An rd_data console script (`rd-download-model ...`) through its entry function."""
        function = command.removeprefix("rd-").replace("-", "_") + "_main"
        code = f"import sys; from rd_data.cli import {function}; sys.exit({function}(sys.argv[1:]))"
        return self._run(["-c", code, *args], overrides)

    def script(self, path: Path, *args: str, **overrides: str) -> subprocess.CompletedProcess[str]:
        """A script file, e.g. tools/download_hf_model.py."""
        return self._run([str(path), *args], overrides)


@pytest.fixture
def run(hub_env: dict[str, str]) -> Runner:
    """Run subprocesses against the loopback hub with a fresh HF cache and assets root."""
    return Runner(hub_env)


@pytest.fixture(scope="module")
def module_runner(hub: LoopbackHub, tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A Runner shared by one test module (one HF cache and assets root for all its tests)."""
    hub.reset()
    return Runner(hub_environment(hub, tmp_path_factory.mktemp("hub")))
