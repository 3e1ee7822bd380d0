"""The experiment config schema: one dataclass per TOML section, defaults that make a minimal file
a few lines long.

A config file (all sections and keys optional; these are the defaults)::

    name = "experiment"
    [data]        source = "dataset", name = "digits", val_fraction = 0.2, test_fraction = 0.2, ...
    [encoder]     name = "auto" (the encoder registered as auto for the data), args = {}
    [model]       distance = "euclidean", head = "auto", normalize_inputs = true
    [loss]        name = "contrastive", args = {}
    (``siamkit train --help`` lists the registered names of losses, encoders, distances, heads)
    [batches]     kind = "auto" (from the loss), batch_size = 128, samples_per_class = 4, sampler = "pk",
                  n_way = 5, k_shot = 1, n_query = 5 (episodes)
    [text]        max_length = 64, max_vocab_size = 30000, min_freq = 1, lowercase = true,
                  oov_buckets = 0, subword_ngrams = [min_n, max_n] (none), subword_buckets = 0
    [training]    epochs = 10, lr = 0.001, optimizer = "adam", scheduler = "none", seed = 0, ...,
                  warmup_steps = 0, accumulate_steps = 1, freeze_backbone_epochs = 0, ...
    [evaluation]  threshold_rule = "accuracy", target_far = 0.01, one_shot = true, n_way = 10, ...

Keys that name a component (``[loss] name``, ``[model] distance`` and ``head``) are checked against
the registries of :mod:`siamkit.registry`, so a newly registered loss is accepted with no edit here.
Labels follow siamkit's convention everywhere: 1 = same, 0 = different. Cross-field checks (a loss
that cannot train on the chosen batches, a key that does not apply to the data source) live in
:mod:`siamkit.config.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Source = str  # a reader registered in siamkit.registry.READERS; checked by siamkit.config.checks
Modality = Literal["auto", "image", "text", "vector"]
BatchKind = Literal["auto", "pairs", "scored_pairs", "triplets", "labelled", "duplicates",
                   "episodes"]


def named(registry: str, default: str, *extra: str, **criteria: Any) -> Any:
    """A key whose value names a component of :data:`siamkit.registry.REGISTRIES` ``[registry]``
    (those whose facts match ``criteria``), or one of ``extra``; checked when a file is read."""
    return field(default=default, metadata={"registry": registry, "extra": extra,
                                            "criteria": criteria})


@dataclass
class DataConfig:
    """``[data]``: where samples come from, what they are, and how they are split."""

    source: Source = "dataset"            # "dataset" (by name) or a reader: image_folder, ...
    name: str = "digits"                  # source "dataset": digits, mnist, fashion-mnist, kjv-web
    data_dir: str | None = None           # named datasets: else $SIAMKIT_DATA, else ~/.cache/siamkit
    options: dict[str, Any] = field(default_factory=dict)  # named dataset options (download = false)
    path: str | None = None               # the file or folder of the other sources
    labels: str | None = None             # source "arrays": labels .npy (not needed for an .npz)
    val_path: str | None = None           # a separate validation file/folder (same format as path)
    test_path: str | None = None          # a separate test file/folder
    modality: Modality = "auto"           # inferred; "vector" flattens images to pixel vectors
    val_fraction: float = 0.2
    test_fraction: float = 0.2            # for sources without a test split of their own
    split_seed: int = 0                   # the split stays put while training.seed varies
    class_disjoint: bool = False          # test on classes never seen in training (one-shot)
    test_classes: int | float = 0.3       # class_disjoint: how many (int) or what fraction (float)
    max_train: int | None = None          # keep at most this many (seeded subset), for quick runs
    max_val: int | None = None
    max_test: int | None = None
    image_size: int | list[int] | None = None  # image folders: resize to (height, width)
    color: Literal["grayscale", "rgb"] = "grayscale"
    text1: str | None = None              # text_pairs columns (default question1, question2,
    text2: str | None = None              #   is_duplicate: the Quora layout)
    text: str | None = None               # labelled_texts column (default text)
    label: str | None = None              # the label column (labelled_texts, feature_table, pairs)
    features: list[str] | None = None     # feature_table: feature columns (default: all but label)
    delimiter: str | None = None          # CSV delimiter (default: tab for .tsv, else comma)
    on_error: Literal["raise", "skip"] = "raise"  # bad rows/files: stop, or skip and count them


@dataclass
class EncoderConfig:
    """``[encoder]``: the one shared network, by registry name with its constructor arguments.
    ``in_channels`` / ``input_dim`` / ``vocab_size`` are filled in from the data when left out."""

    name: str = "auto"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class ModelConfig:
    """``[model]``: how embeddings are compared, and the input adapter."""

    distance: str = named("distances", "euclidean", model_distance=True)
    head: str = named("heads", "auto", "auto", "none")  # auto: the head the loss trains, if any
    normalize_inputs: bool = True         # standardise images/vectors with training-set statistics


@dataclass
class LossConfig:
    """``[loss]``: the training objective by name, with its constructor arguments."""

    name: str = named("losses", "contrastive")
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchConfig:
    """``[batches]``: what one training batch holds."""

    kind: BatchKind = "auto"              # auto: what the loss consumes
    batch_size: int = 128
    samples_per_class: int = 4            # K of P x K batches (batch kind "labelled")
    sampler: Literal["pk", "random"] = "pk"
    n_way: int = 5                        # batch kind "episodes": classes per episode,
    k_shot: int = 1                       #   support samples and query samples per class
    n_query: int = 5                      #   (an episode's size replaces batch_size)
    episodes: int | None = None           #   per epoch (default: about one pass over the data)
    eval_batch_size: int = 256


@dataclass
class TextConfig:
    """``[text]``: tokenizer settings (text data only)."""

    max_length: int | None = 64
    max_vocab_size: int = 30000
    min_freq: int = 1
    lowercase: bool = True
    oov_buckets: int = 0                  # hashed ids for words outside the vocabulary
    subword_ngrams: list[int] | None = None  # [min_n, max_n]: fastText character n-grams, e.g. [3, 5]
    subword_buckets: int = 0              # hashed n-gram ids (needs subword_ngrams)


@dataclass
class TrainingConfig:
    """``[training]``: the optimisation loop."""

    epochs: int = 10
    lr: float = 1e-3
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    weight_decay: float = 0.0
    scheduler: Literal["none", "cosine", "step", "plateau"] = "none"
    grad_clip: float | None = None
    monitor: str = "val_loss"             # the figure that picks the best epoch
    early_stopping: bool = False          # stop when monitor has not improved for patience epochs
    patience: int = 5
    min_delta: float = 0.0
    keep_best: bool = True                # end with the weights of the best epoch
    seed: int = 0
    device: str = "auto"                  # auto (CUDA if present), cpu, cuda, cuda:1
    threads: int | None = None            # CPU threads for torch (default: torch's choice)
    amp: Literal["auto", "off", "fp16", "bf16"] = "auto"
    checkpoint_every: int = 1             # epochs between checkpoints (for --resume)
    progress: bool = True
    # fine-tuning a pretrained backbone (siamkit.training.freeze, siamkit.training.schedule)
    warmup_steps: int = 0                 # linear warmup over this many optimizer steps
    step_schedule: Literal["none", "constant", "linear", "cosine"] = "none"  # lr per step
    accumulate_steps: int = 1             # micro-batches averaged into one optimizer step
    freeze_backbone_epochs: int = 0       # the backbone does not train in the first epochs
    freeze_backbone_steps: int = 0        # ... or the first optimizer steps
    backbone_lr: float | None = None      # its own learning rate (default: lr)
    freeze_batchnorm: bool = False        # the backbone's BatchNorm keeps its statistics


@dataclass
class EvaluationConfig:
    """``[evaluation]``: calibration on validation pairs, reporting on test data."""

    threshold_rule: Literal["accuracy", "eer", "far", "f1"] = "accuracy"
    target_far: float = 0.01              # rule "far": the largest TAR with FAR <= this
    far_targets: list[float] = field(default_factory=lambda: [0.1, 0.01, 0.001])
    bootstrap: int = 0                    # resamples for 95% confidence intervals (0: none)
    folds: int = 0                        # k-fold held-out accuracy of the test pairs (0: none)
    pairs_seed: int = 0                   # the balanced validation/test pairs
    one_shot: bool = True                 # N-way K-shot episodes on the test classes
    n_way: int = 10
    k_shot: int = 1
    episodes: int = 1000
    retrieval: bool = True                # Recall@K, MAP@R on the test set
    retrieval_ks: list[int] = field(default_factory=lambda: [1, 5])
    projection: Literal["pca", "tsne", "none"] = "pca"
    max_projection_points: int = 2000


@dataclass
class ExperimentConfig:
    """A whole experiment. ``source`` (not a TOML key) names the file, for messages."""

    name: str = "experiment"
    description: str = ""
    data: DataConfig = field(default_factory=DataConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    batches: BatchConfig = field(default_factory=BatchConfig)
    text: TextConfig = field(default_factory=TextConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    source: str = field(default="config", compare=False, repr=False, metadata={"toml": False})
