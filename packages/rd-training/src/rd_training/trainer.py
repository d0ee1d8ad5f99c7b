"""The training loop. Read it top to bottom: `fit` -> `_train_step` -> evaluate -> checkpoint.

Design choices (each fixes a bug seen in the wild):
- Gradient accumulation normalises by the target tokens of *all* micro-batches of an optimizer step
  (summed over ranks): `loss_fn` returns a summed loss, gradients are accumulated as sums and
  divided once by the global token count before clipping (accelerate #963, transformers #46731).
- The LR scheduler steps once per optimizer step; under DDP gradients are all-reduced only on the
  last micro-batch (`no_sync`).
- Checkpoints hold everything needed to continue *exactly* (`LoopState`): weights, optimizer,
  scheduler, grad scaler, RNG states, the sampler state at the start of the epoch and how many
  batches of the epoch were consumed. Resuming replays the data iterator to that position (no
  compute), so prefetching DataLoader workers cannot shift it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import logging
import math
import signal
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.distributed as dist
from torch import nn

from rd_training.atomic_files import write_text_atomic
from rd_training.callbacks import EMA, Callback, EarlyStopping
from rd_training.checkpoint import (
    checkpoint_dir_name,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from rd_training.device import autocast, prepare_precision, select_device
from rd_training.distributed import (
    all_reduce_sum,
    broadcast_object,
    destroy_distributed,
    get_rank,
    get_world_size,
    init_distributed_from_env as _init_distributed,
)
from rd_training.logging_utils import MetricsLogger, ProgressReporter, setup_logger
from rd_training.loop_state import EpochStart, LoopState
from rd_training.manifest import update_manifest, write_manifest
from rd_training.protocols import EvalFn, LossFn, StatefulSampler
from rd_training.seeding import get_rng_state, seed_everything, set_rng_state
from rd_training.trainer_config import TrainerConfig

logger = logging.getLogger(__name__)

CALLBACK_TENSORS = "callback."
"""Prefix of the callbacks' tensors among a checkpoint's extra tensors."""


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite; raised before the bad update is applied."""


class StepResult(NamedTuple):
    """What one optimizer step reports (summed over micro-batches and ranks)."""

    loss: float
    """Mean loss per target token."""
    tokens: float
    """Target tokens of the step."""
    grad_norm: float | None
    """Global gradient norm before clipping (None without clipping)."""
    lr: float
    """Learning rate the step used."""
    seconds: float
    """Wall time of the step's compute (data loading excluded)."""


