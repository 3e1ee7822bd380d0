"""Run a whole experiment from a config: data, model, loss, loaders, training, calibration on
validation pairs, evaluation on test data, and a run folder with everything written down.

    result = siamkit.experiment.run_experiment(siamkit.config.load_config("exp.toml"), "runs/exp")

The run folder::

    config.toml, config.json   the resolved config (every default filled in)
    model/                     the trained model, calibrated (config.json + model.safetensors)
    checkpoints/               last.pt (for resume), best/ and the trainer's history.json
    history.json               per-epoch figures
    metrics.json               threshold, validation and test figures, one-shot, retrieval, summaries
    plots/*.png                loss, ROC, score histograms, FAR/FRR sweep, 2-D embeddings
    report.html                all of it on one self-contained page
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import ExperimentConfig, config_from_json, config_to_dict, save_config
from ..errors import ConfigError, SiamkitWarning
from ..evaluation import evaluate_model, write_metrics_json
from ..evaluation.plots import plot_loss_curves
from ..report import write_report
from .build import batch_kind, build_loaders, build_loss, build_model, loss_facts
from .data import Splits, load_splits

log = logging.getLogger("siamkit.experiment")
MODEL_DIR, CHECKPOINT_DIR, PLOTS_DIR = "model", "checkpoints", "plots"


@dataclass
class RunResult:
    """What :func:`run_experiment` made: paths, figures, and the trained, calibrated model."""

    out_dir: Path
    model_dir: Path
    report: Path
    metrics: dict[str, Any]
    history: Any
    model: Any
    config: ExperimentConfig
    seconds: float


def _check_out_dir(out: Path, resume: bool, overwrite: bool) -> None:
    last = out / CHECKPOINT_DIR / "last.pt"
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    if last.is_file() and not (resume or overwrite):
        raise ConfigError(f"--out {out}: already holds a run ({last}); continue it with --resume, "
                          f"or choose another --out")


def _warn_if_changed(cfg: ExperimentConfig, out: Path) -> None:
    """Resuming with a config other than the interrupted run's does not repeat that run."""
    saved = out / "config.json"
    if not saved.is_file():
        return
    # Both sides resolved the same way, so that a run folder written by an older siamkit (which
    # kept keys of other sources) compares equal to the same config today.
    text = saved.read_text(encoding="utf-8")
    try:
        before = config_to_dict(config_from_json(text, str(saved)))
    except ConfigError:  # a config this siamkit cannot read: compare what it says
        before = json.loads(text)
    now = config_to_dict(cfg)
    changed = [f"{section}.{key}" for section, values in now.items() if isinstance(values, dict)
               for key in sorted(set(values) | set(before.get(section, {})))
               if values.get(key) != before.get(section, {}).get(key)
               and f"{section}.{key}" not in ("training.epochs", "training.progress")]
    if changed:
        warnings.warn(f"resume: the config differs from the run in {out} ({', '.join(changed[:5])}); "
                      f"the resumed run will not repeat the interrupted one", SiamkitWarning,
                      stacklevel=3)


def _trainer(cfg: ExperimentConfig, model: Any, loss: Any, kind: str, out: Path) -> Any:
    from ..training import Trainer

    t = cfg.training
    custom_monitor = t.monitor != "val_loss"
    return Trainer(
        model, loss, optimizer=t.optimizer, lr=t.lr, weight_decay=t.weight_decay, epochs=t.epochs,
        scheduler=None if t.scheduler == "none" else t.scheduler, grad_clip=t.grad_clip,
        device=t.device, amp=False if t.amp == "off" else t.amp,
        # Without early stopping, a monitor other than val_loss still picks the best epoch.
        early_stopping_metric=t.monitor if (t.early_stopping or custom_monitor) else None,
        patience=t.patience if t.early_stopping else t.epochs + 1, min_delta=t.min_delta,
        keep_best=t.keep_best, checkpoint_dir=out / CHECKPOINT_DIR, checkpoint_every=t.checkpoint_every,
        seed=t.seed, progress=t.progress, batch_kind=kind, warmup_steps=t.warmup_steps,
        step_schedule=None if t.step_schedule == "none" else t.step_schedule,
        accumulate_steps=t.accumulate_steps, freeze_backbone_epochs=t.freeze_backbone_epochs,
        freeze_backbone_steps=t.freeze_backbone_steps, backbone_lr=t.backbone_lr,
        freeze_batchnorm=t.freeze_batchnorm)


def _model_info(model: Any, kind: str) -> dict[str, Any]:
    enc = model.encoder
    return {"encoder": getattr(enc, "name", type(enc).__name__),
            "encoder_args": enc.get_config() if hasattr(enc, "get_config") else {},
            "parameters": sum(p.numel() for p in model.parameters()),
            "embedding_dim": model.embedding_dim, "distance": model.distance_name,
            "head": getattr(model.head, "name", None), "input": model.adapter.type,
            "score": model.score_kind, "batch_kind": kind}


