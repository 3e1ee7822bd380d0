"""Seeded splits and the guards against leakage between them.

* :func:`train_val_split` / :func:`train_val_test_split`: stratified by class for
  :class:`LabelledData` (scikit-learn's ``train_test_split``); for :class:`PairData`, by duplicate
  group when ``groups`` is set (``GroupShuffleSplit``), so that no duplicate group straddles two
  splits. Indices keep their original order inside each split.
* :func:`class_disjoint_split`: train on some classes, test one-shot on the others (Koch, Zemel &
  Salakhutdinov 2015, "Siamese neural networks for one-shot image recognition").
* :func:`check_no_leakage`: raises :class:`siamkit.errors.DataError` when the same sample
  (``by="ids"``), identical content (``"content"``), a duplicate group (``"groups"``) or a class
  (``"classes"``) appears in two splits. ``ids`` are only comparable between splits of one source.
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Sequence, Union

import numpy as np
import torch

from ..errors import ConfigError, DataError
from .containers import LabelledData, PairData
from .seeding import SeedLike, as_rng, as_seed

Data = Union[LabelledData, PairData]


def _check_fraction(value: float, what: str) -> None:
    if not 0.0 < float(value) < 1.0:
        raise ConfigError(f"{what}: expected a fraction between 0 and 1, got {value!r}")


def train_val_split(data: Data, val_fraction: float, seed: SeedLike = 0, *, stratify: bool = True
                    ) -> tuple[Data, Data]:
    """Split into ``(train, val)``; val holds about ``val_fraction`` of the samples (or groups)."""
    from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit, train_test_split

    _check_fraction(val_fraction, "val_fraction")
    random_state = as_seed(seed) % (2**32)
    n = len(data)
    try:
        if isinstance(data, PairData):
            splitter = (GroupShuffleSplit if data.groups is not None else ShuffleSplit)(
                n_splits=1, test_size=val_fraction, random_state=random_state)
            train, val = next(splitter.split(np.zeros(n), groups=None if data.groups is None
                                             else data.groups.numpy()))
        else:
            train, val = train_test_split(np.arange(n), test_size=val_fraction,
                                          random_state=random_state,
                                          stratify=data.y.numpy() if stratify else None)
    except ValueError as exc:
        raise DataError(f"{data.name}: cannot split off val_fraction={val_fraction}: "
                        f"{exc}") from None
    base = data.name.split("/")[0]
    return (data.subset(np.sort(train), name=f"{base}/train"),
            data.subset(np.sort(val), name=f"{base}/val"))


def train_val_test_split(data: Data, val_fraction: float, test_fraction: float,
                         seed: SeedLike = 0, *, stratify: bool = True) -> tuple[Data, Data, Data]:
    """Split into ``(train, val, test)`` with the given fractions of the whole."""
    _check_fraction(test_fraction, "test_fraction")
    _check_fraction(val_fraction + test_fraction, "val_fraction + test_fraction")
    rng = as_rng(seed)
    rest, test = train_val_split(data, test_fraction, as_seed(rng), stratify=stratify)
    train, val = train_val_split(rest, val_fraction / (1.0 - test_fraction), as_seed(rng),
                                 stratify=stratify)
    base = data.name.split("/")[0]
    test.name = f"{base}/test"
    return train, val, test


def class_disjoint_split(data: LabelledData, test_classes: Union[int, float, Sequence],
                         seed: SeedLike = 0) -> tuple[LabelledData, LabelledData]:
    """``(train, test)`` with no class in common; class ids renumbered within each split.

    ``test_classes``: how many classes (int), what fraction of them (float in (0, 1)), or which
    (a sequence of class names or ids) go to the test side.
    """
    present = torch.unique(data.y).tolist()
    if isinstance(test_classes, (list, tuple, set, np.ndarray, torch.Tensor)):
        names = {name: i for i, name in enumerate(data.classes or [])}
        chosen = []
        wanted = (test_classes.tolist() if isinstance(test_classes, (np.ndarray, torch.Tensor))
                  else list(test_classes))
        for c in wanted:  # a class name first, else a class id
            cid = names.get(str(c), c if isinstance(c, (int, np.integer)) else None)
            if cid is None or int(cid) not in present:
                raise DataError(f"{data.name}: test class {c!r} has no samples in this dataset")
            chosen.append(int(cid))
    else:
        count = (round(float(test_classes) * len(present)) if isinstance(test_classes, float)
                 else int(test_classes))
        if not 1 <= count < len(present):
            raise ConfigError(f"test_classes={test_classes!r}: need between 1 and "
                              f"{len(present) - 1} of the {len(present)} classes")
        chosen = as_rng(seed).choice(present, size=count, replace=False).tolist()
    if len(set(chosen)) >= len(present):
        raise DataError(f"{data.name}: every class is a test class; none left to train on")
    is_test = torch.isin(data.y, torch.tensor(sorted(set(chosen))))
    base = data.name.split("/")[0]
    return (data.subset(~is_test, compact_classes=True, name=f"{base}/train-classes"),
            data.subset(is_test, compact_classes=True, name=f"{base}/test-classes"))


def _fingerprints(data: Data, by: str) -> list:
    if by == "ids":
        return data.ids.tolist()
    if by == "groups":
        if not isinstance(data, PairData) or data.groups is None:
            raise ConfigError(f"by='groups': {data.name} has no duplicate groups")
        return data.groups.tolist()
    if by == "classes":
        if not isinstance(data, LabelledData):
            raise ConfigError(f"by='classes': {data.name} is not labelled data")
        return [data.classes[c] for c in torch.unique(data.y).tolist()]
    if by == "content":
        parts = [data.x] if isinstance(data, LabelledData) else [data.x1, data.x2]
        out = []
        for x in parts:
            if isinstance(x, list):
                out += [" ".join(unicodedata.normalize("NFKC", t).casefold().split()) for t in x]
            else:
                rows = x.reshape(len(x), -1).contiguous().numpy()
                out += [hashlib.blake2b(r.tobytes(), digest_size=16).hexdigest() for r in rows]
        return out
    raise ConfigError(f"by={by!r}: expected ids, content, groups or classes")


def check_no_leakage(*splits: Data, by: str = "ids") -> None:
    """Raise :class:`DataError` if two splits share a sample (or content, group or class, as
    ``by`` says)."""
    seen = [(s.name, _fingerprints(s, by)) for s in splits]
    for i, (name_a, a) in enumerate(seen):
        set_a = set(a)
        for name_b, b in seen[i + 1:]:
            shared = set_a.intersection(b)
            if shared:
                examples = ", ".join(repr(v)[:40] for v in sorted(shared, key=str)[:3])
                raise DataError(f"leakage: {len(shared)} {by} shared by {name_a!r} and "
                                f"{name_b!r} (e.g. {examples})")
