"""Synthetic run directories shaped like rd-training writes them (see ARCHITECTURE.md)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

T0 = 1_750_000_000.0  # a wall-clock start time, as time.time() logs it


def make_records(
    steps: Sequence[int] = (10, 20, 30, 40), *, valid_every: int = 20, scale: float = 1.0
) -> list[dict[str, Any]]:
    """Train records at `steps` (loss, lr, tokens_per_s), valid records every `valid_every`."""
    records: list[dict[str, Any]] = []
    for step in steps:
        records.append(
            {
                "step": step,
                "split": "train",
                "time": T0 + step,
                "loss": scale * 10.0 / step,
                "lr": 1e-3 * step / steps[-1],
                "tokens_per_s": 100.0,
            }
        )
        if step % valid_every == 0:
            records.append(
                {"step": step, "split": "valid", "time": T0 + step, "loss": scale * 20.0 / step}
            )
    return records


def write_jsonl(path: Path, records: Sequence[Any], tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail, encoding="utf-8")
    return path


@pytest.fixture(name="make_records")
def make_records_fixture() -> Callable[..., list[dict[str, Any]]]:
    """The `make_records` function, for tests to build expected records."""
    return make_records


@pytest.fixture
def make_run(tmp_path: Path) -> Callable[..., Path]:
    """`make_run(name, records=None, tail="")` -> a run directory holding metrics.jsonl."""

    def _make(name: str = "run-a", records: Sequence[Any] | None = None, tail: str = "") -> Path:
        run_dir = tmp_path / "outputs" / name
        write_jsonl(run_dir / "metrics.jsonl", make_records() if records is None else records, tail)
        return run_dir

    return _make
