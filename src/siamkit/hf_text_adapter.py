"""The input adapter of a pretrained Hugging Face text encoder: its own tokenizer, saved with it.

Storage form (what ``prepare`` returns and data sources hold): int64 ``[B, L, 2]``, token ids and
attention mask (see :mod:`siamkit.data.text.hf_tokenizer` for why one tensor). Every batch is
padded to its own longest text only: ``prepare`` pads each call's texts to their longest, the data
sources gather training batches trimmed to theirs, and ``forward`` trims a batch to its longest
mask, so a chunk of ``model.encode`` over a tensor prepared for a whole corpus runs at the chunk's
length. ``sizes`` gives ``model.encode`` each input's token count, to embed them in order of
length (little padding, as sentence-transformers' ``encode`` sorts by length).

In the model folder the tokenizer is ``tokenizer/tokenizer.json``; ``config.json`` keeps its pad
token, ``max_length`` and sha256, so a reloaded model tokenises exactly as at training time and a
changed file is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .adapters import Adapter, register_adapter
from .atomic import atomic_write_text
from .data.text.hf_tokenizer import TOKENIZER_FILE, HFTokenizer
from .errors import DataError

FOLDER = "tokenizer"


@register_adapter
class HFTextAdapter(Adapter):
    """Texts through a Hugging Face tokenizer to ``[B, L, 2]`` ids + attention mask."""

    type = "hf_text"
    modality = "text"

    def __init__(self, tokenizer: HFTokenizer) -> None:
        super().__init__()
        self.tokenizer = tokenizer

    @property
    def max_length(self) -> int | None:
        return self.tokenizer.max_length

    def prepare(self, raw: Any) -> Tensor:
        if isinstance(raw, Tensor):
            return raw
        texts = [raw] if isinstance(raw, str) else list(raw)
        if not texts:
            raise DataError("texts: the input list is empty")
        return self.tokenizer.encode(texts)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[2] != 2 or x.dtype not in (torch.int64, torch.int32):
            raise DataError(f"texts: expected [B, L, 2] integer ids and attention mask, got shape "
                            f"{tuple(x.shape)} {x.dtype}")
        if x.shape[1]:
            # Right padding: the last column any row needs is the longest mask.
            longest = int(x[..., 1].sum(dim=1).max())
            x = x[:, : max(longest, 1)]
        return x

    def sizes(self, inputs: Any) -> np.ndarray | None:
        """Token counts of ``inputs`` (texts or a prepared batch), for ``model.encode``'s order."""
        if isinstance(inputs, Tensor):
            return inputs[..., 1].sum(dim=1).numpy() if inputs.dim() == 3 else None
        if isinstance(inputs, (list, tuple)) and all(isinstance(t, str) for t in inputs):
            return self.tokenizer.lengths(list(inputs))
        return None

    def to_config(self) -> dict[str, Any]:
        return {"type": self.type, "max_length": self.tokenizer.max_length,
                "pad_token": self.tokenizer.pad_token, "file": f"{FOLDER}/{TOKENIZER_FILE}",
                "sha256": self.tokenizer.sha256}

    def save_files(self, folder: Path) -> None:
        (folder / FOLDER).mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / FOLDER / TOKENIZER_FILE, self.tokenizer.json)

    @classmethod
    def from_saved(cls, config: dict[str, Any], folder: Path | None = None) -> "HFTextAdapter":
        if folder is None:
            raise DataError("hf_text adapter: its tokenizer lives in the model folder; load the "
                            "model with SiameseNetwork.load(folder)")
        return cls(HFTokenizer.from_file(folder / FOLDER / TOKENIZER_FILE, config.get("pad_token"),
                                         config.get("max_length"), f"model {folder}",
                                         sha256=config.get("sha256")))
