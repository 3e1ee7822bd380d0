"""Character n-gram ("subword") ids of words: the fastText scheme.

Bojanowski, Grave, Joulin and Mikolov, "Enriching Word Vectors with Subword Information" (TACL 2017):
a word is wrapped in ``<`` and ``>`` and cut into its character n-grams of lengths ``min_n..max_n``
("paul", 3..4 -> ``<pa``, ``pau``, ``aul``, ``ul>``, ``<pau``, ``paul``, ``aul>``); each n-gram is
hashed into one of ``buckets`` ids. A text encoder represents a word by the mean of its own vector
and its n-grams' vectors (:class:`siamkit.encoders.RNNEncoder` does so for ``[B, L, 1 + K]`` ids),
so a word never seen in training still gets a trained vector, built from the n-grams it shares with
training words, and the same vector in every text.

The hash is crc32, not ``hash()``: Python salts string hashes per process, and the ids must be the
same after a model is saved and reloaded.
"""

from __future__ import annotations

import zlib
from typing import Sequence

from ...errors import ConfigError


def char_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of ``<word>``, shortest first, left to right (duplicates kept)."""
    wrapped = f"<{word}>"
    return [wrapped[i:i + n] for n in range(min_n, max_n + 1)
            for i in range(len(wrapped) - n + 1)]


def ngram_ids(word: str, min_n: int, max_n: int, buckets: int, offset: int) -> list[int]:
    """Ids ``offset + crc32(ngram) % buckets`` of the word's character n-grams."""
    return [offset + zlib.crc32(g.encode("utf-8")) % buckets for g in char_ngrams(word, min_n, max_n)]


def check_ngram_range(value: Sequence[int] | None, buckets: int) -> tuple[int, int] | None:
    """``subword_ngrams`` as a ``(min_n, max_n)`` tuple, or None; raises ConfigError when invalid."""
    if value is None:
        if int(buckets) != 0:
            raise ConfigError(f"subword_buckets: {buckets} given but subword_ngrams is None; set "
                              f"subword_ngrams=(min_n, max_n), e.g. (3, 5)")
        return None
    try:
        min_n, max_n = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"subword_ngrams: expected (min_n, max_n), got {value!r}") from None
    if not 1 <= min_n <= max_n:
        raise ConfigError(f"subword_ngrams: need 1 <= min_n <= max_n, got ({min_n}, {max_n})")
    if int(buckets) < 1:
        raise ConfigError(f"subword_buckets: must be at least 1 with subword_ngrams, got {buckets}")
    return min_n, max_n
