"""FAISS index factory strings for a gallery: names, building, training needs, search settings.

A gallery's ``index`` is a FAISS index factory string (FAISS wiki, "The index factory"; Johnson,
Douze, Jégou 2019, "Billion-scale similarity search with GPUs"): ``"Flat"`` (exact),
``"IVF4096,Flat"``, ``"IVF4096,PQ32"`` (inverted lists + product quantisation, Jégou et al. 2011),
``"OPQ16,IVF1024,PQ16"`` (with a learned rotation, Ge et al. 2013), ``"HNSW32"``, ``"HNSW32,SQ8"``
(a graph over int8 scalar-quantised codes), ``"SQ8"`` ... Four short names stay as aliases:

* ``"flat"`` = ``"Flat"``; ``"hnsw"`` = ``"HNSW{hnsw_m},Flat"``;
* ``"ivf"`` = ``"IVF{nlist},Flat"``, where no ``nlist`` means ``4 sqrt(n)`` cells for the ``n``
  vectors it is trained on (trained once it holds 10,000);
* ``"binary"`` = FAISS's ``IndexBinaryFlat``: one bit per dimension (the sign of the normalised
  embedding), searched by Hamming distance, every candidate rescored against the stored vectors
  (binary codes alone say nothing on the model's score scale).

Indexes with learned parts (IVF cells, PQ/OPQ codebooks, SQ ranges) need training vectors. The
minimum asked for is FAISS's own rule of thumb, 39 training points per k-means centroid (it warns
below it), and one point for a scalar quantiser's ranges.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from ..distances import faiss_metric
from ..errors import ConfigError

ALIASES = ("flat", "ivf", "hnsw", "binary")
PER_CENTROID = 39  # FAISS warns below 39 training points per k-means centroid
IVF_AUTO_MIN = 10_000  # "ivf" without nlist trains once it holds this many vectors
OPQ_CENTROIDS = 256  # OPQ learns its rotation with an 8-bit product quantiser


def resolve(spec: str, nlist: int | None = None, hnsw_m: int = 32, n: int | None = None) -> str:
    """The FAISS factory string that ``spec`` (an alias or a factory string) stands for; ``n``:
    the number of training vectors, which sizes "ivf" without ``nlist``."""
    if spec == "flat":
        return "Flat"
    if spec == "hnsw":
        return f"HNSW{int(hnsw_m)},Flat"
    if spec == "binary":
        return "BFlat"
    if spec == "ivf":
        if nlist is None:
            n = IVF_AUTO_MIN if n is None else int(n)
            nlist = max(1, min(int(4 * math.sqrt(n)), n // PER_CENTROID))
        return f"IVF{int(nlist)},Flat"
    return spec


def is_binary(factory: str) -> bool:
    return factory == "BFlat"


def check_spec(spec: object) -> str:
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"gallery index: expected one of {', '.join(ALIASES)} or a FAISS "
                          f"factory string such as 'IVF1024,PQ32' or 'HNSW32,SQ8', got {spec!r}")
    spec = spec.strip()
    if spec.startswith("B") and spec != "BFlat":
        raise ConfigError(f"gallery index {spec!r}: of FAISS's binary indexes only 'BFlat' "
                          "(alias 'binary') is supported")
    if spec.startswith("IDMap"):
        raise ConfigError(f"gallery index {spec!r}: leave out IDMap; the gallery maps ids itself")
    return spec


def build(dim: int, factory: str, metric: str) -> faiss.Index:
    """An empty (maybe untrained) index; a ConfigError naming the string if FAISS refuses it."""
    if is_binary(factory):
        return faiss.IndexBinaryFlat(8 * math.ceil(dim / 8))
    try:
        return faiss.index_factory(int(dim), factory, faiss_metric(metric))
    except RuntimeError as exc:
        detail = str(exc).strip().splitlines()[-1].split(": ", 1)[-1][:160]
        raise ConfigError(f"gallery index {factory!r}: FAISS cannot build it for {dim}-dim "
                          f"vectors with the {metric} metric ({detail})") from None


def unwrap(index: faiss.Index) -> tuple[list, faiss.Index]:
    """(vector transforms, the index under them and under an id map)."""
    index = faiss.downcast_index(index) if isinstance(index, faiss.Index) else index
    if isinstance(index, (faiss.IndexIDMap, faiss.IndexIDMap2)):
        index = faiss.downcast_index(index.index)
    transforms = []
    if isinstance(index, faiss.IndexPreTransform):
        transforms = [faiss.downcast_VectorTransform(index.chain.at(i))
                      for i in range(index.chain.size())]
        index = faiss.downcast_index(index.index)
    return transforms, index


def centroids(index: faiss.Index) -> int:
    """The most k-means centroids any learned part of ``index`` trains (0: none)."""
    transforms, inner = unwrap(index)
    most = OPQ_CENTROIDS if any(isinstance(t, faiss.OPQMatrix) for t in transforms) else 0
    if isinstance(inner, faiss.IndexIVF):
        most = max(most, inner.nlist)
    if isinstance(inner, faiss.IndexHNSW):
        inner = faiss.downcast_index(inner.storage)
    pq = getattr(inner, "pq", None)
    if pq is not None:
        most = max(most, pq.ksub)
    return most


def training_minimum(index: faiss.Index) -> int:
    """Vectors needed to train ``index`` (0 when it needs no training)."""
    if index.is_trained:
        return 0
    return max(1, PER_CENTROID * centroids(index))


def exact_codes(index: faiss.Index, dim: int) -> bool:
    """Whether ``index`` keeps every vector as float32 (its values are exact)."""
    if isinstance(index, faiss.IndexBinary):
        return False
    transforms, inner = unwrap(index)
    if isinstance(inner, faiss.IndexHNSW):
        inner = faiss.downcast_index(inner.storage)
    return not transforms and getattr(inner, "code_size", None) == 4 * dim


def set_search_params(index: faiss.Index, nprobe: int, ef_search: int) -> None:
    """Cells probed (IVF) and search breadth (HNSW) for the next search."""
    _, inner = unwrap(index)
    if isinstance(inner, faiss.IndexIVF):
        inner.nprobe = int(nprobe)
        inner = faiss.downcast_index(inner.quantizer)  # an HNSW coarse quantiser searches too
    if isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = int(ef_search)


def training_sample(vectors: np.ndarray, index: faiss.Index, seed: int = 0) -> np.ndarray:
    """At most 256 points per centroid (FAISS's own cap), drawn with a fixed seed so the same
    vectors always train the same cells."""
    cap = 256 * max(centroids(index), 1024)
    if len(vectors) <= cap:
        return vectors
    return vectors[np.sort(np.random.default_rng(seed).choice(len(vectors), cap, replace=False))]
