"""The training loop. Read it top to bottom: `fit` -> `_train_step` -> evaluate -> checkpoint.

Design choices (each fixes a bug seen in the wild):
- Gradient accumulation normalises by the target tokens of *all* micro-batches of an optimizer step
  (summed over ranks): `loss_fn` returns a summed loss, gradients are accumulated as sums and
  divided once by the global token count before clipping (accelerate #963, transformers #46731).
- The LR scheduler steps once per optimizer step; under DDP gradients are all-reduced only on the
  last micro-batch (`no_sync`).
- Checkpoints hold everything needed to continue *exactly*: weights, optimizer, scheduler, grad
  scaler, RNG states, the sampler state at the start of the epoch and how many batches of the epoch
  were consumed. Resuming replays the data iterator to that position (no compute), so prefetching
  DataLoader workers cannot shift it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import math
import os
import signal
import time
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from rd_training.checkpoint import (
    checkpoint_dir_name,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from rd_training.distributed import all_reduce_sum, get_rank, get_world_size
from rd_training.distributed import init_distributed_from_env as _init_distributed
from rd_training.logging_utils import MetricsLogger, ProgressReporter, setup_logger
from rd_training.manifest import update_manifest, write_manifest
from rd_training.protocols import EvalFn, LossFn, StatefulSampler
from rd_training.seeding import get_rng_state, seed_everything, select_device, set_rng_state
from rd_training.tensor_io import write_text_atomic
from rd_training.trainer_config import TrainerConfig

logger = logging.getLogger(__name__)
_AUTOCAST = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}

# oneDNN runs bf16/fp16 matrix products on CPU and builds a kernel ("primitive", ~0.5 ms) for
# each new shape; token-budget batches of WMT-like lengths bring new shapes nearly every step.
# Its default cache of 1024 primitives then keeps evicting them: each bf16 step paid ~9
# rebuilds, 1.3x slower than with 4096 (benchmarks/README.md, "seventh look"). Each cached
# primitive holds ~0.5 MB, so the cache is raised only to 4096, which held all ~2,400 distinct
# primitives of the WMT-shaped data.
_ONEDNN_CACHE_CAPACITY = 4096
# oneDNN reads either name (DNNL_ is the older one); a value the user set under either wins.
_ONEDNN_CACHE_VARS = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "DNNL_PRIMITIVE_CACHE_CAPACITY")


def _raise_onednn_cache() -> None:
    """Raise oneDNN's primitive cache unless the user chose its size (read once per process)."""
    if any(name in os.environ for name in _ONEDNN_CACHE_VARS):
        return
    os.environ[_ONEDNN_CACHE_VARS[0]] = str(_ONEDNN_CACHE_CAPACITY)
    logger.info(
        "%s=%d for bf16/fp16 on CPU (set it yourself to choose)",
        _ONEDNN_CACHE_VARS[0],
        _ONEDNN_CACHE_CAPACITY,
    )


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; raised before the bad update is applied."""


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) dict/list/tuple batch to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to_device(v, device) for v in batch)
    return batch


class Trainer:
    """Trains `model` on `train_data` with `loss_fn`, logging, evaluating and checkpointing.

    Args:
        model: the model (moved to the selected device; wrapped in DDP under torchrun).
        config: the loop's settings.
        train_data: re-iterable batches (e.g. a DataLoader); each batch is moved to the device.
        loss_fn: `loss_fn(model, batch) -> (loss_sum, num_tokens)`, see `LossFn`.
        optimizer: optimizer over `model`'s parameters (see `build_optimizer`).
        out_dir: run directory for metrics.jsonl, manifest.json, checkpoints/.
        scheduler: LR scheduler, stepped once per optimizer step.
        eval_fn: `eval_fn(model, step) -> metrics`, see `EvalFn`.
        sampler: data sampler to checkpoint; defaults to `train_data.batch_sampler` when that
            implements `StatefulSampler`.

    Raises:
        ValueError: for inconsistent arguments (the message names the field).
        FileNotFoundError: if `config.resume` is a path that does not exist.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainerConfig,
        *,
        train_data: Iterable[Any],
        loss_fn: LossFn,
        optimizer: torch.optim.Optimizer,
        out_dir: str | Path,
        scheduler: Any | None = None,
        eval_fn: EvalFn | None = None,
        sampler: StatefulSampler | None = None,
    ) -> None:
        if not isinstance(config, TrainerConfig):
            raise ValueError(f"config must be a TrainerConfig, got {type(config).__name__}")
        if not callable(loss_fn):
            raise ValueError(
                "loss_fn must be callable: loss_fn(model, batch) -> (loss_sum, tokens)"
            )
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
        if not isinstance(train_data, Iterable):
            raise ValueError("train_data must be an iterable of batches")
        if config.best_metric is not None and eval_fn is None:
            raise ValueError("TrainerConfig.best_metric is set but no eval_fn was given")
        if sampler is None and isinstance(
            getattr(train_data, "batch_sampler", None), StatefulSampler
        ):
            sampler = train_data.batch_sampler  # type: ignore[attr-defined]
        if sampler is not None and not isinstance(sampler, StatefulSampler):
            raise ValueError(
                "sampler must implement state_dict(), load_state_dict() and set_epoch()"
            )
        if config.resume not in (None, "auto") and not Path(config.resume).exists():
            raise FileNotFoundError(
                f"TrainerConfig.resume: checkpoint {config.resume} does not exist"
            )

        self.config = config
        self.out_dir = Path(out_dir)
        self.checkpoint_dir = self.out_dir / "checkpoints"
        self.train_data, self.loss_fn, self.eval_fn = train_data, loss_fn, eval_fn
        self.optimizer, self.scheduler, self.sampler = optimizer, scheduler, sampler

        # Device and processes: under torchrun each rank owns one device; rank 0 does all I/O.
        self.device = select_device(config.device)
        self._owns_process_group = _init_distributed(self.device)
        self.rank, self.world_size = get_rank(), get_world_size()
        self.is_main = self.rank == 0
        seed_everything(config.seed, config.deterministic)

        # `self.model` is the plain module (saved, evaluated); `self.train_model` runs forward.
        self.model = model.to(self.device)
        self.train_model: nn.Module = self.model
        self.ddp_model: nn.parallel.DistributedDataParallel | None = None
        self._wrap_model()
        self.params = [p for group in optimizer.param_groups for p in group["params"]]

        # Mixed precision: bf16 needs no loss scaling; fp16 does.
        self.autocast_dtype = _AUTOCAST[config.precision]
        if self.device.type == "cpu" and self.autocast_dtype is not None:
            _raise_onednn_cache()
        self.scaler = torch.amp.GradScaler(self.device.type) if config.precision == "fp16" else None

        # Loop position (all of it is checkpointed).
        self.step = 0
        self.epoch = 0
        self.batches_in_epoch = 0
        self.best: dict[str, Any] | None = None
        self._data_iter: Iterator[Any] | None = None
        self._anchor: dict[str, Any] = {}
        self._stop_signal: int | None = None
        self._last_saved_step = -1
        self._last_eval_step = -1
        self.metrics = MetricsLogger(self.out_dir / "metrics.jsonl") if self.is_main else None

    # ------------------------------------------------------------------ the loop
    def fit(self) -> dict[str, Any]:
        """Train until `max_steps` / `max_epochs`, then evaluate and save a final checkpoint.

        Under DDP it frees its DDP wrapper at the end (and destroys the process group if it
        created it); a second `fit()` needs a process group the caller keeps.

        Returns:
            A summary: status, step, epoch, last train loss, best metric, last checkpoint, out_dir.

        Raises:
            NonFiniteLossError: when the loss becomes NaN/inf (names the step; the last good
                checkpoint is kept and no NaN weights are saved).
            SystemExit: with code 128 + signal number after SIGTERM/SIGINT (after saving).
        """
        cfg = self.config
        if self.is_main:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        if not logging.getLogger("rd_training").handlers and not logging.getLogger().handlers:
            # The caller configured no logging at all: show progress lines and keep a train.log.
            # Only rank 0 writes the file: it alone creates out_dir (other ranks may get here first).
            log_file = self.out_dir / "train.log" if self.is_main else None
            setup_logger("rd_training", rank=self.rank, log_file=log_file)
        if self.is_main:
            write_manifest(
                self.out_dir,
                seed=cfg.seed,
                world_size=self.world_size,
                device=str(self.device),
                trainer_config=dataclasses.asdict(cfg),
            )
        progress: ProgressReporter | None = None
        status, last_loss, started = "failed", math.nan, time.time()
        previous_handlers = self._install_signal_handlers()
        if self.world_size > 1 and self.ddp_model is None:  # a second fit(): DDP again
            self._wrap_model()
        try:
            resumed_from = self._resume()
            if resumed_from is not None and self.is_main:
                update_manifest(
                    self.out_dir, resumed_from=str(resumed_from), resumed_step=self.step
                )
            progress = ProgressReporter(
                cfg.max_steps,
                self.step,
                logger,
                enabled=self.is_main and cfg.progress_bar,
                tensorboard_dir=self.out_dir / "tensorboard"
                if cfg.tensorboard and self.is_main
                else None,
            )
            self.train_model.train()
            self.optimizer.zero_grad(set_to_none=True)
            assert progress is not None
            shown_loss, shown_tokens, shown_time = 0.0, 0.0, time.perf_counter()
            while not self._finished():
                batches = self._next_micro_batches()
                if not batches:
                    continue  # an epoch ended exactly at a step boundary
                step_start = time.perf_counter()
                last_loss, tokens, grad_norm, lr = self._train_step(batches)
                self.step += 1
                now = time.perf_counter()

                # Every step goes to metrics.jsonl; the console and TensorBoard every log_every.
                record = {
                    "loss": last_loss,
                    "lr": lr,
                    "tokens": int(tokens),
                    "epoch": self.epoch,
                    "tokens_per_s": tokens / max(now - step_start, 1e-9),
                }
                if grad_norm is not None:
                    record["grad_norm"] = grad_norm
                if self.metrics is not None:
                    self.metrics.log(self.step, "train", **record)
                shown_loss, shown_tokens = shown_loss + last_loss * tokens, shown_tokens + tokens
                show = self.step % cfg.log_every == 0
                if show:
                    record["loss"] = shown_loss / shown_tokens
                    record["tokens_per_s"] = shown_tokens / max(now - shown_time, 1e-9)
                    shown_loss, shown_tokens, shown_time = 0.0, 0.0, now
                progress.update(self.step, record, show)

                new_best = False
                if cfg.eval_every and self.step % cfg.eval_every == 0:
                    new_best = self._evaluate(progress)
                if (
                    new_best
                    or self._stop_signal
                    or (cfg.save_every and self.step % cfg.save_every == 0)
                ):
                    self._save()
                if self._stop_signal:
                    break
            if not self._stop_signal:
                new_best = False
                if self.eval_fn is not None and self._last_eval_step != self.step:
                    new_best = self._evaluate(progress)
                if new_best or self._last_saved_step != self.step:
                    self._save()
            status = "interrupted" if self._stop_signal else "completed"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._restore_signal_handlers(previous_handlers)
            if progress is not None:
                progress.close()
            if self.metrics is not None:
                self.metrics.close()
                update_manifest(
                    self.out_dir,
                    status=status,
                    end_time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    final_step=self.step,
                )
            if self.ddp_model is not None:  # also when the caller owns the process group
                self._release_ddp()
            if self._owns_process_group and dist.is_initialized():
                dist.destroy_process_group()
        last = self.checkpoint_dir / checkpoint_dir_name(self._last_saved_step)
        if self._stop_signal:
            name = signal.Signals(self._stop_signal).name
            message = (
                f"Interrupted by {name} after step {self.step}; checkpoint saved to {last}. "
                f"{self.config.resume_hint}"
            )
            logger.warning(message)
            raise SystemExit(128 + self._stop_signal)
        return {
            "status": status,
            "step": self.step,
            "epoch": self.epoch,
            "train_loss": last_loss,
            "best": self.best,
            "last_checkpoint": str(last),
            "out_dir": str(self.out_dir),
            "elapsed_s": time.time() - started,
        }

    def _finished(self) -> bool:
        cfg = self.config
        if cfg.max_steps is not None and self.step >= cfg.max_steps:
            return True
        return cfg.max_epochs is not None and self.epoch >= cfg.max_epochs

    # ------------------------------------------------------------------ data
    def _start_epoch(self) -> None:
        """Begin an epoch, remembering where it started (sampler state + RNG) for exact resume."""
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
        sampler_state = self.sampler.state_dict() if self.sampler is not None else None
        if self.world_size > 1:  # each rank samples its own shard: rank 0 saves all of them
            states: list[Any] = [None] * self.world_size
            dist.all_gather_object(states, sampler_state)
        else:
            states = [sampler_state]
        rng_tensors, rng_json = get_rng_state()
        self._anchor = {"sampler": states, "rng_json": rng_json, "rng_tensors": rng_tensors}
        self._data_iter = iter(self.train_data)
        self.batches_in_epoch = 0

    def _next_micro_batches(self) -> list[Any]:
        """Up to `grad_accum_steps` batches; fewer at the end of an epoch."""
        batches: list[Any] = []
        while len(batches) < self.config.grad_accum_steps:
            if self._data_iter is None:
                if self._finished():
                    break
                self._start_epoch()
            try:
                batches.append(next(self._data_iter))  # type: ignore[arg-type]
                self.batches_in_epoch += 1
            except StopIteration:
                if self.batches_in_epoch == 0:
                    raise ValueError(
                        f"train_data yielded no batches in epoch {self.epoch}"
                    ) from None
                self._data_iter = None
                self.epoch += 1
                if batches:
                    break
        return batches

    # ------------------------------------------------------------------ one optimizer step
    def _train_step(self, batches: list[Any]) -> tuple[float, float, float | None, float]:
        """Forward/backward every micro-batch, then one normalised, clipped optimizer step."""
        acc_dtype = torch.float32 if self.device.type == "mps" else torch.float64
        loss_sum = torch.zeros((), dtype=acc_dtype, device=self.device)
        tokens = torch.zeros((), dtype=acc_dtype, device=self.device)
        for i, batch in enumerate(batches):
            batch = move_to_device(batch, self.device)
            is_last = i == len(batches) - 1
            # Under DDP, all-reduce gradients only once, after the last micro-batch.
            sync = (
                self.ddp_model.no_sync()
                if self.ddp_model is not None and not is_last
                else contextlib.nullcontext()
            )
            with sync:
                with self._autocast():
                    loss, num_tokens = self.loss_fn(self.train_model, batch)
                if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
                    raise ValueError("loss_fn must return (loss_sum: scalar tensor, num_tokens)")
                (self.scaler.scale(loss) if self.scaler else loss).backward()
            loss_sum += loss.detach()
            tokens += num_tokens  # int or tensor; accumulated in acc_dtype

        # One all-reduce gives the global loss and token count, and whether any rank was signalled.
        if self.world_size > 1:
            stop = torch.tensor(float(self._stop_signal is not None), dtype=acc_dtype)
            totals = all_reduce_sum(torch.stack([loss_sum, tokens, stop.to(self.device)]))
            total_loss, total_tokens, any_stop = totals.tolist()
            if any_stop and self._stop_signal is None:
                self._stop_signal = signal.SIGTERM
        else:
            total_loss, total_tokens = torch.stack([loss_sum, tokens]).tolist()
        step = self.step + 1
        if total_tokens <= 0:
            raise ValueError(f"step {step}: loss_fn reported no target tokens")
        mean_loss = total_loss / total_tokens
        if not math.isfinite(mean_loss):
            raise NonFiniteLossError(
                f"non-finite training loss ({mean_loss}) at step {step}; stopped before updating. "
                f"The last good checkpoint is the newest one in {self.checkpoint_dir}"
            )

        # Gradients hold sums over tokens (DDP averaged them over ranks): turn them into means.
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        grads = [p.grad for p in self.params if p.grad is not None]
        if grads:
            torch._foreach_mul_(grads, self.world_size / total_tokens)
        grad_norm = None
        if self.config.clip_grad_norm is not None:
            norm = nn.utils.clip_grad_norm_(self.params, self.config.clip_grad_norm)
            grad_norm = float(norm)
            if self.scaler is None and not math.isfinite(grad_norm):
                raise NonFiniteLossError(f"non-finite gradient norm at step {step}")
        lr = float(self.optimizer.param_groups[0]["lr"])
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.scheduler is not None and self.scaler is not None:
            with warnings.catch_warnings():
                # fp16 may skip an update on overflow; the schedule still follows the step count.
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
                self.scheduler.step()
        elif self.scheduler is not None:
            self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return mean_loss, total_tokens, grad_norm, lr

    def _wrap_model(self) -> None:
        """`train_model`: the model, in DDP under torchrun, compiled if asked."""
        self.train_model = self.model
        if self.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
            self.train_model = self.ddp_model
        if self.config.compile:
            self.train_model = torch.compile(self.train_model)  # type: ignore[assignment]

    def _release_ddp(self) -> None:
        """Free the DDP wrapper now, before its process group is destroyed.

        Its reducer joins a communication thread when freed; left to interpreter shutdown, that
        thread can no longer take the GIL and the rank hangs forever (seen with gloo on Python
        3.13.0 in about 1 of 5 runs). The plain model stays usable.
        """
        self.ddp_model = None
        self.train_model = self.model
        gc.collect()

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        """bf16/fp16 autocast on the training device; nothing for fp32."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, progress: ProgressReporter) -> bool:
        """Run eval_fn; log its metrics; return True if this is a new best checkpoint."""
        if self.eval_fn is None:
            return False
        self._last_eval_step = self.step
        self.model.eval()
        with torch.no_grad():
            metrics = {k: float(v) for k, v in self.eval_fn(self.model, self.step).items()}
        self.train_model.train()
        if self.metrics is not None:
            self.metrics.log(self.step, "valid", **metrics)
            progress.log_eval(self.step, metrics)
        name = self.config.best_metric
        if name is None:
            return False
        if name not in metrics:
            raise ValueError(
                f"TrainerConfig.best_metric {name!r} is not among eval_fn's metrics {sorted(metrics)}"
            )
        value = metrics[name]
        if not math.isfinite(value):  # never call NaN weights "best"
            return False
        better = self.best is None or (
            value < self.best["value"]
            if self.config.best_mode == "min"
            else value > self.best["value"]
        )
        if better:
            self.best = {
                "metric": name,
                "mode": self.config.best_mode,
                "value": value,
                "step": self.step,
                "checkpoint": checkpoint_dir_name(self.step),
            }
        return better

    # ------------------------------------------------------------------ checkpoints
    def _save(self) -> None:
        """Checkpoint the current step on rank 0, then prune old ones (keeping the best)."""
        self._last_saved_step = self.step
        if not self.is_main:
            return
        in_epoch = self._data_iter is not None
        path = save_checkpoint(
            self.checkpoint_dir / checkpoint_dir_name(self.step),
            self.model,
            self.optimizer,
            self.scheduler,
            self.scaler,
            step=self.step,
            epoch=self.epoch,
            sampler_state=self._anchor.get("sampler", [None])[0] if in_epoch else None,
            extra={
                "in_epoch": in_epoch,
                "batches_in_epoch": self.batches_in_epoch,
                "anchor_sampler_states": self._anchor.get("sampler") if in_epoch else None,
                "anchor_rng": self._anchor.get("rng_json") if in_epoch else None,
                "best": self.best,
                "world_size": self.world_size,
            },
            extra_tensors=self._anchor.get("rng_tensors", {}) if in_epoch else {},
        )
        protect = set()
        if self.best is not None:
            protect.add(self.checkpoint_dir / self.best["checkpoint"])
            if self.best["step"] == self.step:
                write_text_atomic(
                    json.dumps(self.best, indent=1), self.checkpoint_dir / "best.json"
                )
        prune_checkpoints(self.checkpoint_dir, self.config.keep_last, protect)
        logger.debug("saved %s", path)

    def _resume(self) -> Path | None:
        """Restore everything from `config.resume` and replay the data to the saved batch."""
        resume = self.config.resume
        if resume is None:
            return None
        path = latest_checkpoint(self.out_dir) if resume == "auto" else Path(resume)
        if path is None:
            logger.info("resume='auto': no checkpoint in %s, starting from scratch", self.out_dir)
            return None
        state = load_checkpoint(path, self.model, self.optimizer, self.scheduler, self.scaler)
        self.step, self.epoch = state.step, state.epoch
        self._last_saved_step = self._last_eval_step = state.step
        extra = state.extra
        self.best = extra.get("best")
        if self.metrics is not None:
            self.metrics.truncate_after(self.step)
        anchors = extra.get("anchor_sampler_states") or [None]
        in_epoch = bool(extra.get("in_epoch"))
        if in_epoch and len(anchors) != self.world_size:
            # Other shards: the saved position means nothing to them. The epoch starts again.
            logger.warning(
                "the checkpoint was saved by %d rank(s), this run has %d: epoch %d starts again "
                "from its first batch",
                len(anchors),
                self.world_size,
                self.epoch,
            )
            # The loop starts the epoch (on every rank) after the checkpoint's RNG is restored.
            self._data_iter, self.batches_in_epoch = None, 0
        elif in_epoch:
            # Rewind the data pipeline to the start of the epoch and replay the consumed batches.
            if self.sampler is not None:
                self.sampler.set_epoch(self.epoch)
                if anchors[self.rank] is not None:
                    self.sampler.load_state_dict(anchors[self.rank])
            set_rng_state(state.extra_tensors, extra["anchor_rng"])
            self._start_epoch_from_anchor(anchors)
            for _ in range(extra["batches_in_epoch"]):
                next(self._data_iter)  # type: ignore[arg-type]
            self.batches_in_epoch = extra["batches_in_epoch"]
        set_rng_state(state.rng_tensors, state.rng_json)
        logger.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)
        return path

    def _start_epoch_from_anchor(self, anchors: list[Any]) -> None:
        rng_tensors, rng_json = get_rng_state()
        self._anchor = {"sampler": anchors, "rng_json": rng_json, "rng_tensors": rng_tensors}
        self._data_iter = iter(self.train_data)

    # ------------------------------------------------------------------ signals
    def _install_signal_handlers(self) -> dict[int, Any]:
        """SIGTERM/SIGINT: finish the current step, save, exit (a second SIGINT aborts at once)."""

        def handler(signum: int, frame: Any) -> None:
            if self._stop_signal is None:
                logger.warning(
                    "received %s: finishing step %d, then saving a checkpoint",
                    signal.Signals(signum).name,
                    self.step + 1,
                )
            self._stop_signal = signum
            signal.signal(signal.SIGINT, signal.default_int_handler)

        previous: dict[int, Any] = {}
        with contextlib.suppress(ValueError):  # not in the main thread: leave signals alone
            for sig in (signal.SIGTERM, signal.SIGINT):
                previous[sig] = signal.signal(sig, handler)
        return previous

    def _restore_signal_handlers(self, previous: dict[int, Any]) -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
