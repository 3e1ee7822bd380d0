"""Text pairs and labelled texts from CSV/TSV files.

:func:`load_text_pairs` reads the Quora Question Pairs layout (``question1``, ``question2``,
``is_duplicate``; Iyer, Dandekar & Csernai 2017) or any other with configurable column names. Labels
are **1 = duplicate (same)**, 0 = different; with ``scores=True`` any finite number is accepted as a
similarity score (higher = more similar, e.g. STS scores 0-5). :func:`load_labelled_texts` reads one
text and one class label per row (class names may be any non-empty strings).

A bad row (empty or non-numeric label, a label other than 0/1 without ``scores``) raises
:class:`siamkit.errors.DataError` naming the file, line and column; with ``on_error="skip"`` such
rows are skipped, counted in ``info["skipped"]`` and reported in one :class:`SiamkitWarning`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from ...errors import ConfigError, DataError
from ..containers import LabelledData, PairData
from ..groups import duplicate_groups
from .register import given, register_reader
from .skips import SkipCounter
from .tables import RowError, Table, class_ids, parse_number, read_table


def read_rows(table: Table, on_error: str, read: Callable[[int], object]
              ) -> tuple[list, list[int], dict]:
    """``read(i)`` for every row; its DataErrors raise or are counted, as ``on_error`` says.

    Returns the values, the indices of the rows kept, and an ``info`` dict with the counts.
    """
    if on_error not in ("raise", "skip"):
        raise ConfigError(f"on_error: expected 'raise' or 'skip', got {on_error!r}")
    skips = SkipCounter(str(table.path))
    values, kept = [], []
    for i in range(len(table.rows)):
        try:
            values.append(read(i))
            kept.append(i)
        except RowError as exc:
            if on_error == "raise":
                raise
            skips.add(exc.reason, f"line {table.lines[i]}")
    skips.warn(of_total=len(table.rows), unit="rows")
    if not kept:
        raise DataError(f"{table.path}: no usable rows (all {len(table.rows)} were skipped)")
    return values, kept, {"skipped": skips.summary(), "blank_lines": table.blank_lines}


def load_text_pairs(path: str | Path, *, text1: str = "question1", text2: str = "question2",
                    label: str = "is_duplicate", scores: bool = False, key: str | None = None,
                    delimiter: str | None = None, quoting: bool = True, on_error: str = "raise",
                    name: str | None = None) -> PairData:
    """Pairs of texts with labels (**1 = duplicate**, 0 = different) or similarity scores.

    ``key`` names an optional column of row names (e.g. ``"reference"``) kept as ``keys``;
    ``ids`` are the data-row numbers (0-based) in the file.
    """
    required = [text1, text2, label] + ([key] if key else [])
    table = read_table(path, required, delimiter=delimiter, quoting=quoting)
    c1, c2, cl = table.index(text1), table.index(text2), table.index(label)

    def read(i: int) -> float:
        value = parse_number(table, i, label, table.rows[i][cl])
        if not scores and value not in (0.0, 1.0):
            raise RowError(f"{table.where(i, label)}: label {table.rows[i][cl]!r} must be 0 or 1 "
                           f"(pass scores=True for continuous similarity scores)", "label not 0/1")
        return value

    labels, kept, info = read_rows(table, on_error, read)
    rows = [table.rows[i] for i in kept]
    keys = [r[table.index(key)] for r in rows] if key else None
    data = PairData([r[c1] for r in rows], [r[c2] for r in rows], torch.tensor(labels),
                    name=name or Path(path).stem, ids=torch.tensor(kept), keys=keys,
                    info=info)
    data.info["empty_texts"] = sum(1 for r in rows if not r[c1].strip() or not r[c2].strip())
    return data


def load_labelled_texts(path: str | Path, *, text: str = "text", label: str = "label",
                        delimiter: str | None = None, quoting: bool = True,
                        on_error: str = "raise", name: str | None = None) -> LabelledData:
    """One text and one class label per row; classes sorted (numerically if all are integers)."""
    table = read_table(path, [text, label], delimiter=delimiter, quoting=quoting)
    ct, cl = table.index(text), table.index(label)

    def read(i: int) -> str:
        value = table.rows[i][cl].strip()
        if not value:
            raise RowError(f"{table.where(i, label)}: empty label", "empty label")
        return value

    labels, kept, info = read_rows(table, on_error, read)
    y, classes = class_ids(labels)
    return LabelledData([table.rows[i][ct] for i in kept], torch.tensor(y), classes,
                        name or Path(path).stem, ids=torch.tensor(kept),
                        info=info)


@register_reader("text_pairs", keys=("text1", "text2", "label", "delimiter", "on_error"),
                 suffixes=(".csv", ".tsv", ".txt"),
                 columns=("question1", "question2", "is_duplicate"), yields=("pairs",),
                 modalities=("text",))
def read_text_pairs(path: str | Path, *, text1: str | None = None, text2: str | None = None,
                    label: str | None = None, delimiter: str | None = None,
                    on_error: str = "raise") -> PairData:
    """Text pairs labelled 1 = duplicate, 0 = different, from CSV/TSV (Quora layout by default)."""
    pairs = load_text_pairs(path, on_error=on_error,
                            **given(text1=text1, text2=text2, label=label, delimiter=delimiter))
    if pairs.groups is None:  # duplicates must not straddle splits, nor be in-batch negatives
        pairs.groups = duplicate_groups(pairs.x1, pairs.x2)
    return pairs


@register_reader("labelled_texts", keys=("text", "label", "delimiter", "on_error"),
                 suffixes=(".csv", ".tsv", ".txt"), columns=("text", "label"), yields=("labelled",),
                 modalities=("text",))
def read_labelled_texts(path: str | Path, *, text: str | None = None, label: str | None = None,
                        delimiter: str | None = None, on_error: str = "raise") -> LabelledData:
    """One text and its class per row, from CSV/TSV."""
    return load_labelled_texts(path, on_error=on_error,
                               **given(text=text, label=label, delimiter=delimiter))
