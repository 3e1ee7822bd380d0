"""Everything that turns a user's data into what a Siamese network trains on.

Containers (:mod:`.containers`): :class:`LabelledData` (samples + int64 class ids) and
:class:`PairData` (pairs + float labels, **1 = same**, 0 = different, or similarity scores, with
optional duplicate ``groups``). Images are uint8 ``[N, C, H, W]``, vectors float32 ``[N, D]``,
texts ``list[str]`` (tokenised by the loaders with a fitted :class:`Tokenizer`).

Sources: named datasets (``load_dataset("digits" | "mnist" | "fashion-mnist" | "kjv-web")``, data
directory = argument, ``$SIAMKIT_DATA``, or ``~/.cache/siamkit``), an image folder per identity,
text pairs (Quora layout) and labelled texts from CSV/TSV, feature tables and ``.npy`` arrays.

Augmentation (:mod:`.augment`): :class:`ImageAugment`, seeded per-image affine, elastic and
stroke-width distortions of uint8 or float image batches, and :class:`AugmentedLoader`, which
applies it to the inputs of any loader's batches. :func:`expand_classes` makes each rotation or
reflection of a class a new class, so that a metric learned on few classes transfers to new ones.

Building blocks: seeded balanced pairs and triplets (random, or hard by a model), class-disjoint and
stratified splits with leakage checks, P x K and duplicate-group batch samplers, and loaders that
yield the batch formats the trainer feeds to losses (``make_loader(kind, data, batch_size, seed)``).
Every bad input raises a :class:`siamkit.errors.DataError` (or ``ConfigError``/``DownloadError``)
naming the file, line or index and the problem; skipped items are counted and reported.
"""

from .augment import AugmentedLoader, ImageAugment
from .class_expansion import SQUARE_SYMMETRIES, expand_classes
from .containers import LabelledData, PairData
from .digits import load_digits
from .download import download_file
from .duplicate_sampler import DuplicateBatchSampler
from .feature_files import load_arrays, load_feature_table
from .groups import duplicate_groups, normalize_for_groups
from .idx import read_idx
from .image_folder import load_image_folder
from .kjv_web import RetrievalTask, kjv_web_retrieval, load_kjv_web
from .loader_base import BatchLoader
from .factory import BATCH_KINDS, make_loader
from .loaders import DuplicatesLoader, LabelledLoader, PairLoader, TripletLoader
from .mnist import FASHION_MNIST, MNIST, IdxDatasetSpec, IdxFile, load_idx_dataset
from .pairs import balanced_pair_indices, make_pairs
from .paths import default_cache_dir, resolve_data_dir
from .registry import dataset_info, list_datasets, load_dataset
from .samplers import PKBatchSampler, RandomBatchSampler
from .splits import check_no_leakage, class_disjoint_split, train_val_split, train_val_test_split
from .text_files import load_labelled_texts, load_text_pairs
from .tokenizer import Tokenizer
from .triplets import embed_in_batches, hard_triplet_indices, mine_triplets, random_triplet_indices

__all__ = [
    "AugmentedLoader", "BATCH_KINDS", "BatchLoader", "DuplicateBatchSampler", "DuplicatesLoader", "FASHION_MNIST",
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
