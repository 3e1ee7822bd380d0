"""Tiny models for gallery and serve tests (imported as a plain module, not a conftest): an MLP
on 6-dim vectors (any distance, optional head), a small convnet on 8x8 grey images, and an RNN on
texts with a throwaway word tokenizer."""

from __future__ import annotations

import numpy as np
import torch

import siamkit as sk
from siamkit.adapters import ImageAdapter, TextAdapter, VectorAdapter

DIM_IN = 6


def vector_model(distance: str = "euclidean", head: str | None = None,
                 threshold: float | None = None,
                 seed: int = 0, embedding_dim: int = 4) -> sk.SiameseNetwork:
    torch.manual_seed(seed)
    enc = sk.encoders.create_encoder("mlp", input_dim=DIM_IN, embedding_dim=embedding_dim,
                                     hidden_dims=[16])
    return sk.SiameseNetwork(enc, distance=distance, head=head, adapter=VectorAdapter(DIM_IN),
                             threshold=threshold).eval()


def image_model(threshold: float | None = None) -> sk.SiameseNetwork:
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("convnet", in_channels=1, embedding_dim=8, channels=[4, 8])
    return sk.SiameseNetwork(enc, adapter=ImageAdapter(1, 8), threshold=threshold).eval()


class WordTokenizer:
    """Hashes words to ids 2..49 (0 = pad, 1 = unknown), enough to feed an RNN in tests."""

    def encode(self, texts, max_length=None):
        rows = [[2 + sum(map(ord, w)) % 48 for w in t.lower().split()] or [1] for t in texts]
        width = max(len(r) for r in rows)
        return torch.tensor([r + [0] * (width - len(r)) for r in rows], dtype=torch.int64)

    def to_dict(self):
        return {"type": "word-hash-test"}


def text_model(threshold: float | None = None) -> sk.SiameseNetwork:
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("rnn", vocab_size=50, embedding_dim=8, token_dim=8,
                                     hidden_dim=8)
    return sk.SiameseNetwork(enc, distance="cosine", adapter=TextAdapter(WordTokenizer()),
                             threshold=threshold).eval()


def random_vectors(n: int = 40, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM_IN)).astype(np.float32)