def move_to_device(batch: Any, device: torch.device) -> Any:
    """Move every tensor in a (nested) dict/list/tuple batch to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: move_to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return type(batch)(move_to_device(v, device) for v in batch)
    return batch


def _check_arguments(
    config: TrainerConfig,
    train_data: Iterable[Any],
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    eval_fn: EvalFn | None,
    sampler: StatefulSampler | None,
) -> StatefulSampler | None:
    """Refuse inconsistent Trainer arguments; return the sampler to checkpoint (if any)."""
    if not isinstance(config, TrainerConfig):
        raise ValueError(f"config must be a TrainerConfig, got {type(config).__name__}")
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable: loss_fn(model, batch) -> (loss_sum, tokens)")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer, got {optimizer!r}")
    if not isinstance(train_data, Iterable):
        raise ValueError("train_data must be an iterable of batches")
    if config.best_metric is not None and eval_fn is None:
        raise ValueError("TrainerConfig.best_metric is set but no eval_fn was given")
    if sampler is None and isinstance(getattr(train_data, "batch_sampler", None), StatefulSampler):
        sampler = train_data.batch_sampler  # type: ignore[attr-defined]
    if sampler is not None and not isinstance(sampler, StatefulSampler):
        raise ValueError("sampler must implement state_dict(), load_state_dict() and set_epoch()")
    if config.resume not in (None, "auto") and not Path(config.resume).exists():
        raise FileNotFoundError(f"TrainerConfig.resume: checkpoint {config.resume} does not exist")
    return sampler


def _with_builtin_callbacks(config: TrainerConfig, callbacks: Sequence[Callback]) -> list[Callback]:
    """`callbacks`, then the built-ins `config` asks for; refuses two with one checkpoint name."""
    result = list(callbacks)
    if any(not isinstance(c, Callback) for c in result):
        raise ValueError("callbacks must be rd_training.Callback instances")
    if config.ema_decay is not None:
        result.append(EMA(config.ema_decay))
    if config.patience is not None:
        assert config.best_metric is not None  # TrainerConfig checks it
        result.append(EarlyStopping(config.best_metric, config.best_mode, config.patience))
    if sum(isinstance(c, EMA) for c in result) > 1:
        raise ValueError("at most one EMA callback (TrainerConfig.ema_decay adds one)")
    names = [c.name for c in result]
    if len(set(names)) < len(names):
        raise ValueError(f"callbacks need distinct names (their checkpoint keys), got {names}")
    return result


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
        callbacks: hooks into the loop (see `Callback`); `config.patience` and
            `config.ema_decay` add the built-in `EarlyStopping` and `EMA`.

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
        callbacks: Sequence[Callback] = (),
    ) -> None:
        sampler = _check_arguments(config, train_data, loss_fn, optimizer, eval_fn, sampler)
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
        prepare_precision(self.device, config.precision)
        self.scaler = torch.amp.GradScaler(self.device.type) if config.precision == "fp16" else None

        self.callbacks = _with_builtin_callbacks(config, callbacks)
        self.ema = next((c for c in self.callbacks if isinstance(c, EMA)), None)
        if self.ema is not None:
            self.ema.attach(self.model)

        self.loop = LoopState()
        self._data_iter: Iterator[Any] | None = None
        self._stop_signal: int | None = None
        self._stop_reason: str | None = None  # a callback's request_stop()
        self._last_saved_step = -1
        self._last_eval_step = -1
        self._deadline: float | None = None  # time.perf_counter() at which max_seconds ends
        self.metrics = MetricsLogger(self.out_dir / "metrics.jsonl") if self.is_main else None

    @property
    def step(self) -> int:
        """Optimizer steps completed."""
        return self.loop.step

    @property
    def epoch(self) -> int:
        """Passes over the training data completed."""
        return self.loop.epoch

    @property
    def eval_model(self) -> nn.Module:
        """The weights evaluation uses: the EMA's average with one, else `model` (plain module)."""
        return self.ema.module if self.ema is not None else self.model

    @property
    def best(self) -> dict[str, Any] | None:
        """The best validation result so far (None without `best_metric`)."""
        return self.loop.best

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
        started, last_loss = time.time(), math.nan
        with self._session() as progress:
            if cfg.max_seconds is not None:
                self._deadline = time.perf_counter() + cfg.max_seconds
            self._stop_reason = None
            self._call("on_fit_start")
            while not self._finished() and not self._stop_signal:
                batches = self._next_micro_batches()
                if not batches:
                    continue  # an epoch ended exactly at a step boundary
                result = self._train_step(batches)
                self.loop.step += 1
                last_loss = result.loss
                self._log_step(result, progress)
                self._call("on_step_end", result)
                new_best = self._due(cfg.eval_every) and self._evaluate(progress)
                if new_best or self._stop_signal or self._due(cfg.save_every):
                    self._save()
            self._finish(progress)
        last = self.checkpoint_dir / checkpoint_dir_name(self._last_saved_step)
        if self._stop_signal:
            name = signal.Signals(self._stop_signal).name
            logger.warning(
                "Interrupted by %s after step %d; checkpoint saved to %s. %s",
                name,
                self.step,
                last,
                cfg.resume_hint,
            )
            raise SystemExit(128 + self._stop_signal)
        summary = {
            "status": "completed",
            "step": self.step,
            "epoch": self.epoch,
            "train_loss": last_loss,
            "best": self.best,
            "stopped_early": self._stop_reason,
            "last_checkpoint": str(last),
            "out_dir": str(self.out_dir),
            "elapsed_s": time.time() - started,
        }
        self._call("on_fit_end", summary)
        return summary

    def request_stop(self, reason: str) -> None:
        """End `fit()` after the current step, as at `max_steps` (a callback's early stop).

        Call it on every rank (callbacks run on all of them) with the same decision.
        """
        if self._stop_reason is None:
            logger.info("stopping after step %d: %s", self.step, reason)
            self._stop_reason = reason

    def _call(self, event: str, *args: Any) -> None:
        """Run `event` (e.g. "on_step_end") of every callback, in order."""
        for callback in self.callbacks:
            getattr(callback, event)(self, *args)

    def _due(self, every: int | None) -> bool:
        return every is not None and self.step % every == 0

    def _finished(self) -> bool:
        cfg = self.config
        if self._stop_reason is not None:
            return True
        if cfg.max_steps is not None and self.step >= cfg.max_steps:
            return True
        if self._deadline is not None and time.perf_counter() >= self._deadline:
            return True
        return cfg.max_epochs is not None and self.epoch >= cfg.max_epochs

    def _finish(self, progress: ProgressReporter) -> None:
        """After the loop: a final evaluation (unless interrupted) and a checkpoint of the step."""
        new_best = False
        if not self._stop_signal and self.eval_fn is not None and self._last_eval_step != self.step:
            new_best = self._evaluate(progress)
        if new_best or self._last_saved_step != self.step:
            self._save()

    def _log_step(self, result: StepResult, progress: ProgressReporter) -> None:
        """Every step goes to metrics.jsonl; the console and TensorBoard every log_every."""
        record: dict[str, Any] = {
            "loss": result.loss,
            "lr": result.lr,
            "tokens": int(result.tokens),
            "epoch": self.epoch,
            "tokens_per_s": result.tokens / max(result.seconds, 1e-9),
        }
        if result.grad_norm is not None:
            record["grad_norm"] = result.grad_norm
        if self.metrics is not None:
            self.metrics.log(self.step, "train", **record)
        progress.update(self.step, record)

    # ------------------------------------------------------------------ set-up and tear-down
    @contextlib.contextmanager
    def _session(self) -> Iterator[ProgressReporter]:
        """Everything around the loop of one `fit()`: run files, signals, DDP, resume, progress.

        However the loop ends, the manifest gets its status, signal handlers are restored and
        the DDP wrapper (and a process group the Trainer created) is freed.
        """
        self._open_run_files()
        previous_handlers = self._install_signal_handlers()
        if self.world_size > 1 and self.ddp_model is None:  # a second fit(): DDP again
            self._wrap_model()
        progress: ProgressReporter | None = None
        status = "failed"
        try:
            self._resume()
            progress = ProgressReporter(
                self.config.max_steps,
                self.step,
                logger,
                log_every=self.config.log_every,
                enabled=self.is_main and self.config.progress_bar,
                unit=self.config.count_unit,
                tensorboard_dir=self.out_dir / "tensorboard"
                if self.config.tensorboard and self.is_main
                else None,
            )
            self.train_model.train()
            self.optimizer.zero_grad(set_to_none=True)
            yield progress
            status = "interrupted" if self._stop_signal else "completed"
        except KeyboardInterrupt:
            status = "interrupted"
            raise
        finally:
            self._restore_signal_handlers(previous_handlers)
            if progress is not None:
                progress.close()
            self._close_run_files(status)
            if self.ddp_model is not None:  # also when the caller owns the process group
                self._release_ddp()
            if self._owns_process_group:
                destroy_distributed(wait_for_others=status == "completed")

    def _open_run_files(self) -> None:
        """Rank 0: the run directory and its manifest; a train.log if nothing logs yet."""
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
                seed=self.config.seed,
                world_size=self.world_size,
                device=str(self.device),
                trainer_config=dataclasses.asdict(self.config),
            )

    def _close_run_files(self, status: str) -> None:
        if self.metrics is not None:
            self.metrics.close()
            update_manifest(
                self.out_dir,
                status=status,
                end_time=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                final_step=self.step,
            )

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
        3.13.0). The plain model stays usable.
        """
        self.ddp_model = None
        self.train_model = self.model
        gc.collect()

    # ------------------------------------------------------------------ data
    def _start_epoch(self) -> None:
        """Begin an epoch, remembering how it started (sampler states + RNG) for exact resume."""
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
        state = self.sampler.state_dict() if self.sampler is not None else None
        states: list[Any] = [state]
        if self.world_size > 1:  # each rank samples its own shard: rank 0 saves all of them
            states = [None] * self.world_size
            dist.all_gather_object(states, state)
        self._enter_epoch(EpochStart(states, *get_rng_state()))

    def _enter_epoch(self, start: EpochStart) -> None:
        self.loop.epoch_start = start
        self.loop.batches_in_epoch = 0
        self._data_iter = iter(self.train_data)

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
                self.loop.batches_in_epoch += 1
            except StopIteration:
                if self.loop.batches_in_epoch == 0:
                    raise ValueError(
                        f"train_data yielded no batches in epoch {self.epoch}"
                    ) from None
                self._data_iter, self.loop.epoch_start = None, None
                self.loop.epoch += 1
                if batches:
                    break
        return batches

    # ------------------------------------------------------------------ one optimizer step
    def _train_step(self, batches: list[Any]) -> StepResult:
        """Forward/backward every micro-batch, then one normalised, clipped optimizer step."""
        started = time.perf_counter()
        loss_sum, tokens = self._forward_backward(batches)
        total_loss, total_tokens = self._sum_over_ranks(loss_sum, tokens)
        step = self.step + 1
        if total_tokens <= 0:
            raise ValueError(f"step {step}: loss_fn reported no target tokens")
        mean_loss = total_loss / total_tokens
        if not math.isfinite(mean_loss):
            raise NonFiniteLossError(
                f"non-finite training loss ({mean_loss}) at step {step}; stopped before updating. "
                f"The last good checkpoint is the newest one in {self.checkpoint_dir}"
            )
        grad_norm = self._normalise_and_clip(total_tokens, step)
        lr = float(self.optimizer.param_groups[0]["lr"])
        self._optimizer_step()
        return StepResult(mean_loss, total_tokens, grad_norm, lr, time.perf_counter() - started)

    def _forward_backward(self, batches: list[Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """Backward of each micro-batch's summed loss; returns (loss sum, target tokens)."""
        acc_dtype = torch.float32 if self.device.type == "mps" else torch.float64
        loss_sum = torch.zeros((), dtype=acc_dtype, device=self.device)
        tokens = torch.zeros((), dtype=acc_dtype, device=self.device)
        for i, batch in enumerate(batches):
            batch = move_to_device(batch, self.device)
            # Under DDP, all-reduce gradients only once, after the last micro-batch.
            sync = (
                self.ddp_model.no_sync()
                if self.ddp_model is not None and i < len(batches) - 1
                else contextlib.nullcontext()
            )
            with sync:
                with autocast(self.device, self.config.precision):
                    loss, num_tokens = self.loss_fn(self.train_model, batch)
                if not isinstance(loss, torch.Tensor) or loss.ndim != 0:
                    raise ValueError("loss_fn must return (loss_sum: scalar tensor, num_tokens)")
                (self.scaler.scale(loss) if self.scaler else loss).backward()
            loss_sum += loss.detach()
            tokens += num_tokens  # int or tensor; accumulated in acc_dtype
        return loss_sum, tokens

    def _sum_over_ranks(self, loss_sum: torch.Tensor, tokens: torch.Tensor) -> tuple[float, float]:
        """The global loss and token count; one all-reduce also shares a stop signal."""
        if self.world_size == 1:
            total_loss, total_tokens = torch.stack([loss_sum, tokens]).tolist()
            return total_loss, total_tokens
        stop = torch.tensor(float(self._stop_signal is not None), dtype=loss_sum.dtype)
        totals = all_reduce_sum(torch.stack([loss_sum, tokens, stop.to(self.device)]))
        total_loss, total_tokens, any_stop = totals.tolist()
        if any_stop and self._stop_signal is None:
            self._stop_signal = signal.SIGTERM
        return total_loss, total_tokens

    def _normalise_and_clip(self, total_tokens: float, step: int) -> float | None:
        """Gradients hold sums over tokens (DDP averaged them over ranks): turn them into means,
        then clip; returns the norm before clipping (None without clipping)."""
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        grads = [p.grad for p in self.params if p.grad is not None]
        if grads:
            torch._foreach_mul_(grads, self.world_size / total_tokens)
        if self.config.clip_grad_norm is None:
            return None
        grad_norm = float(nn.utils.clip_grad_norm_(self.params, self.config.clip_grad_norm))
        if self.scaler is None and not math.isfinite(grad_norm):
            raise NonFiniteLossError(f"non-finite gradient norm at step {step}")
        return grad_norm

    def _optimizer_step(self) -> None:
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.scheduler is not None:
            with warnings.catch_warnings():
                # fp16 may skip an update on overflow; the schedule still follows the step count.
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
                self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, progress: ProgressReporter) -> bool:
        """Run eval_fn; log its metrics; return True if this is a new best checkpoint."""
        if self.eval_fn is None:
            return False
        self._last_eval_step = self.step
        model = self.eval_model
        model.eval()
        with torch.no_grad():
            metrics = {k: float(v) for k, v in self.eval_fn(model, self.step).items()}
        self.train_model.train()
        if self.world_size > 1:  # rank 0's metrics everywhere: every rank decides alike
            metrics = broadcast_object(metrics)
        if self.metrics is not None:
            self.metrics.log(self.step, "valid", **metrics)
            progress.log_eval(self.step, metrics)
        new_best = self._update_best(metrics)
        self._call("on_eval_end", metrics)
        return new_best

    def _update_best(self, metrics: dict[str, float]) -> bool:
        name, mode = self.config.best_metric, self.config.best_mode
        if name is None:
            return False
        if name not in metrics:
            raise ValueError(
                f"TrainerConfig.best_metric {name!r} is not among eval_fn's metrics {sorted(metrics)}"
            )
        value, best = metrics[name], self.best
        if not math.isfinite(value):  # never call NaN weights "best"
            return False
        if best is not None and not (
            value < best["value"] if mode == "min" else value > best["value"]
        ):
            return False
        self.loop.best = {
            "metric": name,
            "mode": mode,
            "value": value,
            "step": self.step,
            "checkpoint": checkpoint_dir_name(self.step),
        }
        return True

    # ------------------------------------------------------------------ checkpoints
    def _save(self) -> None:
        """Checkpoint the current step on rank 0, then prune old ones (keeping the best)."""
        self._last_saved_step = self.step
        if not self.is_main:
            return
        extra, extra_tensors = self.loop.checkpoint_payload()
        extra["callbacks"] = {c.name: c.state_dict() for c in self.callbacks}
        for c in self.callbacks:
            extra_tensors.update(
                {f"{CALLBACK_TENSORS}{c.name}.{k}": v for k, v in c.state_tensors().items()}
            )
        path = save_checkpoint(
            self.checkpoint_dir / checkpoint_dir_name(self.step),
            self.model,
            self.optimizer,
            self.scheduler,
            self.scaler,
            step=self.step,
            epoch=self.epoch,
            extra=extra,
            extra_tensors=extra_tensors,
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
        self._call("on_save", path)

    def _resume(self) -> None:
        """Restore everything from `config.resume` and replay the data to the saved batch."""
        resume = self.config.resume
        if resume is None:
            return
        path = latest_checkpoint(self.out_dir) if resume == "auto" else Path(resume)
        if path is None:
            logger.info("resume='auto': no checkpoint in %s, starting from scratch", self.out_dir)
            return
        state = load_checkpoint(path, self.model, self.optimizer, self.scheduler, self.scaler)
        callback_tensors = {
            k: state.extra_tensors.pop(k)
            for k in list(state.extra_tensors)
            if k.startswith(CALLBACK_TENSORS)
        }
        self.loop = LoopState.from_checkpoint(state)
        self._load_callbacks(state.extra.get("callbacks", {}), callback_tensors)
        self._last_saved_step = self._last_eval_step = self.step
        if self.metrics is not None:
            self.metrics.truncate_after(self.step)
        self._rewind_epoch()
        set_rng_state(state.rng_tensors, state.rng_json)
        logger.info("resumed from %s at step %d (epoch %d)", path, self.step, self.epoch)
        if self.is_main:
            update_manifest(self.out_dir, resumed_from=str(path), resumed_step=self.step)

    def _load_callbacks(self, saved: dict[str, Any], tensors: dict[str, torch.Tensor]) -> None:
        """Give each callback the state its checkpoint holds (none: it starts afresh, warned)."""
        for callback in self.callbacks:
            if callback.name not in saved:
                logger.warning("the checkpoint holds no state of callback %s", callback.name)
                continue
            prefix = f"{CALLBACK_TENSORS}{callback.name}."
            own = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            callback.load_state(saved[callback.name], own)

    def _rewind_epoch(self) -> None:
        """Start the checkpoint's epoch as it started, then skip the batches it had consumed."""
        start, consumed = self.loop.epoch_start, self.loop.batches_in_epoch
        if start is None:  # saved between epochs: the loop starts the next one
            return
        if len(start.sampler_states) != self.world_size:
            # Other shards: the saved position means nothing to them. The epoch starts again,
            # (on every rank) after the checkpoint's RNG is restored.
            logger.warning(
                "the checkpoint was saved by %d rank(s), this run has %d: epoch %d starts again "
                "from its first batch",
                len(start.sampler_states),
                self.world_size,
                self.epoch,
            )
            self.loop.epoch_start, self.loop.batches_in_epoch = None, 0
            return
        sampler_state = start.sampler_states[self.rank]
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
            if sampler_state is not None:
                self.sampler.load_state_dict(sampler_state)
        set_rng_state(start.rng_tensors, start.rng_json)
        self._enter_epoch(start)
        for _ in range(consumed):
            next(self._data_iter)  # type: ignore[arg-type]
        self.loop.batches_in_epoch = consumed

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
