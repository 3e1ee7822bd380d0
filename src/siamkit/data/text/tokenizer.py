"""A word-level tokenizer and vocabulary learned from training texts, saved as plain JSON.

Texts are Unicode-normalised (NFKC by default), optionally lower-cased (``str.casefold``), and split
by the regular expression ``\\w+|[^\\w\\s]``: runs of letters/digits, and every other non-space
character (punctuation) as a token of its own. The vocabulary keeps the ``max_vocab_size - 2`` most
frequent tokens seen at least ``min_freq`` times (ties broken alphabetically, so fitting is
deterministic) after two reserved ids: **0 = "<pad>"** (what text encoders recognise as padding) and
**1 = "<unk>"** (any token not in the vocabulary).

``encode`` returns int64 ids ``[B, L]`` padded with 0, ``L`` the longest text of the batch (capped
at ``max_length``, longer texts are cut at the end). It never emits an empty row: a text with no
token becomes one ``<unk>``, so every row has at least one real position.

``oov_buckets`` > 0 gives tokens outside the vocabulary hashed ids instead of the one ``<unk>``
(the hashing trick of Weinberger et al. 2009; Keras' ``StringLookup(num_oov_indices=...)``): id
``len(vocab_) + crc32(token) % oov_buckets``. The same unknown word then gets the same id in every
text, so a twin model can still see that two texts share a name it never saw in training; with
``min_freq`` > 1 the training words left out of the vocabulary share (and so train) those ids. ``to_dict``/``from_dict``
give the plain JSON that a model stores inside its ``config.json``.

``subword_ngrams=(min_n, max_n)`` with ``subword_buckets`` > 0 adds the character n-grams of each
word, fastText style (:mod:`.subwords`; Bojanowski et al. 2017): ``encode`` then returns
``[B, L, 1 + K]``: column 0 the word id as above (0 at padding), columns 1.. the ids
``len(vocab_) + oov_buckets + crc32(ngram) % subword_buckets`` of its n-grams, padded with 0 to the
batch's most n-grams. Text encoders average a word's vector with its n-grams' vectors, so unseen words
(names) get a consistent, trained representation.
"""

from __future__ import annotations

import json
import re
import zlib
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from torch import Tensor

from ...errors import ConfigError, DataError, ModelFileError
from .subwords import check_ngram_range, ngram_ids

_TOKEN = re.compile(r"\w+|[^\w\s]")
_FORMS = ("NFC", "NFKC", "NFD", "NFKD")
_KEYS = {"type", "format_version", "lowercase", "normalization", "max_vocab_size", "min_freq",
         "vocab", "oov_buckets", "subword_ngrams", "subword_buckets"}


