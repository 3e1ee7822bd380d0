"""The Trainer: epochs of optimizer steps on a Siamese model, validation, checkpoints, resume.

    history = sk.Trainer(model, loss, epochs=20, lr=1e-3, checkpoint_dir="run/ckpt").fit(train, val)

Each step embeds a batch with the model's one encoder, feeds the loss what its ``input_kind`` asks
for (:mod:`siamkit.training.steps`) and updates the weights (after ``accumulate_steps``
micro-batches, their gradients averaged; a per-step learning-rate schedule,
:mod:`siamkit.training.schedule`; a pretrained backbone frozen for a while or with frozen
BatchNorm statistics, :mod:`siamkit.training.freeze`). After each epoch: validation
(:mod:`siamkit.training.validation`), the best epoch (:mod:`siamkit.training.best`), callbacks
(early stopping among them), the learning-rate schedule, and a checkpoint that a later
``fit(..., resume=True)`` continues from exactly. The checkpoint is :meth:`Trainer.state_dict`: the
position in the run plus the ``state_dict()`` of each object that owns state (model, loss,
optimizer, scheduler, GradScaler, loader, callbacks, history, best epoch, random generators); see
:mod:`siamkit.training.checkpoint`. Under ``torchrun`` the same code trains with
DistributedDataParallel (:mod:`siamkit.training.distributed`). The settings come in four groups
(:mod:`siamkit.training.settings`), each field also a keyword of its own.

Randomness: ``fit`` seeds every generator from ``seed``, and each epoch reseeds from
(seed, epoch, rank); the model's initial weights are the caller's (seed before building it).
A loss or gradient that is not finite stops training with a TrainingError before the update is
applied, so the model keeps the weights of the last good step and the last checkpoint stays as it
was; a finite loss that explodes by orders of magnitude is warned about and recorded in the
history (:mod:`siamkit.training.divergence`).
"""

from __future__ import annotations

import gc
import logging
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch

from ..errors import ConfigError, ModelFileError, TrainingError
from . import distributed
from .best import BestEpoch
from .divergence import DivergenceWatch
from .callbacks import Callback, CallbackList, EarlyStopping
from .checkpoint import (
    BEST_DIR,
    CHECKPOINT_FILE,
    epoch_seed,
    every_rank_rng_state,
    own_rng_state,
    save_checkpoint,
    seed_everything,
    set_rng_state,
)
from .gradients import clip_and_check
from .history import History
from .loaders import (
    checked_batch_kind,
    load_loader_state,
    loader_state,
    shard,
    skip_batches,
    start_epoch,
    warn_if_sharded,
)
from .freeze import BackboneFreeze, backbone_parameters, freeze_batchnorm
from .layer_decay import lr_multipliers
from .optim import current_lr, parameter_groups, step_scheduler
from .progress import ProgressBar, log_epoch
from .resume import resume_run
from .runtime import EpochStats, GracefulInterrupt, resolve_amp, resolve_device
from .settings import (
    Checkpointing,
    FineTuning,
    Monitoring,
    Optimization,
    Runtime,
    check_settings,
    flat_settings,
    settings_from,
)
from .steps import batch_size, owns_backward, to_device, training_step
from .validation import validate_on_rank_0

log = logging.getLogger("siamkit.training")