def _data_info(cfg: ExperimentConfig, splits: Splits) -> dict[str, Any]:
    name = cfg.data.name if cfg.data.source == "dataset" else cfg.data.path
    info: dict[str, Any] = {"source": f"{cfg.data.source}: {name}", "modality": splits.modality}
    info.update({f"{k} samples" if splits.labelled else f"{k} pairs": v
                 for k, v in splits.sizes().items()})
    if splits.labelled:
        info["classes"] = splits.train.n_classes
    for i, note in enumerate(splits.notes):
        info[f"note {i + 1}"] = note
    return info


def evaluate_run(model: Any, splits: Splits, cfg: ExperimentConfig, plots: Path | None
                 ) -> dict[str, Any]:
    """Calibrate on validation pairs, then test figures (:func:`siamkit.evaluation.evaluate_model`)."""
    metrics = evaluate_model(model, splits.test, splits.val, config=cfg.evaluation,
                             batch_size=cfg.batches.eval_batch_size, plots=plots)
    metrics["test"].pop("roc", None)  # hundreds of points; roc.png shows them
    return metrics


def _summaries(cfg: ExperimentConfig, splits: Splits, trainer: Any, model: Any, kind: str,
               seconds: float) -> dict[str, Any]:
    training = {"epochs": trainer.epoch_, "best_epoch": trainer.best_epoch_, "monitor": trainer.monitor_,
                "best": trainer.best_metric_, "stop_reason": trainer.stop_reason_,
                "steps": trainer.step_, "device": str(trainer.device_), "seconds": round(seconds, 2)}
    return {"training": training, "data": _data_info(cfg, splits), "model": _model_info(model, kind)}


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """``torch.set_num_threads(n)`` for the block (nothing when ``n`` is None), then restored."""
    import torch

    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run_experiment(cfg: ExperimentConfig, out_dir: str | os.PathLike, *, resume: bool = False,
                   overwrite: bool = False, plots: bool = True) -> RunResult:
    """Train, calibrate, evaluate and report, as the module docstring says.

    ``resume``: continue an interrupted run in ``out_dir`` from its last checkpoint.
    ``overwrite``: allow a fresh run in a folder that already holds one.
    """
    with torch_threads(cfg.training.threads):
        return _run(cfg, out_dir, resume, overwrite, plots)


def _run(cfg: ExperimentConfig, out_dir: str | os.PathLike, resume: bool, overwrite: bool,
         plots: bool) -> RunResult:
    t0 = time.perf_counter()
    out = Path(out_dir)
    main = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 writes the run folder
    _check_out_dir(out, resume, overwrite)
    if resume:
        _warn_if_changed(cfg, out)
    info = log.info if main else (lambda *args: None)
    info("loading data (%s)", cfg.data.name if cfg.data.source == "dataset" else cfg.data.path)
    splits = load_splits(cfg.data, cfg.source)
    kind = batch_kind(cfg, splits)
    model = build_model(cfg, splits, {"experiment": config_to_dict(cfg), "name": cfg.name})
    loss = build_loss(cfg, loss_facts(splits, model))  # class weights drawn after the model's
    loaders = build_loaders(cfg, splits, model, kind)
    sizes = ", ".join(f"{k} {v}" for k, v in splits.sizes().items())
    info("training %s on %s (%s), %s batches of %d, %s", type(model.encoder).__name__,
         splits.modality, sizes, kind, cfg.batches.batch_size, type(loss).__name__)
    trainer = _trainer(cfg, model, loss, kind, out)
    if main:
        # Written once the data and model are built, just before the checkpoints it describes: a
        # resume that fails earlier (a wrong path) leaves the interrupted run's config in place,
        # so that the next --resume is compared with the run it continues.
        out.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out)
    history = trainer.fit(*loaders, resume=resume)
    if not main:
        return RunResult(out, out / MODEL_DIR, out / "report.html", {}, history, model, cfg,
                         time.perf_counter() - t0)
    history.to_json(out / "history.json")
    train_seconds = time.perf_counter() - t0
    info("calibrating on validation pairs and evaluating on test data")
    plots_dir = out / PLOTS_DIR if plots else None
    metrics: dict[str, Any] = {"name": cfg.name, **evaluate_run(model, splits, cfg, plots_dir)}
    if plots_dir is not None:
        plot_loss_curves(list(history.epochs), plots_dir / "loss.png", title="Loss per epoch")
    metrics.update(_summaries(cfg, splits, trainer, model, kind, train_seconds))
    model.metadata["test_metrics"] = {k: metrics["test"].get(k) for k in ("accuracy", "roc_auc", "eer")}
    model_dir = model.save(out / MODEL_DIR)
    metrics["seconds"] = round(time.perf_counter() - t0, 2)
    write_metrics_json(metrics, out / "metrics.json")
    report = write_report(out, cfg.name)
    return RunResult(out, model_dir, report, metrics, history, model, cfg, time.perf_counter() - t0)
