"""The FAISS index over a gallery's reference embeddings, keyed by reference id.

The index is any FAISS factory string or alias (see :mod:`siamkit.gallery.factory`). One with
learned parts (IVF cells, PQ/OPQ codebooks, SQ ranges) searches exactly, as a flat index, until it
holds as many vectors as training needs; the enrollment that reaches that number trains it on every
vector held and moves them into it. :meth:`VectorIndex.train` retrains on demand (a rebuild) and
says how many vectors are missing when there are too few.

``metric`` is ``"ip"`` (inner products), ``"l2"`` (squared euclidean distances) or ``"l1"``, as a
distance's ``index_metric`` names it; ``normalize`` L2-normalises every vector added and searched
(by default for "ip", where it makes inner products cosine similarities). :meth:`search` returns
FAISS's raw values (Hamming distances for the binary index); the distance turns them into scores.

FAISS cannot delete from an HNSW graph, so a removal there rebuilds the graph from the remaining
vectors (decoded from their codes into a copy of the trained index, which encodes them the same).
"""

from __future__ import annotations

import faiss
import numpy as np

from ..distances import INDEX_METRICS, faiss_metric
from ..errors import ConfigError, DataError
from . import factory as fx
from .faiss_io import write_faiss_index

KINDS = fx.ALIASES