@flat_settings
class Trainer:
    """Train ``model`` (a :class:`siamkit.SiameseNetwork`) with ``loss`` (a siamkit loss, or any
    ``nn.Module`` with an ``input_kind``). Arguments are stored as given; ``fit`` does the work.

    Args:
        epochs: number of passes over the training data.
        batch_kind: batch kind of loaders that do not carry a ``batch_kind`` attribute (default:
            what the loss consumes).
        callbacks: :class:`~siamkit.training.callbacks.Callback` objects.
        optimization: :class:`~siamkit.training.settings.Optimization` (optimizer, lr,
            weight_decay, scheduler, grad_clip).
        monitoring: :class:`~siamkit.training.settings.Monitoring` (early_stopping_metric,
            patience, mode, min_delta, keep_best).
        checkpointing: :class:`~siamkit.training.settings.Checkpointing` (checkpoint_dir,
            checkpoint_every, checkpoint_every_steps, resume).
        runtime: :class:`~siamkit.training.settings.Runtime` (device, amp, seed, progress,
            log_every).
        fine_tuning: :class:`~siamkit.training.settings.FineTuning` (freeze_backbone_epochs,
            freeze_backbone_steps, backbone_lr, layer_lr_decay, freeze_batchnorm).
        **settings: any field of those groups by its name (``lr=1e-2``, ``checkpoint_dir=...``),
            applied on top of the group; also readable and settable as ``trainer.<name>``.

    Learned: ``history_``, ``best_metric_``, ``best_epoch_`` (from 1), ``epoch_`` (epochs done),
    ``step_`` (optimizer steps), ``stop_reason_``, ``monitor_``, ``device_``, ``optimizer_``,
    ``scheduler_``, ``scaler_``, ``batch_kind_``, ``divergence_``, ``freeze_`` (the backbone's freeze). The
    checkpoint is :meth:`state_dict`. With ``accumulate_steps`` > 1, ``step_`` and
    ``checkpoint_every_steps`` count optimizer steps, and checkpoints (Ctrl-C included) fall
    between them, so a resumed run never needs half-accumulated gradients.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        loss: torch.nn.Module,
        *,
        epochs: int = 10,
        batch_kind: str | None = None,
        callbacks: Sequence[Callback] = (),
        optimization: Optimization | None = None,
        monitoring: Monitoring | None = None,
        checkpointing: Checkpointing | None = None,
        runtime: Runtime | None = None,
        fine_tuning: FineTuning | None = None,
        **settings: Any,
    ) -> None:
        self.model, self.loss, self.epochs = model, loss, epochs
        self.batch_kind, self.callbacks = batch_kind, callbacks
        (self.optimization, self.monitoring, self.checkpointing, self.runtime,
         self.fine_tuning) = settings_from(
            settings, optimization, monitoring, checkpointing, runtime, fine_tuning
        )
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
            resume_run(self, self.checkpointing.resume if resume is None else resume)
            self._step_module = training_step(
                self.model, self.loss, self.batch_kind_, self.amp_dtype_, self.world_size_,
                self.device_,
            )
            with GracefulInterrupt() as self._interrupt:
                for epoch in range(self.epoch_, self.epochs):
                    if self.stop_reason_ is not None:  # a resumed run that had already stopped
                        break
                    logs = self._train_epoch(epoch)
                    if val_loader is not None:
                        logs.update(validate_on_rank_0(
                            self.model, self.loss, val_loader, self.val_batch_kind_,
                            self.amp_dtype_,
                        ))
                    self._end_epoch(epoch, logs)
                    if self.stop_training:
                        break
            return self._finish()
        finally:
            if getattr(self, "freeze_", None) is not None:
                self.freeze_.release()
            if created_group:
                # DistributedDataParallel's reducer holds gloo work objects; freed only at
                # interpreter exit, after the group is gone, they abort the process (exit -6).
                # So drop the wrapper and collect it while the group still exists.
                self._step_module = None
                gc.collect()
                distributed.cleanup()

    def _train_epoch(self, epoch: int) -> dict[str, Any]:
        """One pass over the training data (the rest of it, when resumed in mid-epoch)."""
        start_epoch(self.train_loader_, epoch, self.runtime.seed)
        # Epoch e draws the same data order and dropout masks, resumed or not.
        seed_everything(epoch_seed(self.runtime.seed, epoch, self.rank_))
        # A mid-epoch resume continues the figures of its checkpoint, skips the batches it had
        # trained on, then puts back the generators as they were after them.
        stats = self._stats = self._stats or EpochStats()
        batches = skip_batches(iter(self.train_loader_), stats.batches, epoch)
        if self._resumed_rng is not None:
            set_rng_state(self._resumed_rng)
            self._resumed_rng = None
        stats.begin(self.loss)
        self._train_mode()
        bar = ProgressBar(
            self.runtime.progress and self.rank_ == 0, self.train_loader_, epoch, self.epochs,
            stats.batches, self.runtime.log_every,
        )
        group = self.optimization.accumulate_steps
        interrupted = False
        for batch in batches:
            value, n, interrupted = self._train_step(batch, epoch, stats.batches + 1)
            stats.add(value, n, self.loss)
            bar.update(stats)
            if stats.batches % group == 0:  # the last micro-batch of an optimizer step
                self._update(epoch, stats, group, interrupted)
        if stats.batches % group:  # the epoch's last, shorter group
            self._update(epoch, stats, stats.batches % group, interrupted)
        bar.close()
        if stats.batches == 0:
            raise TrainingError(
                f"train_loader: yielded no batches in epoch {epoch + 1}; pass a re-iterable "
                "loader (a list, a DataLoader), not a generator that is used up after one pass"
            )
        self._stats = None  # the epoch is done: checkpoints from here on are between epochs
        return stats.logs(epoch, current_lr(self.optimizer_))

    def _train_mode(self) -> None:
        self.model.train()
        self.loss.train()
        if self.fine_tuning.freeze_batchnorm:
            freeze_batchnorm(self.model)

    def _train_step(self, batch: Any, epoch: int, index: int) -> tuple[float, int, bool]:
        """Forward and backward of one (micro-)batch, the ``index``-th of the epoch; gradients add
        up until :meth:`_update`. Returns (loss, samples, Ctrl-C pressed), over all ranks."""
        batch = to_device(batch, self.device_)
        if (index - 1) % self.optimization.accumulate_steps == 0:  # a new optimizer step
            self.optimizer_.zero_grad(set_to_none=True)
            self.freeze_.update(epoch, self.step_)
        loss = self._step_module(*batch)
        # The loss averaged over ranks, the samples and Ctrl-C summed, in one small all-reduce.
        total, n, stop = distributed.sum_over_ranks(
            [float(loss.detach()), batch_size(batch), float(self._interrupt.requested)],
            self.device_,
        )
        value, n, interrupted = total / self.world_size_, int(n), stop > 0
        # Checked before backward, on the value every rank shares, so that all ranks stop alike.
        if not math.isfinite(value):
            self._non_finite(epoch, index, f"the loss became {value}")
        if self.divergence_.update(value, epoch, index, self.step_ + 1) is not None:
            self.history_.meta.update(divergence=self.divergence_.found)
        # The scaler multiplies the loss against float16 underflow (it is off otherwise). A loss
        # that owns its backward (GradCache) has already left its gradients in the parameters;
        # nothing trains when the frozen backbone is the whole model.
        if loss.requires_grad and not (owns_backward(self.loss) and self.batch_kind_ == "duplicates"):
            self.scaler_.scale(loss).backward()
        return value, n, interrupted

    def _update(self, epoch: int, stats: EpochStats, size: int, interrupted: bool) -> None:
        """The optimizer step after ``size`` micro-batches, then what happens at a step boundary:
        the per-step schedule, step checkpoints, and Ctrl-C (saved here, between steps)."""
        if size > 1:  # the mean of the micro-batches' gradients, as one batch of them all
            for group in self.optimizer_.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.grad.div_(size)
        self.freeze_.drop_grads()
        bad_norm = clip_and_check(self.optimizer_, self.scaler_, self.optimization.grad_clip)
        if bad_norm is not None:
            self._non_finite(epoch, stats.batches, f"the gradient norm became {bad_norm}")
        # With float16, scaler.step skips the update when the gradients overflowed, and update()
        # lowers the scale for the next step; otherwise it is optimizer.step().
        self.scaler_.step(self.optimizer_)
        self.scaler_.update()
        self.step_ += 1
        if self.optimization.per_step:
            self.scheduler_.step()
        if self.callbacks_.on_step_end(self, self.step_):  # one may have evaluated the model
            self._train_mode()
        if interrupted:
            self._interrupted(epoch, stats)
        every = self.checkpointing.checkpoint_every_steps
        if every and self.step_ % every == 0:
            self._save()

    def _end_epoch(self, epoch: int, logs: dict[str, Any]) -> None:
        if self.divergence_.end_epoch():
            logs["diverging"] = True
        self.best_.update(epoch + 1, logs, self.model)  # writes best/ before last.pt below
        self.history_.meta.update(best_epoch=self.best_.epoch, best_metric=self.best_.metric)
        entry = self.history_.append(logs)
        self.callbacks_.on_epoch_end(self, epoch + 1, entry)
        if self.rank_ == 0:
            log_epoch(entry, self.epochs)
        value = logs.get(self.monitor_) if self.monitor_ else logs.get("train_loss")
        if not self.optimization.per_step:
            step_scheduler(self.scheduler_, value)
        self.epoch_ = epoch + 1
        # A Ctrl-C on any rank stops every rank here, or the others would wait in a collective.
        requested = [float(self._interrupt.requested)]
        interrupted = distributed.sum_over_ranks(requested, self.device_)[0] > 0
        last = self.epoch_ == self.epochs or self.stop_training or interrupted
        if last or self.epoch_ % self.checkpointing.checkpoint_every == 0:
            self._save()
        if interrupted:
            self._interrupted(self.epoch_, None, saved=True)

    def _finish(self) -> History:
        if self.stop_reason_ is None:
            self.stop_reason_ = "completed"
        if self.best_.restore(self.model, self.epoch_):
            log.info(
                "restored the weights of epoch %s (%s = %s)",
                self.best_.epoch, self.monitor_, self.best_.metric,
            )
        self.history_.meta.update(stop_reason=self.stop_reason_)
        self.callbacks_.on_train_end(self, self.history_)
        self._write_history()
        return self.history_

    # ---- stopping -----------------------------------------------------------------------------

    def _non_finite(self, epoch: int, index: int, what: str) -> None:
        self.stop_reason_ = "non_finite"
        self.history_.meta.update(stop_reason=self.stop_reason_)
        self._write_history()
        path = self.checkpoint_path()
        kept = ""
        if path and path.is_file():
            kept = f"; {path} holds the checkpoint of epoch {self.epoch_}"
        raise TrainingError(
            f"training stopped: {what} at epoch {epoch + 1}, batch {index} "
            f"(step {self.step_ + 1}); the update was not applied, so the model keeps the weights "
            f"of the last good step{kept}. Try a lower lr (now "
            f"{current_lr(self.optimizer_):.3g}), grad_clip, or look at that batch"
        )

    def _interrupted(self, epoch: int, stats: EpochStats | None, saved: bool = False) -> None:
        self.stop_reason_ = "interrupted"
        self.history_.meta.update(stop_reason=self.stop_reason_)
        if not saved:
            self._save()
        path = self.checkpoint_path()
        where = f"the end of epoch {epoch}"
        if stats is not None:
            where = f"epoch {epoch + 1}, batch {stats.batches}"
        saved_to = (
            f"checkpoint saved to {path}; continue with fit(..., resume=True)"
            if path
            else "no checkpoint_dir was set, so nothing was saved"
        )
        raise KeyboardInterrupt(f"training interrupted at {where}; {saved_to}")

    # ---- checkpoints --------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The checkpoint: where the run is (epochs done, batches done in the current epoch and its
        running figures, optimizer steps, how it stopped) and the state of each object that owns
        some; during or after ``fit``. Every rank must call it (the generator states are
        gathered)."""
        stats = self._stats  # None between epochs
        return {
            "epoch": self.epoch_,
            "batch": stats.batches if stats else 0,
            "step": self.step_,
            "epoch_stats": stats.state_dict() if stats else None,
            # an interrupted run is meant to go on; only early stopping is final
            "stop_reason": self.stop_reason_ if self.stop_reason_ != "interrupted" else None,
            "rng": every_rank_rng_state(),
            "model": self.model.state_dict(),
            "loss": self.loss.state_dict(),
            "optimizer": self.optimizer_.state_dict(),
            "scheduler": self.scheduler_.state_dict() if self.scheduler_ is not None else None,
            "scaler": self.scaler_.state_dict(),
            "loader": loader_state(self.train_loader_raw_),
            "callbacks": self.callbacks_.state_dict(),
            "history": self.history_.state_dict(),
            "best": self.best_.state_dict(),
            "divergence": self.divergence_.state_dict(),
            # what must match for a resumed run to repeat this one (see resume.py)
            "run": {
                "seed": self.runtime.seed,
                "world_size": self.world_size_,
                "batch_kind": self.batch_kind_,
                "loss": type(self.loss).__name__,
                "epochs": self.epochs,
            },
        }

    def load_state_dict(self, state: dict[str, Any], where: str = "checkpoint") -> None:
        """Put ``state`` (a :meth:`state_dict`) back into the objects ``fit`` has just set up, each
        loading its own part; ``fit(resume=...)`` calls it. ``where`` names ``state`` in errors."""
        try:
            self.model.load_state_dict(state["model"])
            self.loss.load_state_dict(state["loss"])
            self.optimizer_.load_state_dict(state["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise ModelFileError(
                f"{where}: does not fit this model, loss or optimizer "
                f"({str(exc).splitlines()[0][:300]})"
            ) from None
        if self.scheduler_ is not None and state["scheduler"] is not None:
            self.scheduler_.load_state_dict(state["scheduler"])
        if state["scaler"]:  # empty when saved by a disabled scaler
            self.scaler_.load_state_dict(state["scaler"])
        self.callbacks_.load_state_dict(state["callbacks"])
        load_loader_state(self.train_loader_raw_, state["loader"])
        self.history_.load_state_dict(state["history"], where=where)
        self.best_.load_state_dict(state["best"])
        self.divergence_.load_state_dict(state.get("divergence"))
        self.epoch_, self.step_ = state["epoch"], state["step"]
        self.stop_reason_ = state["stop_reason"]
        if state["batch"]:  # mid-epoch: _train_epoch continues there
            self._stats = EpochStats(**state["epoch_stats"])
            self._resumed_rng = own_rng_state(state["rng"], self.rank_)

    def checkpoint_path(self) -> Path | None:
        """``checkpoint_dir/last.pt``, or None without a ``checkpoint_dir``."""
        folder = self.checkpointing.checkpoint_dir
        return None if folder is None else Path(folder) / CHECKPOINT_FILE

    def _save(self) -> None:
        path = self.checkpoint_path()
        if path is not None:
            state = self.state_dict()
            if self.rank_ == 0:
                save_checkpoint(path, state)
            self._write_history()

    def _write_history(self) -> None:
        if self.checkpointing.checkpoint_dir is not None and self.rank_ == 0:
            self.history_.to_json(Path(self.checkpointing.checkpoint_dir) / "history.json")

    # ---- set-up -------------------------------------------------------------------------------

    def _setup(self, train_loader: Iterable, val_loader: Iterable | None) -> None:
        """Everything ``fit`` builds before the first step, fresh for each call."""
        opt, mon, ckpt, rt = self.optimization, self.monitoring, self.checkpointing, self.runtime
        tune = self.fine_tuning
        check_settings(self.model, self.loss, self.epochs, (opt, ckpt, rt, tune))
        self.rank_, self.world_size_ = distributed.rank(), distributed.world_size()
        self.device_ = resolve_device(rt.device)
        self.amp_dtype_ = resolve_amp(rt.amp, self.device_)
        kind, loss, model = self.batch_kind, self.loss, self.model
        self.batch_kind_ = checked_batch_kind(train_loader, kind, loss, model, "train_loader")
        self.val_batch_kind_ = None
        if val_loader is not None:
            self.val_batch_kind_ = checked_batch_kind(val_loader, kind, loss, model, "val_loader")
        self.monitor_, self.mode_ = mon.resolve(self.val_batch_kind_)
        seed_everything(rt.seed)
        self.model.to(self.device_)
        self.loss.to(self.device_)
        # a loss with parameters (class weights, proxies) trains along with the model, at its
        # own rate when it has an lr_multiplier
        # (and a pretrained backbone at its own rate, when backbone_lr is set)
        # (and each layer of a tower slower than the one above it, under layer_lr_decay)
        backbone = backbone_parameters(self.model)
        multiplier = 1.0 if tune.backbone_lr is None else float(tune.backbone_lr) / float(opt.lr)
        decay = float(tune.layer_lr_decay)
        for key, own in (("backbone_lr", multiplier != 1.0), ("layer_lr_decay", decay != 1.0)):
            if own and isinstance(opt.optimizer, torch.optim.Optimizer):
                raise ConfigError(f"{key}: needs an optimizer by name or a factory params -> "
                                  "optimizer, not an optimizer already built on its parameters")
        rates = lr_multipliers(self.model, backbone, multiplier, decay)
        params = parameter_groups(self.model, self.loss, rates)
        self.train_loader_ = shard(train_loader, self.rank_, self.world_size_, rt.seed)
        self.optimizer_, self.scheduler_ = opt.build(
            params, self.epochs, self.mode_ or "min", steps_per_epoch(self.train_loader_, opt)
        )
        self.freeze_ = BackboneFreeze(
            self.model, tune.freeze_backbone_epochs, tune.freeze_backbone_steps, self.world_size_
        )
        # float16 needs the scaler against gradient underflow; bfloat16 and float32 do not
        self.scaler_ = torch.amp.GradScaler(
            self.device_.type, enabled=self.amp_dtype_ is torch.float16
        )
        self.train_loader_raw_ = train_loader
        warn_if_sharded(val_loader)
        early = (
            [EarlyStopping(self.monitor_, mon.patience, self.mode_, mon.min_delta)]
            if mon.early_stopping_metric
            else []
        )
        self.callbacks_ = CallbackList([*self.callbacks, *early])
        self.history_ = History(monitor=self.monitor_, mode=self.mode_)
        writes = ckpt.checkpoint_dir is not None and self.rank_ == 0
        best_dir = Path(ckpt.checkpoint_dir) / BEST_DIR if writes else None
        self.best_ = BestEpoch(self.monitor_, self.mode_, mon.keep_best, best_dir)
        self.divergence_ = DivergenceWatch()
        self.epoch_, self.step_, self.stop_reason_, self.stop_training = 0, 0, None, False
        self._stats: EpochStats | None = None  # the running figures, during an epoch
        self._resumed_rng: dict[str, Any] | None = None
        self.callbacks_.on_train_start(self)

    @property
    def best_metric_(self) -> float | None:
        return self.best_.metric

    @property
    def best_epoch_(self) -> int | None:
        return self.best_.epoch


def steps_per_epoch(loader: Iterable, opt: Optimization) -> int | None:
    """Optimizer steps in one epoch of ``loader`` (None when it has no length)."""
    try:
        batches = len(loader)  # type: ignore[arg-type]
    except TypeError:
        return None
    return -(-batches // opt.accumulate_steps)
