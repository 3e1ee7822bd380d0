"""A Milvus collection as a gallery's vector index (pymilvus; Milvus Lite for a local file).

The gallery's other backend beside FAISS, with the same methods as
:class:`~siamkit.gallery.index.VectorIndex`, so that enroll, identify, verify, search, remove and
the thresholds work unchanged. SQLite still keeps the identities, the metadata and the model
fingerprint (and the vectors, as ``vectors`` says); Milvus keeps the vectors it searches, keyed by
the same reference ids. ``uri`` is a local ``.db`` path (Milvus Lite, the embedded server of the
PyPI package ``milvus-lite``) or ``http(s)://host:port`` (a Milvus server or cluster).

Milvus knows the inner product ("IP", on L2-normalised vectors for cosine scores) and "L2"
(squared euclidean distances, as FAISS returns them); it has no L1 metric for float vectors, so a
manhattan model cannot use it. Milvus builds and trains its own index (AUTOINDEX unless
``index_type`` says otherwise); ``nprobe`` and ``ef_search`` go to it as search parameters.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, DataError

_METRICS = {"ip": "IP", "l2": "L2"}
_BATCH = 5000  # rows per insert call


def _keep_faiss_search_params() -> None:
    """Milvus Lite searches with FAISS in this process, passing ``params=``; importing
    ``faiss.contrib.torch_utils`` (pytorch-metric-learning does) replaces ``Index.search`` by a
    version that drops that argument. Forward it again for NumPy queries."""
    import faiss

    classes, todo = [], [faiss.Index]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    for cls in classes:
        search = cls.__dict__.get("search")
        if getattr(search, "__name__", "") != "torch_replacement_search":
            continue

        def fixed(self, x, k, *args, params=None, _torch=search, **kw):
            if params is not None and isinstance(x, np.ndarray):
                return self.search_numpy(x, k, *args, params=params, **kw)
            return _torch(self, x, k, *args, **kw)

        fixed.__name__ = "torch_replacement_search"  # torch_utils recognises its own patch
        cls.search = fixed


def _client(uri: str):
    _keep_faiss_search_params()
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise ConfigError("the milvus backend needs pymilvus: pip install 'siamkit[milvus]'"
                          ) from None
    try:
        return MilvusClient(uri)
    except Exception as exc:  # pymilvus raises its own classes, and OSError for a bad path
        raise DataError(f"milvus {uri}: cannot connect ({str(exc).splitlines()[0][:160]})"
                        ) from None


class MilvusIndex:
    """Add, remove, search and fetch float32 vectors by int64 id in one Milvus collection."""

    binary = False
    lossy = False  # AUTOINDEX on Milvus Lite is exact (FLAT); a server's may approximate
    trained = True
    min_train = 0
    was_read = True  # Milvus persists every insert itself: the gallery reconciles, never loads

    def __init__(self, dim: int, metric: str, uri: str, collection: str,
                 nprobe: int = 16, ef_search: int = 128, normalize: bool | None = None,
                 index_type: str = "AUTOINDEX") -> None:
        if metric not in _METRICS:
            raise ConfigError(f"milvus backend: no {metric!r} metric in Milvus (it has "
                              f"{', '.join(_METRICS)}); use the faiss backend for this model")
        self.dim, self.metric, self.uri, self.collection = int(dim), metric, uri, collection
        self.nprobe, self.ef_search, self.index_type = int(nprobe), int(ef_search), index_type
        self.normalize = metric == "ip" if normalize is None else bool(normalize)
        self.kind = f"milvus:{index_type}"
        self.client = _client(uri)
        if not self.client.has_collection(collection):
            self.client.create_collection(collection, dimension=self.dim,
                                          metric_type=_METRICS[metric], auto_id=False,
                                          id_type="int", primary_field_name="id",
                                          vector_field_name="vector", index_type=index_type)
        else:  # a collection from an earlier process starts released: load it to search it
            self.client.load_collection(collection)
        self._ntotal = len(self.ids())

    @property
    def factory_(self) -> str:
        return self.kind

    @property
    def ntotal(self) -> int:
        return self._ntotal

    def params(self) -> dict:
        return {"dim": self.dim, "metric": self.metric, "index": self.kind,
                "normalize": self.normalize}

    def _prep(self, x: np.ndarray) -> np.ndarray:
        import faiss  # FAISS's normalisation, bit for bit as the faiss backend's (checksums)

        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.normalize:
            x = x.copy()
            faiss.normalize_L2(x)
        return x

    def stored(self, vectors: np.ndarray) -> np.ndarray:
        """``vectors`` as the collection keeps them (normalised where it normalises): the form
        the gallery's checksums are of."""
        return self._prep(vectors)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        vectors = self._prep(vectors)
        for start in range(0, len(ids), _BATCH):
            rows = [{"id": int(i), "vector": v.tolist()}
                    for i, v in zip(ids[start:start + _BATCH], vectors[start:start + _BATCH])]
            self.client.insert(self.collection, rows)
        self._ntotal += len(ids)

    def remove(self, ids: np.ndarray) -> None:
        if len(ids):
            self.client.delete(self.collection, ids=[int(i) for i in ids])
            self._ntotal -= len(ids)

    def reset(self) -> None:
        """Drop every vector (a rebuild refills the collection)."""
        self.client.drop_collection(self.collection)
        self.__init__(self.dim, self.metric, self.uri, self.collection, self.nprobe,
                      self.ef_search, self.normalize, self.index_type)

    def search(self, queries: np.ndarray, k: int, nprobe: int | None = None,
               ef_search: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        queries = self._prep(queries)
        k = max(1, min(int(k), max(self.ntotal, 1)))
        params = {"metric_type": _METRICS[self.metric],
                  "params": {"nprobe": nprobe or self.nprobe,
                             "ef": max(ef_search or self.ef_search, k)}}
        values = np.full((len(queries), k), np.nan, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if self.ntotal == 0:
            return values, ids
        hits = self.client.search(self.collection, data=queries.tolist(), limit=k,
                                  search_params=params, output_fields=[])
        for row, found in enumerate(hits):
            for col, hit in enumerate(found[:k]):
                ids[row, col], values[row, col] = hit["id"], hit["distance"]
        return values, ids

    def ids(self) -> np.ndarray:
        out: list[int] = []
        iterator = self.client.query_iterator(self.collection, batch_size=10_000,
                                              filter="id >= 0", output_fields=["id"])
        while True:
            batch = iterator.next()
            if not batch:
                iterator.close()
                break
            out.extend(int(r["id"]) for r in batch)
        return np.sort(np.array(out, dtype=np.int64))

    def reconstruct(self, ids: np.ndarray) -> np.ndarray:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        found: dict[int, list] = {}
        unique = np.unique(ids).tolist()
        for start in range(0, len(unique), 1000):
            for row in self.client.get(self.collection, ids=unique[start:start + 1000],
                                       output_fields=["vector"]):
                found[int(row["id"])] = row["vector"]
        return np.array([found[int(i)] for i in ids], dtype=np.float32).reshape(-1, self.dim)

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        ids = self.ids()
        return ids, self.reconstruct(ids)

    def nbytes(self) -> int:
        return 4 * self.dim * self.ntotal  # what Milvus keeps of the vectors, before its index

    def write(self, file: str | None = None) -> None:
        """Make every insert and delete durable (Milvus's flush); nothing is written to file."""
        self.client.flush(self.collection)

    def close(self) -> None:
        self.client.close()
