"""Read a run's `metrics.jsonl`: one JSON object per line, `{"step", "split", "time", ...}`.

The file is written while a run trains, so its last line may be cut off mid-write; such a line is
skipped with a warning. Any other line that is not a JSON object with an integer `step` and a
string `split` is an error naming the file and the line number.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from pathlib import Path
from typing import Any

METRICS_FILENAME = "metrics.jsonl"
"""Name of the metrics file inside a run directory (see ARCHITECTURE.md)."""

BOOKKEEPING_KEYS = (
    "step",
    "split",
    "time",
    "epoch",
    "tokens",
    "averaged_checkpoints",
    "beam_size",
)
"""Record keys that are never picked as metrics by default: coordinates (`step`, `split`,
`time`, `epoch`, cumulative `tokens`) and the settings an evaluation logs next to its scores
(`averaged_checkpoints`, `beam_size`). Asked for by name, they can still be plotted."""


class MetricsError(ValueError):
    """A metrics file or a metric request that cannot be used; the message names file and line."""


class MetricsFileNotFoundError(MetricsError, FileNotFoundError):
    """A run directory without `metrics.jsonl`, or a metrics path that does not exist."""


class TruncatedLineWarning(UserWarning):
    """The last line of a metrics file is incomplete (the run is probably still writing it)."""


def metrics_path(run_dir_or_jsonl: str | os.PathLike[str]) -> Path:
    """The `metrics.jsonl` of a run directory, or the given file itself.

    Args:
        run_dir_or_jsonl: A run directory holding `metrics.jsonl`, or the path of a JSONL file.

    Returns:
        The path of the metrics file.

    Raises:
        MetricsFileNotFoundError: The directory has no `metrics.jsonl`, or the path does not exist.
    """
    path = Path(run_dir_or_jsonl)
    if path.is_dir():
        candidate = path / METRICS_FILENAME
        if not candidate.is_file():
            raise MetricsFileNotFoundError(f"{path}: no {METRICS_FILENAME} in this run directory")
        return candidate
    if not path.exists():
        raise MetricsFileNotFoundError(f"{path}: no such run directory or metrics file")
    return path


def read_metrics(run_dir_or_jsonl: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read every record of a run's metrics file, in file order.

    Args:
        run_dir_or_jsonl: A run directory holding `metrics.jsonl`, or the path of a JSONL file.

    Returns:
        One dict per non-blank line, as written (`step`, `split`, `time` and the metrics).

    Raises:
        MetricsFileNotFoundError: There is no metrics file at that place.
        MetricsError: A line (other than a cut-off last line) is not valid JSON, not an object, or
            lacks an integer `step` or a string `split`; the message is `<file>:<line>: <why>`.

    Warns:
        TruncatedLineWarning: The last line does not end in a newline and does not parse; it is
            skipped, since a run that is still writing leaves exactly such a line.
    """
    path = metrics_path(run_dir_or_jsonl)
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    # After a final newline, split() leaves one empty string; anything else there was cut off.
    last_is_unterminated = lines[-1] != ""
    records: list[dict[str, Any]] = []
    for index, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            if index == len(lines) and last_is_unterminated:
                warnings.warn(
                    f"{path}:{index}: skipping an incomplete last line (run still writing?)",
                    TruncatedLineWarning,
                    stacklevel=2,
                )
                break
            raise MetricsError(f"{path}:{index}: not valid JSON ({err.msg})") from None
        _check_record(record, path, index)
        records.append(record)
    return records


def _check_record(record: Any, path: Path | str, line: int) -> None:
    """Raise MetricsError unless `record` has the fields every metrics line must have."""
    where = f"{path}:{line}"
    if not isinstance(record, dict):
        raise MetricsError(f"{where}: expected a JSON object, got {type(record).__name__}")
    step = record.get("step")
    if isinstance(step, float) and step.is_integer():
        step = record["step"] = int(step)
    if not isinstance(step, int) or isinstance(step, bool):
        raise MetricsError(f"{where}: 'step' must be an integer, got {step!r}")
    if not isinstance(record.get("split"), str):
        raise MetricsError(f"{where}: 'split' must be a string, got {record.get('split')!r}")


def check_records(records: list[Any], source: str) -> list[dict[str, Any]]:
    """Validate records given in memory, naming `source` and the 1-based index on error."""
    for index, record in enumerate(records, start=1):
        _check_record(record, source, index)
    return records


def is_number(value: Any) -> bool:
    """True for ints and floats (NaN included) but not bools, strings or None."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite_or_nan(value: Any) -> float:
    """The value as a float, NaN for anything that is not a number."""
    return float(value) if is_number(value) else math.nan
