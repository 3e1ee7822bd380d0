"""Value checks on a whole experiment config: ranges, keys that do not apply to the data source,
losses that cannot train on the chosen batches, arguments an encoder or loss does not take.

Each failure is a :class:`~siamkit.errors.ConfigError` that names the file, the section and the
key, e.g. ``exp.toml: [training] lr: must be > 0, got -0.1``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from ..batch_kinds import batch_kinds_for, losses_for
from ..errors import ConfigError
from ..registry import ENCODERS, HEADS, LOSSES, READERS
from .fields import suggest, where
from .schema import DataConfig, ExperimentConfig

class _Checker:
    def __init__(self, source: str, section: str) -> None:
        self.prefix = where(source, section)

    def __call__(self, ok: bool, key: str, message: str) -> None:
        if not ok:
            raise ConfigError(f"{self.prefix} {key}: {message}")


def check_config(cfg: ExperimentConfig) -> ExperimentConfig:
    """Raise ConfigError at the first value that is out of range or inconsistent; return ``cfg``."""
    _check_data(cfg.data, cfg.source)
    _check_numbers(cfg)
    _check_loss(cfg)
    _check_encoder(cfg)
    return cfg


def readers_of_keys() -> dict[str, list[str]]:
    """Each reader-specific ``[data]`` key -> the sources (READERS names) that read it."""
    read_by: dict[str, list[str]] = {}
    for entry in READERS.entries():
        for key in entry["keys"]:
            read_by.setdefault(key, []).append(entry.name)
    return read_by


def keys_of_other_sources(d: DataConfig) -> set[str]:
    """The ``[data]`` keys that only other sources read (``name`` for an image folder): they
    mean nothing for ``d.source`` and are left out of a resolved config."""
    own = set(READERS.entry(d.source)["keys"])
    return {key for key in readers_of_keys() if key not in own}


def _check_data(d: DataConfig, source: str) -> None:
    """The source must be a registered reader (:data:`siamkit.registry.READERS`), and every
    reader-specific key that is set must be one the reader reads."""
    need = _Checker(source, "data")
    reader = READERS.entry(d.source, f"{where(source, 'data')} source:")
    read_by = readers_of_keys()
    defaults = DataConfig()
    for key in (f.name for f in fields(DataConfig)):
        set_here = getattr(d, key) != getattr(defaults, key)
        if set_here and key in read_by and key not in reader["keys"]:
            need(False, key, f"does not apply to source {d.source!r} (it is read by "
                             f"{', '.join(repr(s) for s in read_by[key])})")
    if "path" in reader["keys"]:
        need(bool(d.path), "path", f"source {d.source!r} needs path = \"<file or folder>\"")
    need(0.0 < d.val_fraction < 1.0, "val_fraction", f"must be between 0 and 1, got {d.val_fraction}")
    need(0.0 < d.test_fraction < 1.0, "test_fraction",
         f"must be between 0 and 1, got {d.test_fraction}")
    need(d.val_fraction + d.test_fraction < 1.0, "val_fraction",
         f"val_fraction + test_fraction must be below 1, got {d.val_fraction + d.test_fraction}")
    if isinstance(d.test_classes, float):
        need(0.0 < d.test_classes < 1.0, "test_classes",
             f"a fraction must be between 0 and 1 (or give a count), got {d.test_classes}")
    else:
        need(d.test_classes >= 1, "test_classes", f"must be >= 1, got {d.test_classes}")
    for key in ("max_train", "max_val", "max_test"):
        value = getattr(d, key)
        need(value is None or value >= 2, key, f"must be >= 2, got {value}")
    if d.image_size is not None:
        size = [d.image_size] * 2 if isinstance(d.image_size, int) else d.image_size
        need(len(size) == 2 and min(size) >= 1, "image_size",
             f"must be a positive int or [height, width], got {d.image_size}")


def _check_numbers(cfg: ExperimentConfig) -> None:
    b, t, e, x = (_Checker(cfg.source, s) for s in ("batches", "training", "evaluation", "text"))
    b(cfg.batches.batch_size >= 2, "batch_size", f"must be >= 2, got {cfg.batches.batch_size}")
    b(cfg.batches.eval_batch_size >= 1, "eval_batch_size",
      f"must be >= 1, got {cfg.batches.eval_batch_size}")
    b(cfg.batches.samples_per_class >= 2, "samples_per_class",
      f"must be >= 2 (a positive pair needs two), got {cfg.batches.samples_per_class}")
    for key, least in (("n_way", 2), ("k_shot", 1), ("n_query", 1)):
        value = getattr(cfg.batches, key)
        b(value >= least, key, f"must be >= {least}, got {value}")
    b(cfg.batches.episodes is None or cfg.batches.episodes >= 1, "episodes",
      f"must be >= 1, got {cfg.batches.episodes}")
    tr = cfg.training
    t(tr.epochs >= 1, "epochs", f"must be >= 1, got {tr.epochs}")
    t(tr.lr > 0, "lr", f"must be > 0, got {tr.lr}")
    t(tr.weight_decay >= 0, "weight_decay", f"must be >= 0, got {tr.weight_decay}")
    t(tr.grad_clip is None or tr.grad_clip > 0, "grad_clip", f"must be > 0, got {tr.grad_clip}")
    t(tr.patience >= 1, "patience", f"must be >= 1, got {tr.patience}")
    t(tr.threads is None or tr.threads >= 1, "threads", f"must be >= 1, got {tr.threads}")
    t(tr.checkpoint_every >= 1, "checkpoint_every", f"must be >= 1, got {tr.checkpoint_every}")
    for key in ("warmup_steps", "freeze_backbone_epochs", "freeze_backbone_steps"):
        t(getattr(tr, key) >= 0, key, f"must be >= 0, got {getattr(tr, key)}")
    t(tr.accumulate_steps >= 1, "accumulate_steps", f"must be >= 1, got {tr.accumulate_steps}")
    t(tr.backbone_lr is None or tr.backbone_lr > 0, "backbone_lr",
      f"must be > 0, got {tr.backbone_lr}")
    t(tr.scheduler == "none" or (tr.warmup_steps == 0 and tr.step_schedule == "none"),
      "scheduler", "an epoch scheduler and warmup_steps / step_schedule: choose one")
    t(tr.monitor == "train_loss" or tr.monitor.startswith("val_"), "monitor",
      f"must be train_loss or a validation figure (val_loss, val_roc_auc, val_accuracy, "
      f"val_eer, val_recall_at_1, ...), got {tr.monitor!r}")
    t(tr.device == "auto" or tr.device == "cpu" or tr.device.startswith(("cuda", "mps")), "device",
      f"must be auto, cpu, cuda or cuda:<index>, got {tr.device!r}")
    ev = cfg.evaluation
    e(0.0 < ev.target_far < 1.0, "target_far", f"must be between 0 and 1, got {ev.target_far}")
    e(all(0.0 < f < 1.0 for f in ev.far_targets), "far_targets",
      f"each must be between 0 and 1, got {ev.far_targets}")
    e(ev.bootstrap >= 0, "bootstrap", f"must be >= 0, got {ev.bootstrap}")
    e(ev.folds == 0 or ev.folds >= 2, "folds", f"must be 0 (none) or >= 2, got {ev.folds}")
    e(ev.n_way >= 2, "n_way", f"must be >= 2, got {ev.n_way}")
    e(ev.k_shot >= 1, "k_shot", f"must be >= 1, got {ev.k_shot}")
    e(ev.episodes >= 1, "episodes", f"must be >= 1, got {ev.episodes}")
    e(bool(ev.retrieval_ks) and min(ev.retrieval_ks) >= 1, "retrieval_ks",
      f"must be positive integers, got {ev.retrieval_ks}")
    e(ev.max_projection_points >= 10, "max_projection_points",
      f"must be >= 10, got {ev.max_projection_points}")
    tx = cfg.text
    x(tx.max_length is None or tx.max_length >= 1, "max_length", f"must be >= 1, got {tx.max_length}")
    x(tx.max_vocab_size >= 3, "max_vocab_size", f"must be >= 3, got {tx.max_vocab_size}")
    x(tx.min_freq >= 1, "min_freq", f"must be >= 1, got {tx.min_freq}")
    x(tx.oov_buckets >= 0, "oov_buckets", f"must be >= 0, got {tx.oov_buckets}")
    ngrams = tx.subword_ngrams
    x(ngrams is None or (len(ngrams) == 2 and 1 <= ngrams[0] <= ngrams[1]), "subword_ngrams",
      f"must be [min_n, max_n] with 1 <= min_n <= max_n, got {ngrams}")
    x((ngrams is None) == (tx.subword_buckets == 0) and tx.subword_buckets >= 0, "subword_buckets",
      f"must be > 0 with subword_ngrams and 0 without, got {tx.subword_buckets}")


def _check_loss(cfg: ExperimentConfig) -> None:
    name, kind = cfg.loss.name, cfg.batches.kind
    entry = LOSSES.entry(name, f"{where(cfg.source, 'loss')} name:")
    fits = batch_kinds_for(entry["input_kind"])
    if kind != "auto" and kind not in fits:
        raise ConfigError(
            f"{where(cfg.source, 'batches')} kind: {kind!r} batches cannot train loss {name!r} "
            f"(it needs {' or '.join(repr(k) for k in fits)} batches); losses "
            f"that fit {kind!r} batches: {', '.join(losses_for(kind))}")
    # A head is trained by the losses of the input kind it outputs (l1_sigmoid: pair_logits).
    head, check = cfg.model.head, _Checker(cfg.source, "model")
    trained = HEADS.names(output=entry["input_kind"])
    if trained:
        check(head != "none", "head", f"loss {name} trains the {' or '.join(trained)} head; set "
                                      f"head = \"{trained[0]}\" (or \"auto\")")
    if head not in ("auto", "none") and head not in trained:
        trainers = LOSSES.names(input_kind=HEADS.entry(head).get("output"))
        check(False, "head", f"the {head} head is trained only by loss "
                             f"{' or '.join(trainers) or '(none registered)'}, not {name!r}; "
                             "an untrained head would decide every pair")
    check_arguments(entry.obj, cfg.loss.args, where(cfg.source, "loss.args"), f"loss {name!r}")


def _check_encoder(cfg: ExperimentConfig) -> None:
    name = cfg.encoder.name
    if name == "auto":
        return  # checked once the data says which encoder "auto" is
    if name not in ENCODERS:
        raise ConfigError(f"{where(cfg.source, 'encoder')} name: unknown encoder {name!r}"
                          f"{suggest(name, ENCODERS.names(True))}; choose auto, "
                          f"{', '.join(ENCODERS.names())}")
    check_arguments(ENCODERS.get(name), cfg.encoder.args, where(cfg.source, "encoder.args"),
                    f"encoder {name!r}")


def check_arguments(target: Callable[..., Any], args: dict[str, Any], prefix: str, what: str
                    ) -> None:
    """Raise ConfigError for a key of ``args`` that ``target``'s constructor does not take."""
    params = [p for p in inspect.signature(target).parameters.values()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"]
    names = [p.name for p in params]
    for key in args:
        if key not in names:
            raise ConfigError(f"{prefix} unknown key {key!r}{suggest(key, names)}; {what} takes "
                              f"{', '.join(names) or 'no arguments'}")
