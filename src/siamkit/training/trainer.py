"""The Trainer: epochs of optimizer steps on a Siamese model, validation, checkpoints, resume.

    history = sk.Trainer(model, loss, epochs=20, lr=1e-3, checkpoint_dir="run/ckpt").fit(train, val)

Each step embeds a batch with the model's one encoder, feeds the loss what its ``input_kind`` asks
for (:mod:`siamkit.training.steps`) and updates the weights. After each epoch: validation
(:mod:`siamkit.training.validation`), the best weights kept by the monitored metric, callbacks
(early stopping among them), the learning-rate schedule, and a checkpoint that a later
``fit(..., resume=True)`` continues from exactly (:mod:`siamkit.training.checkpoint`). Under
``torchrun`` the same code trains with DistributedDataParallel (:mod:`siamkit.training.distributed`).

Randomness: ``fit`` seeds every generator from ``seed``, and each epoch reseeds from
(seed, epoch, rank); the model's initial weights are the caller's (seed before building it).
A loss or gradient that is not finite stops training with a TrainingError before the update is
applied, so the model keeps the weights of the last good step and the last checkpoint stays as it was.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch
from torch import nn

from ..errors import ConfigError, SiamkitWarning, TrainingError
from . import distributed
from .callbacks import Callback, EarlyStopping, is_improvement, resolve_mode
from .checkpoint import BEST_DIR, CHECKPOINT_FILE, epoch_seed, seed_everything, set_rng_state
from .gradients import all_finite, total_norm
from .history import History
from .loaders import batch_kind_of, shard, sharded_world_size, start_epoch
from .optim import build_optimizer, build_scheduler, current_lr, step_scheduler
from .run_state import restore_run, save_run
from .runtime import (
    EpochStats,
    GracefulInterrupt,
    check_settings,
    resolve_amp,
    resolve_device,
)
from .steps import (
    DEFAULT_BATCH_KIND,
    TrainStep,
    batch_size,
    check_combination,
    input_kind_of,
    loss_counters,
    to_device,
)
from .validation import metric_names, validate

log = logging.getLogger("siamkit.training")


class Trainer:
    """Train ``model`` (a :class:`siamkit.SiameseNetwork`) with ``loss`` (a siamkit loss, or any
    ``nn.Module`` with an ``input_kind``). Arguments are stored as given; ``fit`` does the work.

    Args:
        optimizer: "adam", "adamw", "sgd", a torch optimizer, or a factory ``params -> optimizer``.
        lr, weight_decay: for a named optimizer.
        epochs: number of passes over the training data.
        scheduler: None, "cosine", "step", "plateau", or a factory ``optimizer -> scheduler`` (stepped
            once per epoch).
        grad_clip: clip the global gradient norm to this value (None: no clipping).
        device: "auto" (CUDA when available, else CPU), or a torch device.
        amp: mixed precision: "auto" (on CUDA only), True, False, "fp16", "bf16".
        early_stopping_metric: stop when this figure (e.g. "val_loss", "val_roc_auc",
            "val_accuracy", "val_recall_at_1", "train_loss") has not improved for ``patience`` epochs
            by more than ``min_delta``; None: no early stopping.
        mode: "min", "max" or "auto" (min for losses and error rates, max otherwise).
        keep_best: at the end, restore the weights of the best epoch by the monitored figure
            (``early_stopping_metric``, else ``val_loss`` when there is validation data), and keep
            them in ``checkpoint_dir/best`` as a model directory.
        checkpoint_dir: folder for ``last.pt`` (every ``checkpoint_every`` epochs, every
            ``checkpoint_every_steps`` optimizer steps if set, and on Ctrl-C), ``best/`` and
            ``history.json``. None: nothing written.
        callbacks: :class:`~siamkit.training.callbacks.Callback` objects.
        seed: seeds Python, numpy and torch for the run.
        progress: show a progress bar with the live loss (only on a terminal, only on rank 0).
        log_every: steps between updates of the live loss.
        batch_kind: batch kind of loaders that do not carry a ``batch_kind`` attribute (default:
            what the loss consumes).
        resume: a checkpoint file or folder to continue from (``fit(resume=...)`` overrides it).

    Learned: ``history_``, ``best_metric_``, ``best_epoch_`` (from 1), ``epoch_`` (epochs done),
    ``step_`` (optimizer steps), ``stop_reason_``, ``monitor_``, ``device_``, ``optimizer_``,
    ``scheduler_``, ``scaler_``, ``batch_kind_``.
    """

    def __init__(
        self,
        model: nn.Module,
        loss: nn.Module,
        *,
        optimizer: Any = "adam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        epochs: int = 10,
        scheduler: Any = None,
        grad_clip: float | None = None,
        device: str | torch.device = "auto",
        amp: Any = "auto",
        early_stopping_metric: str | None = None,
        patience: int = 5,
        mode: str = "auto",
        min_delta: float = 0.0,
        keep_best: bool = True,
        checkpoint_dir: str | os.PathLike | None = None,
        checkpoint_every: int = 1,
        checkpoint_every_steps: int | None = None,
        callbacks: Sequence[Callback] = (),
        seed: int = 0,
        progress: bool = True,
        log_every: int = 10,
        batch_kind: str | None = None,
        resume: bool | str | os.PathLike | None = None,
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.scheduler = scheduler
        self.grad_clip = grad_clip
        self.device = device
        self.amp = amp
        self.early_stopping_metric = early_stopping_metric
        self.patience = patience
        self.mode = mode
        self.min_delta = min_delta
        self.keep_best = keep_best
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.checkpoint_every_steps = checkpoint_every_steps
        self.callbacks = callbacks
        self.seed = seed
        self.progress = progress
        self.log_every = log_every
        self.batch_kind = batch_kind
        self.resume = resume
        self.stop_training = False

    # ---- the loop -----------------------------------------------------------------------------

    def fit(
        self,
        train_loader: Iterable,
        val_loader: Iterable | None = None,
        *,
        resume: bool | str | os.PathLike | None = None,
    ) -> History:
        """Train; return the :class:`History` (also ``self.history_``). ``resume``: True continues
        from ``checkpoint_dir/last.pt``; a path from that checkpoint file or folder."""
        created_group = distributed.setup()
        try:
            self._setup(train_loader, val_loader)
            start_epoch_, start = restore_run(
                self, self.resume if resume is None else resume, self._checkpoint_path()
            )
            self._wrap()
            with GracefulInterrupt() as self._interrupt:
                for epoch in range(start_epoch_, self.epochs):
                    if self.stop_reason_ is not None:  # a resumed run that had already stopped
                        break
                    logs = self._train_epoch(epoch, start if epoch == start_epoch_ else None)
                    if val_loader is not None:
                        logs.update(self._validate(val_loader))
                    self._end_epoch(epoch, logs)
                    if self.stop_training:
                        break
            return self._finish()
        finally:
            if created_group:
                # DistributedDataParallel's reducer holds gloo work objects; freed only at
                # interpreter exit, after the group is gone, they abort the process (exit -6).
                self._step = None
                gc.collect()
                distributed.cleanup()

    def _train_epoch(self, epoch: int, resumed: dict[str, Any] | None) -> dict[str, Any]:
        loader = self.train_loader_
        start_epoch(loader, epoch, self.seed)
        # Epoch e draws the same data order and dropout masks, resumed or not.
        seed_everything(epoch_seed(self.seed, epoch, self.rank_))
        stats = EpochStats(**resumed["stats"]) if resumed else EpochStats()
        self.model.train()
        self.loss.train()
        batches = iter(loader)
        for done in range(stats.batches):  # a mid-epoch resume: skip what was already trained on
            if next(batches, None) is None:
                raise TrainingError(
                    f"resume: train_loader has {done} batches in epoch {epoch + 1}, but the "
                    f"checkpoint had trained on {stats.batches}; was the data changed?"
                )
        if resumed and stats.batches:
            set_rng_state(resumed["rng"])
        counters_start, before = loss_counters(self.loss), dict(stats.counters)
        t0, prior = time.perf_counter(), stats.elapsed
        bar = self._progress_bar(loader, epoch, stats.batches)
        for batch in batches:
            value, n, interrupted = self._train_step(batch, epoch, stats.batches + 1)
            stats.add(value, n)
            self.step_ += 1
            stats.elapsed = prior + time.perf_counter() - t0
            stats.counters = _add_counters(before, counters_start, loss_counters(self.loss))
            if bar is not None:
                bar.update(1)
                if stats.batches % self.log_every == 0:
                    bar.set_postfix(loss=f"{stats.mean_loss:.4g}")
            if interrupted:
                self._interrupted(epoch, stats)
            if self.checkpoint_every_steps and self.step_ % self.checkpoint_every_steps == 0:
                self._save(epoch, stats)
        if bar is not None:
            bar.close()
        if stats.batches == 0:
            raise TrainingError(
                f"train_loader: yielded no batches in epoch {epoch + 1}; pass a re-iterable "
                "loader (a list, a DataLoader), not a generator that is used up after one pass"
            )
        return {
            "epoch": epoch + 1,
            "train_loss": stats.mean_loss,
            "lr": current_lr(self.optimizer_),
            "steps": stats.batches,
            "samples": stats.samples,
            "time_s": stats.elapsed,
            "samples_per_s": stats.samples / stats.elapsed if stats.elapsed > 0 else None,
            **stats.counters,
        }

    def _train_step(self, batch: Any, epoch: int, index: int) -> tuple[float, int, bool]:
        """One optimizer step. Returns (loss, samples, Ctrl-C pressed), all summed over ranks."""
        batch = to_device(batch, self.device_)
        self.optimizer_.zero_grad(set_to_none=True)
        loss = self._step(*batch)
        if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
            got = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
            raise ConfigError(
                f"loss: {type(self.loss).__name__} returned {got}, not a scalar tensor "
                "(use a mean or sum reduction)"
            )
        value, n, interrupted = self._step_figures(loss, batch_size(batch))
        if not math.isfinite(value):
            self._non_finite(epoch, index, f"the loss became {value}")
        self.scaler_.scale(loss).backward()
        if self.grad_clip is not None or not self.scaler_.is_enabled():
            self.scaler_.unscale_(self.optimizer_)
            params = [
                p for g in self.optimizer_.param_groups for p in g["params"] if p.grad is not None
            ]
            grads = [p.grad for p in params]
            # With float16 the scaler skips a non-finite step itself; otherwise refuse it here.
            if self.grad_clip is not None:
                norm = float(torch.nn.utils.clip_grad_norm_(params, self.grad_clip))
                finite = self.scaler_.is_enabled() or math.isfinite(norm)
            else:  # no clipping asked: one fused finiteness check instead of a norm per tensor
                finite = all_finite(grads)
            if not finite:
                self._non_finite(epoch, index, f"the gradient norm became {total_norm(grads)}")
        self.scaler_.step(self.optimizer_)
        self.scaler_.update()
        return value, n, interrupted

    def _step_figures(self, loss: torch.Tensor, n: int) -> tuple[float, int, bool]:
        """(loss, samples, Ctrl-C pressed) of this step, the loss averaged and the rest summed over
        ranks in one small all-reduce; one process needs no tensor for that."""
        if self.world_size_ == 1:
            return float(loss.detach()), n, self._interrupt.requested
        figures = self._all_sum([float(loss.detach()), n, float(self._interrupt.requested)])
        return float(figures[0]) / self.world_size_, int(figures[1]), bool(figures[2] > 0)

    def _validate(self, val_loader: Iterable) -> dict[str, Any]:
        """Validation on rank 0 (the whole validation set), its figures sent to every rank."""
        logs = None
        if self.rank_ == 0:
            t0 = time.perf_counter()
            logs = validate(
                self.model, self.loss, val_loader, self.val_batch_kind_, self.amp_dtype_
            )
            logs["val_time_s"] = time.perf_counter() - t0
        return distributed.broadcast_object(logs)

    def _end_epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        value = logs.get(self.monitor_) if self.monitor_ else None
        if self.monitor_ and is_improvement(value, self.best_metric_, self.mode_):
            self.best_metric_, self.best_epoch_ = value, epoch + 1
            if self.keep_best:
                self.best_state_ = {
                    k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()
                }
                if self.checkpoint_dir is not None and self.rank_ == 0:
                    # written before last.pt, so best/ is never older than the checkpoint naming it
                    self.model.save(Path(self.checkpoint_dir) / BEST_DIR)
        self.history_.meta.update(best_epoch=self.best_epoch_, best_metric=self.best_metric_)
        entry = self.history_.append(logs)
        for callback in self.callbacks_:
            callback.on_epoch_end(self, epoch + 1, entry)
        self._log_epoch(entry)
        step_scheduler(self.scheduler_, value if self.monitor_ else logs.get("train_loss"))
        self.epoch_ = epoch + 1
        interrupted = bool(self._all_sum([float(self._interrupt.requested)])[0] > 0)
        if (
            self.epoch_ % self.checkpoint_every == 0
            or self.epoch_ == self.epochs
            or self.stop_training
            or interrupted
        ):
            self._save(self.epoch_, None)
        if interrupted:
            self._interrupted(self.epoch_, None, saved=True)

    def _finish(self) -> History:
        if self.stop_reason_ is None:
            self.stop_reason_ = "completed"
        if self.keep_best and self.best_state_ is not None and self.best_epoch_ != self.epoch_:
            self.model.load_state_dict(self.best_state_)
            log.info(
                "restored the weights of epoch %s (%s = %s)",
                self.best_epoch_,
                self.monitor_,
                self.best_metric_,
            )
        self.history_.meta.update(stop_reason=self.stop_reason_)
        for callback in self.callbacks_:
            callback.on_train_end(self, self.history_)
        self._write_history()
        return self.history_

    def _all_sum(self, values: list[float]) -> torch.Tensor:
        """Sum over ranks, on the device the process group talks through (NCCL: the GPU)."""
        device = self.device_ if self.device_.type == "cuda" else torch.device("cpu")
        return distributed.all_reduce_sum(
            torch.tensor(values, dtype=torch.float64, device=device)
        ).cpu()

    # ---- stopping -----------------------------------------------------------------------------

    def _non_finite(self, epoch: int, index: int, what: str) -> None:
        self.stop_reason_ = "non_finite"
        self.history_.meta.update(stop_reason=self.stop_reason_)
        self._write_history()
        path = self._checkpoint_path()
        kept = (
            f"; {path} holds the checkpoint of epoch {self.epoch_}"
            if path and path.is_file()
            else ""
        )
        raise TrainingError(
            f"training stopped: {what} at epoch {epoch + 1}, batch {index} (step {self.step_ + 1}); "
            "the update was not applied, so the model keeps the weights of the last good step"
            f"{kept}. Try a lower lr (now {current_lr(self.optimizer_):.3g}), grad_clip, or look at "
            "that batch"
        )

    def _interrupted(self, epoch: int, stats: EpochStats | None, saved: bool = False) -> None:
        self.stop_reason_ = "interrupted"
        self.history_.meta.update(stop_reason=self.stop_reason_)
        if not saved:
            self._save(epoch, stats)
        path = self._checkpoint_path()
        where = (
            f"epoch {epoch + 1}, batch {stats.batches}" if stats else f"the end of epoch {epoch}"
        )
        saved_to = (
            f"checkpoint saved to {path}; continue with fit(..., resume=True)"
            if path
            else "no checkpoint_dir was set, so nothing was saved"
        )
        raise KeyboardInterrupt(f"training interrupted at {where}; {saved_to}")

    # ---- checkpoints --------------------------------------------------------------------------

    def _checkpoint_path(self) -> Path | None:
        return None if self.checkpoint_dir is None else Path(self.checkpoint_dir) / CHECKPOINT_FILE

    def _save(self, epoch: int, stats: EpochStats | None) -> None:
        path = self._checkpoint_path()
        if path is not None:
            save_run(self, path, epoch, stats)
            self._write_history()

    # ---- set-up -------------------------------------------------------------------------------

    def _setup(self, train_loader: Iterable, val_loader: Iterable | None) -> None:
        check_settings(self)
        self.rank_, self.world_size_ = distributed.rank(), distributed.world_size()
        self.device_ = resolve_device(self.device)
        self.amp_dtype_ = resolve_amp(self.amp, self.device_)
        default_kind = self.batch_kind or DEFAULT_BATCH_KIND[input_kind_of(self.loss)]
        self.batch_kind_ = batch_kind_of(train_loader) or default_kind
        check_combination(self.loss, self.batch_kind_, self.model, "train_loader")
        self.val_batch_kind_ = None
        if val_loader is not None:
            self.val_batch_kind_ = batch_kind_of(val_loader) or default_kind
            check_combination(self.loss, self.val_batch_kind_, self.model, "val_loader")
        self.monitor_ = self.early_stopping_metric or (
            "val_loss" if val_loader is not None else None
        )
        known = ("train_loss", *metric_names(self.val_batch_kind_))
        if self.monitor_ is not None and self.monitor_ not in known:
            raise ConfigError(
                f"early_stopping_metric: {self.monitor_!r} is not recorded by this run; "
                f"it records {', '.join(known)}"
            )
        self.mode_ = resolve_mode(self.monitor_, self.mode) if self.monitor_ else None
        seed_everything(self.seed)
        self.model.to(self.device_)
        self.loss.to(self.device_)
        params = [*self.model.parameters(), *self.loss.parameters()]
        self.optimizer_ = build_optimizer(self.optimizer, params, self.lr, self.weight_decay)
        self.scheduler_ = build_scheduler(
            self.scheduler, self.optimizer_, self.epochs, self.mode_ or "min"
        )
        self.scaler_ = torch.amp.GradScaler(
            self.device_.type, enabled=self.amp_dtype_ is torch.float16
        )
        self.train_loader_raw_ = train_loader
        self.train_loader_ = shard(train_loader, self.rank_, self.world_size_, self.seed)
        if val_loader is not None and (sharded_world_size(val_loader) or 1) > 1:
            warnings.warn(
                "val_loader is sharded over processes, but validation runs on rank 0 "
                "alone and would see only its share; build it with world_size=1",
                SiamkitWarning,
                stacklevel=3,
            )
        self.callbacks_ = list(self.callbacks)
        if self.early_stopping_metric:
            self.callbacks_.append(
                EarlyStopping(self.monitor_, self.patience, self.mode_, self.min_delta)
            )
        self.history_ = History(monitor=self.monitor_, mode=self.mode_)
        self.best_metric_, self.best_epoch_, self.best_state_ = None, None, None
        self.epoch_, self.step_, self.stop_reason_, self.stop_training = 0, 0, None, False
        for callback in self.callbacks_:
            callback.on_train_start(self)

    def _wrap(self) -> None:
        """The step module, in DistributedDataParallel when several processes train."""
        step = TrainStep(
            self.model, self.loss, self.batch_kind_, self.amp_dtype_, gather=self.world_size_ > 1
        )
        if self.world_size_ > 1:
            unused = (
                getattr(self.model, "head", None) is not None and step.input_kind != "pair_logits"
            )
            ids = [self.device_.index] if self.device_.type == "cuda" else None
            step = nn.parallel.DistributedDataParallel(
                step, device_ids=ids, find_unused_parameters=unused
            )
        self._step = step

    # ---- output -------------------------------------------------------------------------------

    def _progress_bar(self, loader: Iterable, epoch: int, done: int) -> Any:
        if not (self.progress and self.rank_ == 0 and sys.stderr.isatty()):
            return None
        from tqdm.auto import tqdm

        total = len(loader) if hasattr(loader, "__len__") else None  # type: ignore[arg-type]
        return tqdm(
            total=total,
            initial=done,
            desc=f"epoch {epoch + 1}/{self.epochs}",
            unit="batch",
            leave=False,
            dynamic_ncols=True,
        )

    def _log_epoch(self, entry: dict[str, Any]) -> None:
        if self.rank_ != 0:
            return
        figures = ", ".join(
            f"{k} {v:.4g}"
            for k, v in entry.items()
            if isinstance(v, float)
            and (k.endswith("loss") or k.startswith("val_"))
            and "time" not in k
        )
        log.info("epoch %d/%d: %s", entry["epoch"], self.epochs, figures)

    def _write_history(self) -> None:
        if self.checkpoint_dir is not None and self.rank_ == 0:
            self.history_.to_json(Path(self.checkpoint_dir) / "history.json")


def _add_counters(
    before: dict[str, int], start: dict[str, int], now: dict[str, int]
) -> dict[str, int]:
    """Counters of this epoch: what a resumed epoch had counted before, plus the growth since."""
    return {k: before.get(k, 0) + now[k] - start.get(k, 0) for k in now}
