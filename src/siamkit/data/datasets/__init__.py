"""Named datasets: ``load_dataset("digits" | "mnist" | "fashion-mnist" | "kjv-web", split)``.

Each dataset registers itself in :data:`siamkit.registry.DATASETS` next to its definition, with its
splits, options and whether it has an official test split (:mod:`.digits`, :mod:`.mnist`,
:mod:`.kjv_web`); :mod:`.catalog` holds the public wrappers ``load_dataset`` / ``list_datasets`` /
``dataset_info``. The helpers for files on disk: where datasets live (:mod:`.paths`), IDX files
(:mod:`.idx`), checksum-verified downloads (:mod:`.download`).
"""

from .catalog import DatasetInfo, dataset_info, list_datasets, load_dataset
from .digits import load_digits
from .download import download_file
from .idx import read_idx
from .kjv_web import RetrievalTask, kjv_web_retrieval, load_kjv_web
from .mnist import FASHION_MNIST, MNIST, IdxDatasetSpec, IdxFile, load_idx_dataset
from .paths import default_cache_dir, resolve_data_dir

__all__ = [
    "DatasetInfo", "FASHION_MNIST", "IdxDatasetSpec", "IdxFile", "MNIST", "RetrievalTask",
    "dataset_info", "default_cache_dir", "download_file", "kjv_web_retrieval", "list_datasets",
    "load_dataset", "load_digits", "load_idx_dataset", "load_kjv_web", "read_idx",
    "resolve_data_dir",
]