class VectorIndex:
    """Add, remove, search and reconstruct float32 vectors by int64 id."""

    def __init__(self, dim: int, metric: str = "l2", kind: str = "flat", nlist: int | None = None,
                 nprobe: int = 16, hnsw_m: int = 32, ef_search: int = 128,
                 ef_construction: int = 200, normalize: bool | None = None) -> None:
        if metric not in INDEX_METRICS:
            raise ConfigError(f"index: unknown metric {metric!r}; "
                              f"choose one of {', '.join(INDEX_METRICS)}")
        if nlist is not None and int(nlist) < 1:
            raise ConfigError(f"index: nlist must be >= 1, got {nlist}")
        self.dim, self.metric, self.kind = int(dim), metric, fx.check_spec(kind)
        self.nlist, self.nprobe = (None if nlist is None else int(nlist)), int(nprobe)
        self.hnsw_m, self.ef_search = int(hnsw_m), int(ef_search)
        self.ef_construction = int(ef_construction)
        self.normalize = metric == "ip" if normalize is None else bool(normalize)
        self.binary = fx.is_binary(fx.resolve(self.kind, self.nlist, self.hnsw_m))
        template = fx.build(self.dim, fx.resolve(self.kind, self.nlist, self.hnsw_m), metric)
        # "ivf" without nlist sizes its cells when trained; until then it needs IVF_AUTO_MIN.
        auto = self.kind == "ivf" and self.nlist is None
        self.min_train = fx.IVF_AUTO_MIN if auto else fx.training_minimum(template)
        self.trained = self.min_train == 0
        self.index = self._wrap(template) if self.trained else self._exact()
        self.was_read = False

    def params(self) -> dict:
        return {"dim": self.dim, "metric": self.metric, "index": self.kind, "nlist": self.nlist,
                "hnsw_m": self.hnsw_m, "normalize": self.normalize}

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def is_ivf(self) -> bool:
        return isinstance(fx.unwrap(self.index)[1], faiss.IndexIVF)

    @property
    def lossy(self) -> bool:
        """Whether the index keeps compressed codes, so that its values are approximations."""
        return not fx.exact_codes(self.index, self.dim)

    @property
    def factory_(self) -> str:
        """The factory string in force ("Flat" while waiting for enough vectors to train)."""
        if not self.trained:
            return "Flat"
        return fx.resolve(self.kind, self.nlist or getattr(fx.unwrap(self.index)[1], "nlist", None),
                          self.hnsw_m)

    # ---- building ---------------------------------------------------------------------------

    def _exact(self) -> faiss.Index:
        return faiss.IndexIDMap2(faiss.IndexFlat(self.dim, faiss_metric(self.metric)))

    def _wrap(self, index: faiss.Index) -> faiss.Index:
        """Give an empty trained index ids, reconstruction by id and a build breadth."""
        if self.binary:
            return faiss.IndexBinaryIDMap2(index)
        _, inner = fx.unwrap(index)
        if isinstance(inner, faiss.IndexHNSW):
            inner.hnsw.efConstruction = self.ef_construction
        if isinstance(inner, faiss.IndexIVF):
            # A hash-table direct map lets us reconstruct vectors by id (rescoring) and delete.
            inner.set_direct_map_type(faiss.DirectMap.Hashtable)
            return index
        return faiss.IndexIDMap2(index)

    def _prep(self, x: np.ndarray) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.normalize:
            x = x.copy()
            faiss.normalize_L2(x)
        return x

    def _codes(self, x: np.ndarray) -> np.ndarray:
        return np.packbits(x > 0, axis=1) if self.binary and self.trained else x

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = self._prep(vectors)
        if not self.trained and self.ntotal + len(ids) >= self.min_train:
            old_ids, old = self.export()
            self._train(np.concatenate([old_ids, ids]), np.concatenate([old, vectors]))
            return
        self.index.add_with_ids(self._codes(vectors), ids)

    def train(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Train the index afresh on ``vectors`` and hold exactly them (a rebuild)."""
        minimum = self.min_train or fx.training_minimum(
            fx.build(self.dim, fx.resolve(self.kind, self.nlist, self.hnsw_m), self.metric))
        if minimum and len(vectors) < minimum:
            raise DataError(f"index {self.kind!r}: training needs at least {minimum} vectors, "
                            f"{len(vectors)} are enrolled; enroll more or choose a smaller index")
        self._train(np.ascontiguousarray(ids, dtype=np.int64), self._prep(vectors))

    def _train(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Train on prepared ``vectors`` and add them."""
        built = fx.build(self.dim, fx.resolve(self.kind, self.nlist, self.hnsw_m, len(vectors)),
                         self.metric)
        if not built.is_trained:
            ivf = fx.unwrap(built)[1]
            if isinstance(ivf, faiss.IndexIVF):
                ivf.cp.seed = 0
            if isinstance(ivf, faiss.IndexIVFPQ):
                # FAISS's default polysemous training orders PQ codes for Hamming pre-filtering,
                # which gallery searches never use; it costs minutes for nothing.
                ivf.do_polysemous_training = False
            built.train(fx.training_sample(vectors, built))
        self.trained = True
        self.index = self._wrap(built)
        if len(ids):
            self.index.add_with_ids(self._codes(vectors), ids)

    def remove(self, ids: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return
        try:
            self.index.remove_ids(ids)
        except RuntimeError:  # an HNSW graph: rebuild it from what remains
            keep_ids, vecs = self.export()
            keep = ~np.isin(keep_ids, ids)
            inner = faiss.clone_index(self.index.index)
            inner.reset()  # keeps what was trained (SQ ranges), drops graph and codes
            self.index = faiss.IndexIDMap2(inner)
            if keep.any():
                self.index.add_with_ids(vecs[keep], keep_ids[keep])

    # ---- reading ----------------------------------------------------------------------------

    def search(self, queries: np.ndarray, k: int, nprobe: int | None = None,
               ef_search: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """FAISS values and ids ``[B, k]``; missing slots have id -1. ``nprobe`` / ``ef_search``
        override the index's own for this search."""
        queries = self._codes(self._prep(queries))
        k = max(1, min(int(k), max(self.ntotal, 1)))
        fx.set_search_params(self.index, self.nprobe if nprobe is None else nprobe,
                             max(self.ef_search if ef_search is None else ef_search, k))
        values, ids = self.index.search(queries, k)
        return values.astype(np.float32, copy=False), ids

    def ids(self) -> np.ndarray:
        """Every id held, sorted."""
        _, inner = fx.unwrap(self.index)
        if isinstance(inner, faiss.IndexIVF):
            lists = inner.invlists
            parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                     for i in range(inner.nlist) if lists.list_size(i)]
            out = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        else:
            out = faiss.vector_to_array(self.index.id_map)
        return np.sort(out.astype(np.int64))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        """Stored (normalised, where the index normalises; decoded, where it compresses) vectors
        of ``ids`` ``[n, dim]``."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self.binary and self.trained:
            raise DataError("a binary index keeps one bit per dimension, not the vectors")
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

    def nbytes(self) -> int:
        """Size of the index serialised (what it keeps in memory, less FAISS's small overheads)."""
        if self.binary and self.trained:
            return int(faiss.serialize_index_binary(self.index).nbytes)
        return int(faiss.serialize_index(self.index).nbytes)

    # ---- files ------------------------------------------------------------------------------

    def write(self, file: str, target: str | None = None) -> None:
        """Serialise into ``file`` (a binary index with FAISS's binary writer), raising
        :class:`~siamkit.errors.WriteError` (naming ``target``, default ``file``) when not every
        byte reached it."""
        write_faiss_index(self.index, file, target)

    def read(self, file: str) -> None:
        """Replace the index by the one in ``file`` (raises RuntimeError if unreadable)."""
        if self.binary:
            index, trained = faiss.read_index_binary(file), True  # BFlat needs no training
        else:
            index = faiss.read_index(file)
            # A trainable kind waits in an exact flat index until it has enough vectors.
            trained = self.min_train == 0 or not isinstance(fx.unwrap(index)[1], faiss.IndexFlat)
        dim = index.d if not isinstance(index, faiss.IndexBinary) else self.dim
        if dim != self.dim:
            raise RuntimeError(f"index holds {index.d}-dim vectors, expected {self.dim}")
        self.index, self.trained, self.was_read = index, trained, True
