"""The FAISS index over a gallery's reference embeddings, keyed by reference id.

Three kinds (Johnson, Douze, Jégou 2019, "Billion-scale similarity search with GPUs", FAISS):

* ``"flat"``: exact search, the default; fast enough for a few hundred thousand references.
* ``"ivf"``: inverted lists over k-means cells (IVF-Flat), searching ``nprobe`` cells. The coarse
  quantiser needs training data, so the index stays exact (flat) until it holds ``39 * nlist``
  vectors (FAISS's own minimum), then trains on what it holds and switches.
* ``"hnsw"``: a hierarchical navigable small-world graph (Malkov & Yashunin 2018). FAISS cannot
  delete from it, so a removal rebuilds the graph from the remaining vectors.

``metric`` is ``"ip"`` (inner products), ``"l2"`` (squared euclidean distances) or ``"l1"``, as a
distance's ``index_metric`` names it; ``normalize`` L2-normalises every vector added and searched
(by default for "ip", where it makes inner products cosine similarities). :meth:`search` returns
FAISS's raw values; the distance turns them into scores.
"""

from __future__ import annotations

import math

import faiss
import numpy as np

from ..distances import INDEX_METRICS, faiss_metric
from ..errors import ConfigError
from .faiss_io import write_faiss_index

KINDS = ("flat", "ivf", "hnsw")
_IVF_MIN_PER_LIST = 39
_IVF_AUTO_MIN = 10_000


class VectorIndex:
    """Add, remove, search and reconstruct float32 vectors by int64 id."""

    def __init__(self, dim: int, metric: str = "l2", kind: str = "flat", nlist: int | None = None,
                 nprobe: int = 16, hnsw_m: int = 32, ef_search: int = 128,
                 ef_construction: int = 200, normalize: bool | None = None) -> None:
        if kind not in KINDS:
            raise ConfigError(f"index: unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
        if metric not in INDEX_METRICS:
            raise ConfigError(f"index: unknown metric {metric!r}; "
                              f"choose one of {', '.join(INDEX_METRICS)}")
        if nlist is not None and int(nlist) < 1:
            raise ConfigError(f"index: nlist must be >= 1, got {nlist}")
        self.dim, self.metric, self.kind = int(dim), metric, kind
        self.nlist, self.nprobe = (None if nlist is None else int(nlist)), int(nprobe)
        self.hnsw_m, self.ef_search = int(hnsw_m), int(ef_search)
        self.ef_construction = int(ef_construction)
        self.normalize = metric == "ip" if normalize is None else bool(normalize)
        self.index = self._empty("hnsw" if kind == "hnsw" else "flat")

    def params(self) -> dict:
        return {"dim": self.dim, "metric": self.metric, "kind": self.kind, "nlist": self.nlist,
                "hnsw_m": self.hnsw_m}

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def is_ivf(self) -> bool:
        return isinstance(self.index, faiss.IndexIVF)

    # ---- building ---------------------------------------------------------------------------

    def _empty(self, kind: str) -> faiss.Index:
        metric = faiss_metric(self.metric)
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, metric)
            inner.hnsw.efConstruction = self.ef_construction
        else:
            inner = faiss.IndexFlat(self.dim, metric)
        return faiss.IndexIDMap2(inner)

    def _prep(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.normalize:
            x = x.copy()
            faiss.normalize_L2(x)
        return x

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = self._prep(vectors)
        if self.kind == "ivf" and not self.is_ivf and self.ntotal + len(ids) >= self._ivf_min():
            old_ids, old = self.export()
            self._train_ivf(np.concatenate([old_ids, ids]), np.concatenate([old, vectors]))
            return
        self.index.add_with_ids(vectors, ids)

    def _ivf_min(self) -> int:
        return _IVF_MIN_PER_LIST * self.nlist if self.nlist else _IVF_AUTO_MIN

    def _train_ivf(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        n = len(vectors)
        nlist = self.nlist or max(1, min(int(4 * math.sqrt(n)), n // _IVF_MIN_PER_LIST))
        metric = faiss_metric(self.metric)
        quantizer = faiss.IndexFlat(self.dim, metric)
        ivf = faiss.IndexIVFFlat(quantizer, self.dim, nlist, metric)
        ivf.own_fields = True
        quantizer.this.disown()
        # A fixed sample seeds k-means, so the same vectors always give the same cells.
        sample = vectors
        if n > 256 * nlist:
            sample = vectors[np.random.default_rng(0).choice(n, 256 * nlist, replace=False)]
        ivf.cp.seed = 0
        ivf.train(sample)
        # A hash-table direct map lets us reconstruct vectors by id (head rescoring) and delete.
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
        ivf.nprobe = self.nprobe
        ivf.add_with_ids(vectors, ids)
        self.index = ivf

    def remove(self, ids: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        if self.kind == "hnsw":
            keep_ids, vecs = self.export()
            keep = ~np.isin(keep_ids, ids)
            self.index = self._empty("hnsw")
            if keep.any():
                self.index.add_with_ids(vecs[keep], keep_ids[keep])
            return
        self.index.remove_ids(ids)

    # ---- reading ----------------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS values and ids ``[B, k]``; missing slots have id -1."""
        queries = self._prep(queries)
        k = max(1, min(int(k), max(self.ntotal, 1)))
        if self.kind == "hnsw":
            faiss.downcast_index(self.index.index).hnsw.efSearch = max(self.ef_search, k)
        elif self.is_ivf:
            self.index.nprobe = self.nprobe
        return self.index.search(queries, k)

    def ids(self) -> np.ndarray:
        """Every id held, sorted."""
        if self.is_ivf:
            lists = self.index.invlists
            parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                     for i in range(self.index.nlist) if lists.list_size(i)]
            out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        else:
            out = faiss.vector_to_array(self.index.id_map)
        return np.sort(out.astype(np.int64))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """Stored (normalised, where the index normalises) vectors of ``ids`` ``[n, dim]``."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.index.reconstruct_batch(ids)

    def stored(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as the index keeps them (normalised where it normalises): what
        :meth:`reconstruct` gives back once they are added (the gallery checksums this form)."""
        return self._prep(vectors)

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids()
        return ids, self.reconstruct(ids)

    # ---- files ------------------------------------------------------------------------------

    def write(self, file: str, target: str | None = None) -> None:
        """Serialise into ``file``, raising :class:`~siamkit.errors.WriteError` (naming
        ``target``, default ``file``) when not every byte reached it."""
        write_faiss_index(self.index, file, target)

    def read(self, file: str) -> None:
        """Replace the index by the one in ``file`` (raises RuntimeError if unreadable)."""
        index = faiss.read_index(file)
        if index.d != self.dim:
            raise RuntimeError(f"index holds {index.d}-dim vectors, expected {self.dim}")
        if isinstance(index, faiss.IndexIVF):
            index.nprobe = self.nprobe
        self.index = index
