"""A corpus for ``siamkit search`` and ``siamkit dedupe``: many inputs named in one or more files,
read the way the model reads them (:mod:`siamkit.inputs`).

* image model: image files and folders (every image inside, recursively);
* text model: text files: ``.txt`` one text per line; ``.csv``/``.tsv`` with a header: the texts
  of a ``text`` column, or the distinct texts of the ``question1``/``question2`` columns of a
  pairs file (Quora layout), in order of first appearance;
* vector model: ``.npy``/``.csv`` files of vectors.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Sequence

from ..errors import DataError
from ..inputs import modality, read_inputs, read_lines

PAIR_COLUMNS = ("question1", "question2")


def text_corpus(path: Path) -> list[str]:
    """The texts of one corpus file (see the module docstring)."""
    lines = read_lines(path)
    if path.suffix.lower() not in (".csv", ".tsv") or not lines:
        return lines
    rows = list(csv.reader(lines, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    header = [h.strip() for h in rows[0]]
    columns = ([header.index("text")] if "text" in header else
               [header.index(c) for c in PAIR_COLUMNS] if set(PAIR_COLUMNS) <= set(header) else
               None)
    if columns is None:
        raise DataError(f"{path}: expected a 'text' column or the columns question1, question2; "
                        f"found {', '.join(header[:8])}")
    texts: dict[str, None] = {}
    for i, row in enumerate(rows[1:], start=2):
        for c in columns:
            if c >= len(row):
                raise DataError(f"{path} line {i}: {len(row)} fields, the header has "
                                f"{len(header)}")
            if row[c].strip():
                texts.setdefault(row[c], None)
    return list(texts)


def read_corpus(model: Any, items: Sequence[str], what: str = "corpus") -> tuple[Any, list[str]]:
    """``(inputs, names)`` of the corpus files ``items`` for ``model``."""
    if not items:
        raise DataError(f"no {what} given")
    if modality(model) == "text":
        texts: list[str] = []
        for item in items:
            path = Path(item)
            if not path.is_file():
                raise DataError(f"{what} {path}: no such file (a text corpus is a file of texts)")
            texts += text_corpus(path)
        if not texts:
            raise DataError(f"{what}: no texts in {', '.join(map(str, items))}")
        return read_inputs(model, texts, what=what)
    return read_inputs(model, list(items), what=what)
