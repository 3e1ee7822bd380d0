"""A Hugging Face tokenizer (the ``tokenizers`` library's ``tokenizer.json``) in siamkit's storage form.

``encode(texts)`` returns one int64 tensor ``[B, L, 2]``: ``[..., 0]`` the token ids (special tokens
such as ``[CLS]`` / ``[SEP]`` added by the tokenizer's own post-processor), ``[..., 1]`` the
attention mask (1 = a real token, 0 = padding). ``L`` is the longest text *of the batch* (dynamic
padding), each text cut at ``max_length`` tokens by the tokenizer's truncation (which keeps the
special tokens). Why one tensor and not ids plus a mask: everything siamkit batches (data sources,
``model.encode``'s chunks, DataLoaders, ``torch.cat`` of batches) handles a single tensor, and
slicing ``[:, :width]`` trims ids and mask together. Why not ids alone with padding read from a pad
id: a text may contain the pad token itself (``"[PAD]"`` is split out as a special token), so the
ids cannot say where padding is; with the mask in the tensor, padding added by any code with zeros
is still padding (mask 0).

The tokenizer is kept as its ``tokenizer.json`` text, which the Rust ``tokenizers`` library parses
(no Python code, no pickle). A model folder without ``tokenizer.json`` (a BERT ``vocab.txt`` only)
is converted once, when the model is built, by ``transformers.AutoTokenizer`` (``trust_remote_code``
off) and saved as ``tokenizer.json`` with the model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ...errors import ConfigError, DataError, ModelFileError

TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENIZER_BYTES = 200 << 20  # the largest released tokenizer.json files are tens of MB


def _tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise ConfigError("a Hugging Face tokenizer needs the Hugging Face libraries: "
                          "pip install siamkit[text]") from None
    return tokenizers


class HFTokenizer:
    """``tokenizer.json`` text + pad token -> ``encode(texts) -> [B, L, 2]`` (ids, mask)."""

    def __init__(self, tokenizer_json: str, pad_token: str | None = None,
                 max_length: int | None = None, what: str = "tokenizer") -> None:
        try:
            self.backend = _tokenizers().Tokenizer.from_str(tokenizer_json)
        except ConfigError:
            raise
        except Exception as exc:  # the Rust parser's errors: bad JSON, unknown model kinds
            raise ModelFileError(f"{what}: not a readable tokenizer.json ({str(exc)[:200]})") from None
        self.json = tokenizer_json
        self.backend.no_padding()
        self.backend.no_truncation()
        self.pad_token = pad_token
        pad = self.backend.token_to_id(pad_token) if pad_token is not None else None
        self.pad_id = int(pad) if pad is not None else 0
        self.max_length = None if max_length is None else int(max_length)
        if self.max_length is not None:
            if self.max_length < 2:
                raise ConfigError(f"max_length: must be at least 2 (room for the special tokens), "
                                  f"got {max_length}")
            self.backend.enable_truncation(self.max_length)
        model = getattr(self.backend, "model", None)
        unk = getattr(model, "unk_token", None)
        self.unk_id = self.backend.token_to_id(unk) if isinstance(unk, str) else None

    # ---- building --------------------------------------------------------------------------
    @classmethod
    def from_folder(cls, folder: Path, max_length: int | None, what: str) -> "HFTokenizer":
        """The tokenizer of a Hugging Face model folder (``tokenizer.json``, or converted)."""
        from ...encoders.hf_folder import read_json, refuse_remote_code

        config_file = folder / "tokenizer_config.json"
        config = read_json(config_file, what) if config_file.is_file() else {}
        refuse_remote_code(config, config_file, what)
        pad = config.get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        file = folder / TOKENIZER_FILE
        if file.is_file():
            return cls(read_text(file, what), pad if isinstance(pad, str) else None, max_length, what)
        from transformers import AutoTokenizer

        try:
            slow_or_fast = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False,
                                                         local_files_only=True, use_fast=True)
        except Exception as exc:
            raise ModelFileError(f"{what}: {folder} holds no usable tokenizer files "
                                 f"({type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''})"
                                 ) from None
        if not getattr(slow_or_fast, "is_fast", False):
            raise ModelFileError(f"{what}: {folder}: its tokenizer has no fast (tokenizers) form")
        return cls(slow_or_fast.backend_tokenizer.to_str(), slow_or_fast.pad_token, max_length, what)

    @classmethod
    def from_file(cls, file: Path, pad_token: str | None, max_length: int | None, what: str,
                  sha256: str | None = None) -> "HFTokenizer":
        text = read_text(file, what)
        if sha256 is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
            raise ModelFileError(f"{what}: {file} is not the tokenizer this model was saved with "
                                 "(its sha256 differs from the one in config.json)")
        return cls(text, pad_token, max_length, what)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.json.encode("utf-8")).hexdigest()

    @property
    def vocab_size(self) -> int:
        return int(self.backend.get_vocab_size(with_added_tokens=True))

    # ---- texts to ids ----------------------------------------------------------------------
    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` without the special tokens (for the checks of inputs)."""
        return list(self.backend.encode(text, add_special_tokens=False).tokens)

    def knows_no_word(self, text: str) -> bool:
        """True when every token of ``text`` is the unknown token (a tokenizer without one,
        byte-level BPE, represents any text)."""
        if self.unk_id is None:
            return False
        ids = self.backend.encode(text, add_special_tokens=False).ids
        return bool(ids) and all(i == self.unk_id for i in ids)

    def lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Token counts (special tokens included, after truncation) of ``texts``."""
        return np.array([len(e.ids) for e in self.backend.encode_batch(list(texts))], dtype=np.int64)

    def encode(self, texts: str | Sequence[str], max_length: int | None = None,
               return_lengths: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """int64 ``[B, L, 2]`` (ids, attention mask), ``L`` the batch's longest (see the module
        docstring); with ``return_lengths`` also the token counts ``[B]``. ``max_length`` other
        than the tokenizer's own is an error: a model is trained and used at one length."""
        if max_length is not None and max_length != self.max_length:
            raise ConfigError(f"max_length={max_length}: this tokenizer cuts texts at "
                              f"{self.max_length} tokens (set it when building the model)")
        texts = [texts] if isinstance(texts, str) else list(texts)
        bad = [i for i, t in enumerate(texts) if not isinstance(t, str)]
        if bad:
            raise DataError(f"texts: item #{bad[0]} is a {type(texts[bad[0]]).__name__}, not a string")
        encodings = self.backend.encode_batch(texts, add_special_tokens=True)
        lengths = np.array([len(e.ids) for e in encodings], dtype=np.int64)
        out = np.zeros((len(texts), int(lengths.max(initial=1)), 2), dtype=np.int64)
        out[..., 0] = self.pad_id
        for row, (enc, n) in enumerate(zip(encodings, lengths)):
            out[row, :n, 0] = enc.ids
            out[row, :n, 1] = 1
        ids = torch.from_numpy(out)
        return (ids, torch.from_numpy(lengths)) if return_lengths else ids

    def __repr__(self) -> str:
        return f"HFTokenizer(vocab_size={self.vocab_size}, max_length={self.max_length})"


def read_text(file: Path, what: str) -> str:
    try:
        size = file.stat().st_size
    except OSError:
        raise ModelFileError(f"{what}: {file} is missing") from None
    if size > MAX_TOKENIZER_BYTES:
        raise ModelFileError(f"{what}: {file} is {size} bytes, more than the "
                             f"{MAX_TOKENIZER_BYTES} siamkit reads as a tokenizer")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"{what}: {file} is not UTF-8 text") from None
