"""Logging: a console logger, `metrics.jsonl`, a progress display and optional TensorBoard."""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from rd_training.atomic_files import write_text_atomic

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _CurrentStderr(logging.StreamHandler):
    """A console handler that writes to whatever `sys.stderr` is when a record is emitted (a
    stream bound at setup would go stale once pytest or a caller swaps sys.stderr)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logger(
    name: str = "rd_training",
    level: int | str = logging.INFO,
    log_file: str | Path | None = None,
    rank: int = 0,
) -> logging.Logger:
    """Configure a logger that writes to stderr (and optionally a file); quiet on ranks > 0.

    Calling it again does not add duplicate handlers; a new `log_file` replaces the file an
    earlier call set up (one run's log at a time, also when several runs share a process).

    Args:
        name: logger name ("rd_training" covers this library; use your paper's package name too).
        level: level on rank 0; other ranks log warnings and errors only.
        log_file: also append to this file.
        rank: the process's distributed rank.

    Returns:
        The logger.
    """
    log = logging.getLogger(name)
    log.setLevel(level if rank == 0 else logging.WARNING)
    formatter = logging.Formatter(_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")
    if not any(getattr(h, "_rd_console", False) for h in log.handlers):
        console = _CurrentStderr()
        console.setFormatter(formatter)
        console._rd_console = True  # type: ignore[attr-defined]
        log.addHandler(console)
    if log_file is not None:
        target = str(Path(log_file).resolve())
        for handler in [h for h in log.handlers if getattr(h, "_rd_file", False)]:
            if handler.baseFilename != target:  # type: ignore[attr-defined]
                log.removeHandler(handler)
                handler.close()
        if not any(getattr(h, "baseFilename", None) == target for h in log.handlers):
            file_handler = logging.FileHandler(target, encoding="utf-8")
            file_handler.setFormatter(formatter)
            file_handler._rd_file = True  # type: ignore[attr-defined]
            log.addHandler(file_handler)
    log.propagate = False
    return log


class MetricsLogger:
    """Appends one JSON object per line to `metrics.jsonl`: `{"step", "split", "time", ...}`.

    Each line is flushed when written, so a killed run loses nothing it logged.

    Args:
        path: the jsonl file, or a run directory (then `<dir>/metrics.jsonl`).
    """

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        self.path = path / "metrics.jsonl" if path.is_dir() else path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: TextIO | None = None

    def log(self, step: int, split: str, **metrics: Any) -> dict[str, Any]:
        """Write one record.

        Args:
            step: optimizer step the metrics belong to.
            split: "train", "valid" or "test" (any string is accepted).
            **metrics: JSON-serialisable values (non-finite floats are written as null).

        Returns:
            The record written.
        """
        record: dict[str, Any] = {"step": int(step), "split": split, "time": time.time()}
        for key, value in metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            record[key] = value
        if self._file is None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        return record

    def truncate_after(self, step: int) -> None:
        """Drop records with `step > step` (a resumed run re-logs the steps after its checkpoint)."""
        self.close()
        if not self.path.exists():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line)["step"] <= step:
                    kept.append(line + "\n")
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a line torn by a kill
        write_text_atomic("".join(kept), self.path)

    def close(self) -> None:
        """Close the file (logging again reopens it)."""
        if self._file is not None:
            self._file.close()
            self._file = None


class ProgressReporter:
    """A tqdm bar (step, loss, lr, `unit`/s) on a TTY; plain periodic log lines otherwise.

    Every `log_every` steps it shows the token-weighted mean loss and the tokens/s of the steps
    since the last line. `enabled=False` shows neither; TensorBoard events are written whenever
    `tensorboard_dir` is given and tensorboard is installed.
    """

    def __init__(
        self,
        total: int | None,
        initial: int,
        logger: logging.Logger,
        log_every: int = 1,
        enabled: bool = True,
        tensorboard_dir: Path | None = None,
        unit: str = "tok",
    ) -> None:
        self.logger = logger
        self.unit = unit
        self.total = total
        self.log_every = log_every
        self.enabled = enabled
        self.bar = None
        if enabled and sys.stderr.isatty():
            self.bar = tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)
        self.tb = _tensorboard_writer(tensorboard_dir) if tensorboard_dir else None
        if tensorboard_dir and self.tb is None:
            logger.warning(
                "tensorboard is not installed, so no events go to %s: install rd-training's "
                "[tensorboard] extra (uv sync --extra tensorboard), "
                "or set training.tensorboard=false",
                tensorboard_dir,
            )
        self._window_loss, self._window_tokens = 0.0, 0.0
        self._window_start = time.perf_counter()

    def update(self, step: int, record: dict[str, float]) -> None:
        """Count one step (`loss`, `lr`, `tokens`, `epoch`, ...); show the window's means every
        `log_every` steps."""
        if self.bar is not None:
            self.bar.update(1)
        tokens = record.get("tokens", 1.0)
        self._window_loss += record["loss"] * tokens
        self._window_tokens += tokens
        if step % self.log_every:
            return
        now = time.perf_counter()
        shown = {
            **record,
            "loss": self._window_loss / max(self._window_tokens, 1e-9),
            "tokens_per_s": self._window_tokens / max(now - self._window_start, 1e-9),
        }
        self._window_loss, self._window_tokens, self._window_start = 0.0, 0.0, now
        self._show(step, shown)

    def _show(self, step: int, metrics: dict[str, float]) -> None:
        if self.bar is not None:
            self.bar.set_postfix(
                loss=f"{metrics['loss']:.4f}",
                lr=f"{metrics['lr']:.3g}",
                refresh=False,
                **{f"{self.unit}/s": f"{metrics['tokens_per_s']:.0f}"},
            )
        elif self.enabled:
            total = f"/{self.total}" if self.total else ""
            self.logger.info(
                "step %d%s | epoch %d | loss %.4f | lr %.3g | %.0f %s/s",
                step,
                total,
                metrics["epoch"],
                metrics["loss"],
                metrics["lr"],
                metrics["tokens_per_s"],
                self.unit,
            )
        if self.tb is not None:
            for key in ("loss", "lr", "tokens_per_s", "grad_norm"):
                if key in metrics:
                    self.tb.add_scalar(f"train/{key}", metrics[key], step)

    def log_eval(self, step: int, metrics: dict[str, float]) -> None:
        """Report evaluation metrics."""
        text = " | ".join(f"{k} {v:.4g}" for k, v in metrics.items())
        if self.bar is not None:
            self.bar.write(f"step {step} | valid | {text}")
        elif self.enabled:
            self.logger.info("step %d | valid | %s", step, text)
        if self.tb is not None:
            for key, value in metrics.items():
                self.tb.add_scalar(f"valid/{key}", value, step)

    def close(self) -> None:
        """Close the bar and the TensorBoard writer."""
        if self.bar is not None:
            self.bar.close()
        if self.tb is not None:
            self.tb.close()


def _tensorboard_writer(log_dir: Path) -> Any:
    """A SummaryWriter when tensorboard is installed (an optional extra), else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(log_dir=str(log_dir))
