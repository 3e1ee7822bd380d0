"""Everything that turns a user's data into what a Siamese network trains on.

Four rooms, and a shared core at the top::

    data/
      containers.py  LabelledData (samples + int64 class ids), PairData (pairs + float labels,
                     **1 = same**, 0 = different, or similarity scores; optional duplicate groups)
      samples.py     checking and indexing samples: images uint8 [N, C, H, W], vectors float32
                     [N, D], texts list[str]
      seeding.py     seeds and per-epoch random streams
      splits.py      seeded, stratified and class-disjoint splits; leakage checks
      groups.py      duplicate groups: rows that must never be each other's negatives
      datasets/      named datasets: load_dataset("digits" | "mnist" | "fashion-mnist" | "kjv-web"),
                     each registered in siamkit.registry.DATASETS; IDX files, downloads, data folder
      readers/       a user's files (image folder, text pairs, labelled texts, feature table,
                     arrays), each registered in siamkit.registry.READERS as a [data] source
      batches/       balanced pairs, triplets (random or hard), P x K and duplicate-group samplers,
                     the loaders of the trainer's batch kinds (make_loader), image augmentation
      text/          the tokenizer (saved with a text model) and subword n-gram ids

Every public name of the rooms is importable from ``siamkit.data``. Every bad input raises a
:class:`siamkit.errors.DataError` (or ``ConfigError``/``DownloadError``) naming the file, line or
index and the problem; skipped items are counted and reported.
"""

from .batches import (
    BATCH_KINDS,
    SQUARE_SYMMETRIES,
    AugmentedLoader,
    BatchLoader,
    DuplicateBatchSampler,
    DuplicatesLoader,
    EpisodeBatchSampler,
    EpisodeLoader,
    ImageAugment,
    LabelledLoader,
    PairLoader,
    PKBatchSampler,
    RandomBatchSampler,
    TripletLoader,
    balanced_pair_indices,
    embed_in_batches,
    expand_classes,
    hard_triplet_indices,
    make_loader,
    make_pairs,
    mine_triplets,
    random_triplet_indices,
)
from .containers import LabelledData, PairData
from .datasets import (
    FASHION_MNIST,
    MNIST,
    IdxDatasetSpec,
    IdxFile,
    RetrievalTask,
    dataset_info,
    default_cache_dir,
    download_file,
    kjv_web_retrieval,
    list_datasets,
    load_dataset,
    load_digits,
    load_idx_dataset,
    load_kjv_web,
    read_idx,
    resolve_data_dir,
)
from .groups import duplicate_groups, normalize_for_groups
from .readers import (
    load_arrays,
    load_feature_table,
    load_image_folder,
    load_labelled_texts,
    load_text_pairs,
)
from .splits import check_no_leakage, class_disjoint_split, train_val_split, train_val_test_split
from .text import Tokenizer

__all__ = [
    "AugmentedLoader", "BATCH_KINDS", "BatchLoader", "DuplicateBatchSampler", "DuplicatesLoader",
    "EpisodeBatchSampler", "EpisodeLoader", "FASHION_MNIST",
    "IdxDatasetSpec", "IdxFile", "ImageAugment", "LabelledData", "LabelledLoader", "MNIST", "PKBatchSampler",
    "PairData", "PairLoader", "RandomBatchSampler", "RetrievalTask", "Tokenizer", "TripletLoader",
    "balanced_pair_indices", "check_no_leakage", "class_disjoint_split", "dataset_info",
    "SQUARE_SYMMETRIES", "default_cache_dir", "download_file", "duplicate_groups",
    "embed_in_batches", "expand_classes",
    "hard_triplet_indices", "kjv_web_retrieval", "list_datasets", "load_arrays", "load_dataset",
    "load_digits", "load_feature_table", "load_idx_dataset", "load_image_folder", "load_kjv_web",
    "load_labelled_texts", "load_text_pairs", "make_loader", "make_pairs", "mine_triplets",
    "normalize_for_groups", "random_triplet_indices", "read_idx", "resolve_data_dir",
    "train_val_split", "train_val_test_split",
]
