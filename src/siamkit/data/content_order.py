"""A storage-order-free order of labelled samples, so evaluation depends on what a dataset holds.

Evaluation pairs and one-shot episodes are drawn by position from a seeded generator. Drawn from
the samples in the order a reader lists them, the same 10,000 MNIST test images give different
pairs, and so different FAR/FRR figures at one threshold, when read from the IDX files (file
order) and from a PNG folder (class folders, then file names). :func:`in_content_order` puts the
samples in an order that depends only on their content and class names: classes by name, then
samples by a digest of their bytes (images and vectors) or their UTF-8 text. Class ids are
renumbered by sorted class name for the same reason: the negative class of a pair is drawn by id.

Samples with equal content and class tie; their order then follows storage order, but they are
interchangeable for every figure computed from contents and labels.
"""

from __future__ import annotations

import hashlib

import torch
from torch import Tensor

from .containers import LabelledData


def _digests(x: Tensor | list[str]) -> list[bytes]:
    if isinstance(x, list):
        return [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in x]
    rows = x.detach().cpu().contiguous().reshape(len(x), -1).numpy()
    # the dtype is part of the content: uint8 pixels and float pixels are different inputs
    tag = str(rows.dtype).encode()
    return [hashlib.blake2b(tag + r.tobytes(), digest_size=16).digest() for r in rows]


def content_order(data: LabelledData) -> Tensor:
    """int64 indices that sort ``data`` by (class name, content digest); see the module doc."""
    names = list(data.classes or [])
    labels = data.y.tolist()
    digests = _digests(data.x)
    keys = [(names[c] if c < len(names) else str(c), digests[i], i) for i, c in enumerate(labels)]
    keys.sort()
    return torch.tensor([k[2] for k in keys], dtype=torch.long)


def in_content_order(data: LabelledData) -> LabelledData:
    """``data`` reordered by :func:`content_order`, with class ids renumbered by sorted class name
    (``classes`` sorted, so ``classes[y[i]]`` still names sample i's class)."""
    names = list(data.classes or [])
    sorted_names = sorted(names)
    rank = {n: i for i, n in enumerate(sorted_names)}
    remap = torch.tensor([rank[n] for n in names], dtype=torch.long)
    out = data.subset(content_order(data))
    already = torch.equal(remap, torch.arange(len(names)))
    return out if already else LabelledData(out.x, remap[out.y], sorted_names, out.name, out.ids,
                                            out.keys, dict(out.info))


__all__ = ["content_order", "in_content_order"]
