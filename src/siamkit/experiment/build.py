"""From a config and the training data to the objects that train: model, loss, loaders.

The input adapter learns from the training data only (image or vector statistics, the tokenizer's
vocabulary), so nothing about validation or test data leaks into the model. Encoder arguments that
the data decide (``in_channels``, ``input_dim``, ``vocab_size``) are filled in; when given they must
agree with the data.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import torch

from ..config.checks import check_arguments
from ..config.fields import where
from ..config.registry import DEFAULT_BATCH_KIND, LOSS_INPUT_KINDS, NEEDS, loss_class
from ..config.schema import ExperimentConfig
from ..errors import ConfigError, DataError, SiamkitWarning
from .data import Splits

AUTO_ENCODER = {"image": "convnet", "vector": "mlp", "text": "rnn"}
_FIT_LIMIT = 20000  # samples used to learn image/vector statistics (plenty for a mean and std)


def _samples(data: Any) -> Any:
    """All inputs of a split: the samples, or both sides of the pairs."""
    if hasattr(data, "x"):
        return data.x
    return data.x1 + data.x2 if isinstance(data.x1, list) else torch.cat([data.x1, data.x2])


def build_adapter(cfg: ExperimentConfig, splits: Splits) -> Any:
    from ..adapters import ImageAdapter, TextAdapter, VectorAdapter

    x = _samples(splits.train)
    if splits.modality == "text":
        from ..data import Tokenizer

        t = cfg.text
        tokenizer = Tokenizer(lowercase=t.lowercase, max_vocab_size=t.max_vocab_size,
                              min_freq=t.min_freq, oov_buckets=t.oov_buckets,
                              subword_ngrams=t.subword_ngrams,
                              subword_buckets=t.subword_buckets).fit(x)
        return TextAdapter(tokenizer, t.max_length)
    sample = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:_FIT_LIMIT]]
    if splits.modality == "image":
        adapter = ImageAdapter(channels=int(x.shape[1]), image_size=tuple(int(s) for s in x.shape[2:]))
    else:
        adapter = VectorAdapter(int(x.shape[1]))
    return adapter.fit(sample) if cfg.model.normalize_inputs else adapter


def _data_args(modality: str, adapter: Any) -> dict[str, Any]:
    """Encoder arguments the data decide."""
    if modality == "image":
        return {"in_channels": adapter.channels}
    if modality == "vector":
        return {"input_dim": adapter.input_dim}
    return {"vocab_size": adapter.tokenizer.vocab_size}


def build_encoder(cfg: ExperimentConfig, splits: Splits, adapter: Any) -> Any:
    from ..encoders import create_encoder, get_encoder_class

    prefix = where(cfg.source, "encoder.args")
    name = AUTO_ENCODER[splits.modality] if cfg.encoder.name == "auto" else cfg.encoder.name
    cls = get_encoder_class(name)
    args = dict(cfg.encoder.args)
    check_arguments(cls, args, prefix, f"encoder {name!r}")
    accepted = inspect.signature(cls.__init__).parameters
    for key, value in _data_args(splits.modality, adapter).items():
        if key not in accepted:
            raise ConfigError(f"{where(cfg.source, 'encoder')} name: encoder {name!r} cannot read "
                              f"{splits.modality} data (it takes no {key})")
        if key in args and args[key] != value:
            raise ConfigError(f"{prefix} {key}: {args[key]!r} was set, but the data give {value!r}; "
                              f"leave it out to take it from the data")
        args[key] = value
    if args.get("preset") == "keras-mnist" and "image_size" not in args:
        args["image_size"] = list(adapter.image_size)
    try:
        return create_encoder(name, **args)
    except ConfigError as exc:
        raise ConfigError(f"{prefix} {exc}") from None


def head_name(cfg: ExperimentConfig) -> str | None:
    if cfg.model.head == "auto":
        return "l1_sigmoid" if LOSS_INPUT_KINDS[cfg.loss.name] == "pair_logits" else None
    return None if cfg.model.head == "none" else cfg.model.head


def build_model(cfg: ExperimentConfig, splits: Splits, metadata: dict[str, Any]) -> Any:
    """A fresh :class:`siamkit.SiameseNetwork`; weights drawn from ``training.seed``."""
    from ..model import SiameseNetwork

    adapter = build_adapter(cfg, splits)
    torch.manual_seed(cfg.training.seed)
    encoder = build_encoder(cfg, splits, adapter)
    return SiameseNetwork(encoder, distance=cfg.model.distance, head=head_name(cfg), adapter=adapter,
                          metadata=metadata)


def build_loss(cfg: ExperimentConfig) -> Any:
    cls = loss_class(cfg.loss.name)
    args = dict(cfg.loss.args)
    check_arguments(cls, args, where(cfg.source, "loss.args"), f"loss {cfg.loss.name!r}")
    if "distance" in inspect.signature(cls.__init__).parameters and "distance" not in args:
        args["distance"] = cfg.model.distance  # the loss measures what the model will score
    try:
        return cls(**args)
    except (ConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where(cfg.source, 'loss.args')} {exc}") from None


def batch_kind(cfg: ExperimentConfig, splits: Splits) -> str:
    """The batch kind: as configured, or what the loss consumes (``"auto"``)."""
    kind = cfg.batches.kind
    if kind == "auto":
        kind = DEFAULT_BATCH_KIND[LOSS_INPUT_KINDS[cfg.loss.name]]
        if kind == "scored_pairs" and (splits.labelled or splits.train.is_binary):
            kind = "pairs"  # 1/0 labels as cosine targets
    have = "labelled" if splits.labelled else "pairs"
    if have not in NEEDS[kind]:
        what = "samples with classes" if have == "labelled" else "explicit pairs"
        raise ConfigError(f"{where(cfg.source, 'loss')} name: {cfg.loss.name!r} trains on {kind!r} "
                          f"batches, which need {' or '.join(NEEDS[kind])} data, but the data are "
                          f"{what}; " + _alternatives(have))
    return kind


def _alternatives(have: str) -> str:
    if have == "labelled":
        return "for classes use contrastive, binary_cross_entropy, triplet or batch_hard/all/semihard"
    return "for pairs use contrastive, binary_cross_entropy, cosine_similarity, hard_negative or " \
           "multiple_negatives_ranking"


def drop_single_sample_classes(data: Any, what: str) -> Any:
    """``data`` without the samples whose class has no second sample (no positive pair can hold
    them); a warning says how many were left out."""
    counts = torch.bincount(data.y, minlength=data.n_classes)
    lonely = counts[data.y] < 2
    if not bool(lonely.any()):
        return data
    n = int(lonely.sum())
    warnings.warn(f"{what} ({data.name}): {n} sample(s) of classes with a single sample left out of "
                  f"the batches (a positive pair needs two)", SiamkitWarning, stacklevel=3)
    return data.subset(~lonely)


def build_loaders(cfg: ExperimentConfig, splits: Splits, model: Any, kind: str) -> tuple[Any, Any]:
    """Training and validation loaders of batch ``kind``; validation batches are the same each
    epoch and as large as the training ones (so in-batch validation losses compare)."""
    from ..data import make_loader

    options: dict[str, Any] = {}
    if splits.modality == "text":
        options.update(tokenizer=model.adapter.tokenizer, max_length=cfg.text.max_length)
    if kind == "labelled":
        options.update(samples_per_class=cfg.batches.samples_per_class, sampler=cfg.batches.sampler)
    size, seed = cfg.batches.batch_size, cfg.training.seed
    if splits.labelled and kind in ("pairs", "triplets", "labelled"):
        splits.train = drop_single_sample_classes(splits.train, "training data")
        splits.val = drop_single_sample_classes(splits.val, "validation data")
    try:
        train = make_loader(kind, splits.train, size, seed, **options)
    except (ConfigError, DataError) as exc:
        raise type(exc)(f"training data: {exc}") from None
    try:
        val = make_loader(kind, splits.val, size, seed, shuffle=False, **options)
    except (ConfigError, DataError) as exc:
        if kind != "labelled" or cfg.batches.sampler != "pk":
            raise type(exc)(f"validation data: {exc}") from None
        # A small validation split may lack P classes of K samples: plain batches validate too.
        options["sampler"] = "random"
        val = make_loader(kind, splits.val, size, seed, shuffle=False, **options)
    return train, val
