"""Reading CSV/TSV files with errors that name the file, the line and the column.

Shared by the text-pair, labelled-text and feature-table loaders. The delimiter is a tab for
``.tsv``/``.tab`` files, a comma for ``.csv``, otherwise a tab when the header line holds one.
Fields may be quoted the CSV way (``quoting=True``, as in Quora's files) or taken literally
(``quoting=False``). The first row is the header. Blank lines are counted, not read; a row whose
field count differs from the header's is an error (the usual sign of a wrong delimiter or quoting).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ...errors import ConfigError, DataError


class RowError(DataError):
    """A bad value in one row; ``reason`` is the short kind of problem used to count skips."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Table:
    """The rows of a delimited file as strings, with the line number of each row."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    blank_lines: int = 0

    def index(self, column: str) -> int:
        return self.header.index(column)

    def column(self, column: str) -> list[str]:
        i = self.index(column)
        return [row[i] for row in self.rows]

    def where(self, row: int, column: str | None = None) -> str:
        """``"file.csv line 7, column 'label'"`` for messages."""
        col = f", column {column!r}" if column else ""
        return f"{self.path} line {self.lines[row]}{col}"


def _delimiter(path: Path, first_line: str) -> str:
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    if path.suffix.lower() == ".csv":
        return ","
    return "\t" if "\t" in first_line else ","


def read_table(path: str | Path, required: Sequence[str], *, delimiter: str | None = None,
               quoting: bool = True) -> Table:
    """Read ``path``; every name in ``required`` must be a header column."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if not path.is_file():
        raise DataError(f"{path}: is a folder, expected a CSV/TSV file")
    if delimiter is not None and len(delimiter) != 1:
        raise ConfigError(f"delimiter: expected one character, got {delimiter!r}")
    rows, lines, blank = [], [], 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter or _delimiter(path, first),
                                quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise DataError(f"{path}: empty file (no header row)")
            header = [h.strip() for h in header]
            for row in reader:
                if not row:
                    blank += 1
                    continue
                if len(row) != len(header):
                    raise DataError(f"{path} line {reader.line_num}: {len(row)} fields, but the "
                                    f"header has {len(header)} (wrong delimiter or quoting?)")
                rows.append(row)
                lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.start} of a chunk after line "
                        f"{lines[-1] if lines else 1})") from None
    except csv.Error as exc:
        raise DataError(f"{path} line {reader.line_num}: malformed CSV ({exc})") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(map(repr, missing))} "
                        f"(columns found: {', '.join(header)})")
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    return Table(path, header, rows, lines, blank)


def parse_number(table: Table, row: int, column: str, value: str) -> float:
    """``float(value)``, or a :class:`DataError` naming the file, line and column."""
    text = value.strip()
    if not text:
        raise RowError(f"{table.where(row, column)}: empty value", "empty value")
    try:
        number = float(text)
    except ValueError:
        raise RowError(f"{table.where(row, column)}: {text[:30]!r} is not a number",
                       "non-numeric value") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise RowError(f"{table.where(row, column)}: {text!r} is not a finite number",
                       "non-finite value")
    return number


def class_ids(names: Sequence[str]) -> tuple[list[int], list[str]]:
    """Class ids for label strings; classes sorted numerically when all are integers, else by
    name."""
    unique = set(names)
    try:
        ordered = sorted(unique, key=lambda s: (int(s), s))
    except ValueError:
        ordered = sorted(unique)
    lookup = {name: i for i, name in enumerate(ordered)}
    return [lookup[n] for n in names], ordered
