"""From a config and the training data to the objects that train: model, loss, loaders.

The input adapter learns from the training data only (image or vector statistics, the tokenizer's
vocabulary), so nothing about validation or test data leaks into the model. Constructor arguments
that the data decide are filled in, for encoders (``in_channels``, ``input_dim``, ``vocab_size``)
and for losses (``n_classes``, ``embedding_dim`` of a loss with class weights or proxies): each
registry entry names them in its ``data_args``; when given they must agree with the data.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any, Callable

import torch

from ..batch_kinds import DATA_NEEDED, DEFAULT_BATCH_KIND, losses_for
from ..config.checks import check_arguments
from ..config.fields import where
from ..config.schema import ExperimentConfig
from ..errors import ConfigError, DataError, SiamkitWarning
from ..registry import ENCODERS, HEADS, LOSSES
from .data import Splits

_FIT_LIMIT = 20000  # samples used to learn image/vector statistics (plenty for a mean and std)


def _samples(data: Any) -> Any:
    """All inputs of a split: the samples, or both sides of the pairs."""
    if hasattr(data, "x"):
        return data.x
    return data.x1 + data.x2 if isinstance(data.x1, list) else torch.cat([data.x1, data.x2])


def build_adapter(cfg: ExperimentConfig, splits: Splits) -> Any:
    """The input adapter: the one the encoder brings with its weights (a pretrained text
    backbone's tokenizer: ``Encoder.own_adapter``), else siamkit's, learned from the training data."""
    from ..adapters import ImageAdapter, TextAdapter, VectorAdapter
    from ..encoders import get_encoder_class

    name = auto_encoder(splits.modality) if cfg.encoder.name == "auto" else cfg.encoder.name
    cls = get_encoder_class(name)
    try:
        own = cls.own_adapter(dict(cfg.encoder.args))
    except ConfigError as exc:
        raise ConfigError(f"{where(cfg.source, 'encoder.args')} {exc}") from None
    if own is not None:
        return own
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


def data_facts(modality: str, adapter: Any) -> dict[str, Any]:
    """The encoder arguments the data decide; the first is the one every encoder of the modality
    takes (an encoder registered without ``data_args`` gets only that one)."""
    if modality == "image":
        return {"in_channels": adapter.channels, "image_size": list(adapter.image_size)}
    if modality == "vector":
        return {"input_dim": adapter.input_dim}
    return {"vocab_size": adapter.tokenizer.vocab_size}


def fill_from_data(args: dict[str, Any], keys: Any, facts: dict[str, Any], prefix: str,
                   missing: Callable[[str], str]) -> dict[str, Any]:
    """``args`` with each of ``keys`` set to what the data give (``facts``); a value the user set
    must agree. A key the data do not give keeps the user's value, else ``missing(key)`` is the
    ConfigError's message."""
    for key in keys:
        if key not in facts:
            if key in args:
                continue
            raise ConfigError(missing(key))
        value = facts[key]
        if key in args and args[key] != value:
            raise ConfigError(f"{prefix} {key}: {args[key]!r} was set, but the data give {value!r}; "
                              f"leave it out to take it from the data")
        args[key] = value
    return args


def auto_encoder(modality: str) -> str:
    """The encoder ``[encoder] name = "auto"`` picks: the one registered ``auto`` for the data."""
    names = ENCODERS.names(auto=True, modality=modality)
    if not names:
        raise ConfigError(f"encoder: no encoder is registered as the auto choice for {modality} "
                          f"data; set [encoder] name (one of {', '.join(ENCODERS.names())})")
    return names[0]


def build_encoder(cfg: ExperimentConfig, splits: Splits, adapter: Any) -> Any:
    from ..encoders import create_encoder, get_encoder_class

    prefix = where(cfg.source, "encoder.args")
    name = auto_encoder(splits.modality) if cfg.encoder.name == "auto" else cfg.encoder.name
    cls = get_encoder_class(name)
    args = dict(cfg.encoder.args)
    check_arguments(cls, args, prefix, f"encoder {name!r}")
    reads = ENCODERS.entry(name).get("modality")
    if reads is not None and reads != splits.modality:
        raise ConfigError(f"{where(cfg.source, 'encoder')} name: encoder {name!r} cannot read "
                          f"{splits.modality} data (it reads {reads} data)")
    facts = data_facts(splits.modality, adapter)
    wanted = getattr(cls, "data_arguments", lambda _: None)(args)
    accepted = inspect.signature(cls.__init__).parameters
    keys = list(wanted if wanted is not None else list(facts)[:1])

    def cannot(key: str) -> str:
        return (f"{where(cfg.source, 'encoder')} name: encoder {name!r} cannot read "
                f"{splits.modality} data (it takes no {key})")

    for key in keys:
        if key not in facts or key not in accepted:
            raise ConfigError(cannot(key))
    fill_from_data(args, keys, facts, prefix, cannot)
    try:
        return create_encoder(name, **args)
    except ConfigError as exc:
        raise ConfigError(f"{prefix} {exc}") from None


def head_name(cfg: ExperimentConfig) -> str | None:
    """The head: as configured, or with ``"auto"`` the one the loss trains (none for most)."""
    if cfg.model.head == "auto":
        trained = HEADS.names(output=LOSSES.entry(cfg.loss.name)["input_kind"])
        return trained[0] if trained else None
    return None if cfg.model.head == "none" else cfg.model.head


def build_model(cfg: ExperimentConfig, splits: Splits, metadata: dict[str, Any]) -> Any:
    """A fresh :class:`siamkit.SiameseNetwork`; weights drawn from ``training.seed``."""
    from ..model import SiameseNetwork

    adapter = build_adapter(cfg, splits)
    torch.manual_seed(cfg.training.seed)
    encoder = build_encoder(cfg, splits, adapter)
    # A pretrained backbone reads its inputs through its own evaluation transform, not through
    # statistics learned from these data (its weights were trained on that transform).
    own_input = getattr(encoder, "input_adapter", None)
    if callable(own_input):
        adapter = own_input()
    return SiameseNetwork(encoder, distance=cfg.model.distance, head=head_name(cfg), adapter=adapter,
                          metadata=metadata)


def loss_facts(splits: Splits, model: Any) -> dict[str, Any]:
    """The loss arguments the data decide: the training data's number of classes (samples with
    classes only) and the size of the model's embeddings (when its encoder says it)."""
    facts: dict[str, Any] = {}
    if splits.labelled:
        facts["n_classes"] = int(splits.train.n_classes)
    if getattr(model, "embedding_dim", None) is not None:
        facts["embedding_dim"] = int(model.embedding_dim)
    return facts


def build_loss(cfg: ExperimentConfig, facts: dict[str, Any] | None = None) -> Any:
    """The configured loss; the arguments its registry entry names in ``data_args`` (class
    weights' ``n_classes`` and ``embedding_dim``) come from ``facts`` (:func:`loss_facts`)."""
    entry = LOSSES.entry(cfg.loss.name, f"{where(cfg.source, 'loss')} name:")
    cls, prefix = entry.obj, where(cfg.source, "loss.args")
    args = dict(cfg.loss.args)
    check_arguments(cls, args, prefix, f"loss {cfg.loss.name!r}")
    if "distance" in inspect.signature(cls.__init__).parameters and "distance" not in args:
        args["distance"] = cfg.model.distance  # the loss measures what the model will score
    fill_from_data(args, entry.get("data_args", ()), facts or {}, prefix,
                   lambda key: f"{prefix} {key}: loss {cfg.loss.name!r} needs it and the data do "
                               f"not give it (n_classes: samples with classes; embedding_dim: an "
                               f"encoder with an embedding_dim); set it")
    try:
        return cls(**args)
    except (ConfigError, TypeError, ValueError) as exc:
        raise ConfigError(f"{prefix} {exc}") from None


def batch_kind(cfg: ExperimentConfig, splits: Splits) -> str:
    """The batch kind: as configured, or what the loss consumes (``"auto"``)."""
    kind = cfg.batches.kind
    if kind == "auto":
        kind = DEFAULT_BATCH_KIND[LOSSES.entry(cfg.loss.name)["input_kind"]]
        if kind == "scored_pairs" and (splits.labelled or splits.train.is_binary):
            kind = "pairs"  # 1/0 labels as cosine targets
    have = "labelled" if splits.labelled else "pairs"
    if have not in DATA_NEEDED[kind]:
        what, for_ = ("samples with classes", "classes") if have == "labelled" \
            else ("explicit pairs", "pairs")
        raise ConfigError(f"{where(cfg.source, 'loss')} name: {cfg.loss.name!r} trains on {kind!r} "
                          f"batches, which need {' or '.join(DATA_NEEDED[kind])} data, but the "
                          f"data are {what}; for {for_} use {', '.join(losses_for(data=have))}")
    return kind


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
        # The adapter's own length: [text] max_length, or a pretrained tokenizer's.
        options.update(tokenizer=model.adapter.tokenizer,
                       max_length=getattr(model.adapter, "max_length", cfg.text.max_length))
    if kind == "labelled":
        options.update(samples_per_class=cfg.batches.samples_per_class, sampler=cfg.batches.sampler)
    size, seed = cfg.batches.batch_size, cfg.training.seed
    if kind == "episodes":  # an episode's size is n_way * (k_shot + n_query), not batch_size
        b, size = cfg.batches, None
        options.update(n_way=b.n_way, k_shot=b.k_shot, n_query=b.n_query, episodes=b.episodes)
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