class Tokenizer:
    """Word-level tokenizer: ``fit(texts)``, then ``encode(texts) -> LongTensor [B, L]``."""

    PAD, UNK = "<pad>", "<unk>"
    pad_id, unk_id = 0, 1

    def __init__(self, *, lowercase: bool = True, normalization: str | None = "NFKC",
                 max_vocab_size: int | None = 30_000, min_freq: int = 1,
                 oov_buckets: int = 0, subword_ngrams: tuple[int, int] | None = None,
                 subword_buckets: int = 0) -> None:
        self.lowercase = lowercase
        self.normalization = normalization
        self.max_vocab_size = max_vocab_size
        self.min_freq = min_freq
        self.oov_buckets = oov_buckets
        self.subword_ngrams = subword_ngrams
        self.subword_buckets = subword_buckets

    # ---- text to tokens --------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        if self.normalization:
            text = unicodedata.normalize(self.normalization, text)
        return text.casefold() if self.lowercase else text

    def tokenize(self, text: str) -> list[str]:
        return _TOKEN.findall(self.normalize(text))

    # ---- learning --------------------------------------------------------------------------------
    def fit(self, texts: Iterable[str]) -> "Tokenizer":
        """Learn the vocabulary from ``texts`` (a list of strings); returns ``self``."""
        self._check_params()
        texts = _as_texts(texts, "fit")
        if not texts:
            raise DataError("Tokenizer.fit: no texts given")
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(self.tokenize(text))
        kept = sorted((c for c in counts.items() if c[1] >= self.min_freq),
                      key=lambda c: (-c[1], c[0]))
        cap = None if self.max_vocab_size is None else self.max_vocab_size - 2
        self._set_vocab([self.PAD, self.UNK] + [token for token, _ in kept[:cap]])
        return self

    def _check_params(self) -> None:
        if self.normalization is not None and self.normalization not in _FORMS:
            raise ConfigError(f"normalization: expected one of {', '.join(_FORMS)} or None, "
                              f"got {self.normalization!r}")
        if self.max_vocab_size is not None and int(self.max_vocab_size) < 3:
            raise ConfigError(f"max_vocab_size: must be at least 3 (2 reserved ids), got "
                              f"{self.max_vocab_size}")
        if int(self.min_freq) < 1:
            raise ConfigError(f"min_freq: must be at least 1, got {self.min_freq}")
        if int(self.oov_buckets) < 0:
            raise ConfigError(f"oov_buckets: must be at least 0, got {self.oov_buckets}")
        check_ngram_range(self.subword_ngrams, self.subword_buckets)

    def _set_vocab(self, vocab: list[str]) -> None:
        self.vocab_ = vocab
        self.token_to_id_ = {token: i for i, token in enumerate(vocab)}

    @property
    def vocab_size(self) -> int:
        """Number of ids (what an embedding table needs): vocabulary, OOV and subword buckets."""
        return len(self._fitted().vocab_) + int(self.oov_buckets) + int(self.subword_buckets)

    def _fitted(self) -> "Tokenizer":
        if not hasattr(self, "vocab_"):
            raise ConfigError("Tokenizer is not fitted yet: call fit(training_texts) first")
        return self

    # ---- encoding --------------------------------------------------------------------------------
    def encode_one(self, text: str) -> list[int]:
        """Token ids of one text (at least one id: an empty text is ``[unk_id]``)."""
        lookup = self._fitted().token_to_id_
        if not self.oov_buckets:
            return [lookup.get(token, self.unk_id) for token in self.tokenize(text)] or [self.unk_id]
        return [self._id_or_bucket(token) for token in self.tokenize(text)] or [self.unk_id]

    def _id_or_bucket(self, token: str) -> int:
        i = self.token_to_id_.get(token)
        if i is not None:
            return i
        # crc32, not hash(): Python salts str hashes per process, and ids must survive a reload.
        return len(self.vocab_) + zlib.crc32(token.encode("utf-8")) % int(self.oov_buckets)

    def encode(self, texts: str | Sequence[str], max_length: int | None = None,
               return_lengths: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """int64 ids ``[B, L]`` padded with 0 (``[B, L, 1 + K]`` with subwords); with
        ``return_lengths`` also the lengths ``[B]``."""
        texts = _as_texts([texts] if isinstance(texts, str) else texts, "encode")
        if max_length is not None and int(max_length) < 1:
            raise ConfigError(f"max_length: must be at least 1, got {max_length}")
        if self.subword_ngrams is not None:
            index, lengths, table = self.encode_table(texts, max_length)
            ids_t = torch.from_numpy(table[index])
            return (ids_t, torch.from_numpy(lengths)) if return_lengths else ids_t
        rows = [self.encode_one(text) for text in texts]
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        if max_length is not None:
            lengths = np.minimum(lengths, int(max_length))
        ids = np.zeros((len(rows), int(lengths.max(initial=1))), dtype=np.int64)
        for i, (row, n) in enumerate(zip(rows, lengths)):
            ids[i, :n] = row[:n]
        ids_t = torch.from_numpy(ids)
        return (ids_t, torch.from_numpy(lengths)) if return_lengths else ids_t

    def encode_table(self, texts: Sequence[str], max_length: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Subword ids, compactly: ``(index [N, L], lengths [N], table [T, 1 + K])``, int64.

        ``table`` holds one id row per distinct token of ``texts`` (row 0: padding, all zeros) and
        ``index`` the texts as rows of it, so ``table[index]`` is what ``encode`` returns; a
        data source keeps these instead of the much larger ``[N, L, 1 + K]`` array.
        """
        if self.subword_ngrams is None:
            raise ConfigError("encode_table: this tokenizer has no subword_ngrams")
        self._fitted()
        min_n, max_n = check_ngram_range(self.subword_ngrams, self.subword_buckets)
        offset = len(self.vocab_) + int(self.oov_buckets)
        row_of: dict[str | None, int] = {}
        table: list[list[int]] = [[self.pad_id]]
        index: list[list[int]] = []
        for text in texts:
            tokens = self.tokenize(text)[:max_length] or [None]  # an empty text: one <unk>
            for token in tokens:
                if token not in row_of:
                    row_of[token] = len(table)
                    table.append([self.unk_id] if token is None else [self._word_id(token)] + ngram_ids(
                        token, min_n, max_n, int(self.subword_buckets), offset))
            index.append([row_of[token] for token in tokens])
        lengths = np.array([len(r) for r in index], dtype=np.int64)
        index_a = np.zeros((len(index), int(lengths.max(initial=1))), dtype=np.int64)
        for i, row in enumerate(index):
            index_a[i, :len(row)] = row
        table_a = np.zeros((len(table), max(len(r) for r in table)), dtype=np.int64)
        for i, row in enumerate(table):
            table_a[i, :len(row)] = row
        return index_a, lengths, table_a

    def _word_id(self, token: str) -> int:
        if self.oov_buckets:
            return self._id_or_bucket(token)
        return self.token_to_id_.get(token, self.unk_id)

    def decode(self, ids: Tensor | Sequence[Sequence[int]]) -> list[str]:
        """Texts of tokens joined by spaces (padding dropped); a 1-D input is one text. Subword
        ids ``[B, L, 1 + K]`` are decoded from their word column."""
        if isinstance(ids, Tensor) and ids.dim() == 3:
            ids = ids[..., 0]
        rows = ids.tolist() if isinstance(ids, Tensor) else [list(r) for r in ids]
        if rows and not isinstance(rows[0], list):
            rows = [rows]
        vocab = self._fitted().vocab_
        size = len(vocab) + int(self.oov_buckets)  # the word ids; subword ids are not words
        out = []
        for r, row in enumerate(rows):
            bad = [i for i in row if not 0 <= int(i) < size]
            if bad:
                raise DataError(f"decode: row {r} holds id {bad[0]}, outside the vocabulary "
                                f"(0..{size - 1})")
            # An OOV bucket cannot be turned back into its word: it shows as <unk:bucket>.
            out.append(" ".join(vocab[int(i)] if int(i) < len(vocab)
                                else f"<unk:{int(i) - len(vocab)}>"
                                for i in row if int(i) != self.pad_id))
        return out

    # ---- JSON ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"type": "word", "format_version": 1, "lowercase": bool(self.lowercase),
                "normalization": self.normalization, "max_vocab_size": self.max_vocab_size,
                "min_freq": int(self.min_freq), "oov_buckets": int(self.oov_buckets),
                "subword_ngrams": None if self.subword_ngrams is None else list(self.subword_ngrams),
                "subword_buckets": int(self.subword_buckets), "vocab": list(self._fitted().vocab_)}

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> "Tokenizer":
        if not isinstance(config, dict):
            raise ConfigError(f"tokenizer: expected a JSON object, got {type(config).__name__}")
        unknown = set(config) - _KEYS
        if unknown:
            raise ConfigError(f"tokenizer: unknown key(s) {', '.join(sorted(unknown))}")
        if config.get("type", "word") != "word":
            raise ConfigError(f"tokenizer: type {config.get('type')!r} is not 'word'")
        vocab = config.get("vocab")
        if (not isinstance(vocab, list) or vocab[:2] != [cls.PAD, cls.UNK]
                or not all(isinstance(t, str) for t in vocab) or len(set(vocab)) != len(vocab)):
            raise ConfigError("tokenizer: key 'vocab' must be a list of distinct strings starting "
                              "with '<pad>', '<unk>'")
        tok = cls(lowercase=bool(config.get("lowercase", True)),
                  normalization=config.get("normalization", "NFKC"),
                  max_vocab_size=config.get("max_vocab_size"), min_freq=config.get("min_freq", 1),
                  oov_buckets=config.get("oov_buckets", 0),
                  subword_ngrams=config.get("subword_ngrams"),
                  subword_buckets=config.get("subword_buckets", 0))
        tok._check_params()
        tok._set_vocab(list(vocab))
        return tok

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Tokenizer":
        try:
            config = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelFileError(f"{path}: tokenizer file not found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{path}: not a tokenizer JSON file ({exc})") from None
        return cls.from_dict(config)

    def __repr__(self) -> str:
        size = len(self.vocab_) if hasattr(self, "vocab_") else "unfitted"
        return f"Tokenizer(lowercase={self.lowercase}, vocab_size={size})"


def _as_texts(texts: Iterable[str], where: str) -> list[str]:
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise DataError(f"Tokenizer.{where}: item {i} is a {type(text).__name__}, not a string")
    return texts
