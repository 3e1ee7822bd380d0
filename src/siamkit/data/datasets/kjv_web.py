"""kjv-web: 31,095 Bible verses aligned between the King James Version and the World English Bible.

A real English paraphrase corpus in the Quora Question Pairs layout (``question1`` = KJV verse,
``question2`` = WEB verse, ``is_duplicate`` = 1, ``reference`` = "John 3:16"), read from
``<data_dir>/paraphrase/kjv_web_pairs.tsv`` by the generic :func:`load_text_pairs`. siamkit cannot
download it; the error for a missing file says where to put it.

Fixed benchmark split, so results compare: rows before the first ``Matthew 1:1`` row are the Old
Testament (23,145 pairs: ``"train"``, optionally minus a seeded ``"val"`` part); from it on, the New
Testament (7,950 pairs: ``"test"``). Duplicate groups (:func:`siamkit.data.groups.duplicate_groups`)
are computed over the whole file, so group ids are comparable between splits, and the train/val
split keeps each group on one side: the 71 verses "And the LORD spake unto Moses, saying," are one
group.

:func:`kjv_web_retrieval` gives the retrieval task: each KJV test verse is a query whose answer is
the WEB verse of its row among all 7,950 WEB test verses (Recall@1, Recall@5 with labels = row
index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from ...errors import ConfigError, DataError
from ...registry import DATASETS
from ..containers import PairData
from ..groups import duplicate_groups
from ..readers.text_files import load_text_pairs
from ..seeding import SeedLike
from ..splits import train_val_split
from .paths import resolve_data_dir, where_from

FILE_NAME = "kjv_web_pairs.tsv"
FOLDER = "paraphrase"
FIRST_TEST_REFERENCE = "Matthew 1:1"
SPLITS = ("train", "val", "test", "all")


def _load_all(data_dir) -> PairData:
    path = resolve_data_dir(data_dir) / FOLDER / FILE_NAME
    if not path.is_file():
        raise DataError(f"kjv-web: {path} not found (data directory from {where_from(data_dir)}). "
                        f"siamkit cannot download it: put {FILE_NAME} (tab-separated: id, qid1, "
                        f"qid2, question1, question2, is_duplicate, reference) in {path.parent}/")
    data = load_text_pairs(path, key="reference", quoting=False, name="kjv-web/all")
    data.groups = duplicate_groups(data.x1, data.x2)
    return data


def _first_test_row(data: PairData) -> int:
    try:
        return (data.keys or []).index(FIRST_TEST_REFERENCE)
    except ValueError:
        raise DataError(f"kjv-web: no row with reference {FIRST_TEST_REFERENCE!r}; cannot make "
                        f"the Old/New Testament split") from None


def load_kjv_web(split: str = "train", data_dir=None, *, val_fraction: float = 0.0,
                 seed: SeedLike = 0) -> PairData:
    """Pairs of ``split``: ``"train"`` (Old Testament, minus ``val`` when ``val_fraction`` > 0),
    ``"val"``, ``"test"`` (New Testament) or ``"all"``. Labels are all 1 (= duplicate)."""
    if split not in SPLITS:
        raise ConfigError(f"kjv-web: unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if split == "val" and not val_fraction:
        raise ConfigError("kjv-web: split='val' needs val_fraction > 0 (e.g. 0.1), a seeded part "
                          "of the Old Testament rows")
    data = _load_all(data_dir)
    if split == "all":
        return data
    first = _first_test_row(data)
    if split == "test":
        return data.subset(torch.arange(first, len(data)), name="kjv-web/test")
    old = data.subset(torch.arange(first), name="kjv-web/train")
    if not val_fraction:
        return old
    train, val = train_val_split(old, val_fraction, seed)
    return train if split == "train" else val



@DATASETS.register("kjv-web", splits=SPLITS, official_test=True, options=(), yields="pairs",
                   modality="text")
def kjv_web_dataset(split: str, data_dir: Any, seed: SeedLike, val_fraction: float | None,
                    **options: Any) -> PairData:
    """31,095 KJV/WEB verse paraphrase pairs; OT train, NT test"""
    return load_kjv_web(split, data_dir, val_fraction=val_fraction or 0.0, seed=seed)


@dataclass
class RetrievalTask:
    """Queries and references where ``query_labels[i] == reference_labels[j]`` marks the answer.

    ``groups`` (int64 ``[R]``) are the duplicate groups of the references: using them as labels
    also counts an identical verse of another row as a hit.
    """

    queries: list[str]
    references: list[str]
    query_labels: Tensor
    reference_labels: Tensor
    groups: Tensor
    name: str


def kjv_web_retrieval(data_dir=None) -> RetrievalTask:
    """KJV test verses as queries, WEB test verses as references, labels = row index."""
    test = load_kjv_web("test", data_dir)
    rows = torch.arange(len(test))
    return RetrievalTask(list(test.x1), list(test.x2), rows, rows.clone(),
                         test.groups if test.groups is not None else rows.clone(),
                         "kjv-web/test-retrieval")
