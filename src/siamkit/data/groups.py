"""Duplicate groups: which rows of a pair dataset must never be each other's negatives.

In-batch losses (multiple negatives ranking, hard-negative triplets; Henderson et al. 2017,
"Efficient natural language response suggestion for smart reply") treat every other row of a batch
as a negative. That is only right if no other row is a true duplicate. Each row starts as its own
group; rows are merged (union-find) whenever they share a *normalised* text in either column, since
then one row's text is a duplicate of the other's. Normalisation: NFKC, case-folded, punctuation and
extra spaces dropped (``"And the LORD spake unto Moses, saying,"`` and ``"and the lord spake unto
moses saying"`` are one text). For tensors, identical rows (byte for byte) are the same sample.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Sequence

import torch
from torch import Tensor

_WORD = re.compile(r"\w+")


def normalize_for_groups(text: str) -> str:
    """The form under which two texts count as the same: words only, NFKC, case-folded."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _keys(x: Tensor | Sequence[str]) -> list:
    if isinstance(x, Tensor):
        rows = x.reshape(len(x), -1).contiguous().numpy()
        return [hashlib.blake2b(r.tobytes(), digest_size=16).digest() for r in rows]
    return [normalize_for_groups(t) for t in x]


def duplicate_groups(*columns: Tensor | Sequence[str]) -> Tensor:
    """int64 group id per row (0..G-1 in order of first row): rows sharing any sample are merged."""
    n = len(columns[0])
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first_row: dict = {}
    for column in columns:
        for row, key in enumerate(_keys(column)):
            other = first_row.setdefault(key, row)
            if other != row:
                ra, rb = find(row), find(other)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    roots = [find(i) for i in range(n)]
    _, ids = torch.unique(torch.tensor(roots, dtype=torch.long), return_inverse=True)
    return ids
