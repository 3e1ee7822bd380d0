"""A gallery of enrolled references: verify a probe against a claimed identity, or identify it.

This is how Siamese networks are used in practice (Bromley et al. 1993 enrolled genuine signatures;
Taigman et al. 2014, "DeepFace", and Schroff et al. 2015, "FaceNet", verify and identify faces the
same way): one side of every comparison, the references, is embedded ahead of time and stored; a
new input is embedded once and compared with all of them.

Scores follow siamkit's convention, higher = more similar, on the model's own scale (cosine
similarity, minus a distance, or a head's match probability; see :mod:`siamkit.gallery.search`).
With a head, the index shortlists ``shortlist`` references and the head rescores them exactly;
with no more references than ``shortlist`` the search is exhaustive. A compressed index (PQ, SQ,
binary codes) ranks by approximate values; with ``rerank`` the best ``rerank`` candidates are
rescored against the stored vectors (Jégou et al. 2011 re-rank IVF-ADC candidates the same way).

Open-set identification (Grother et al., NIST FRVT reports): the best identity is accepted only if
its score reaches ``model.threshold``, otherwise the probe is "unknown". A model without a
threshold gives closed-set answers (ranked candidates, no decision) from :meth:`Gallery.identify`
and refuses :meth:`Gallery.verify` with :class:`~siamkit.errors.NotCalibratedError`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..atomic import atomic_path
from ..version import __version__
from ..errors import ConfigError, DataError, NotCalibratedError, SiamkitWarning, WriteError
from . import _inputs, integrity, prototypes, search
from .exceptions import ModelMismatchError, UnknownIdentityError
from .fingerprint import describe_model, mismatch_message, model_fingerprint
from . import factory
from .index import VectorIndex
from .members import Members
from .milvus import MilvusIndex
from .persist import DB_FILE, MODEL_PATH_KEY, read_index, write_index
from .results import Identifications, IdentityInfo, Match, Verification
from .store import VECTORS, Store

AGGREGATES = ("max", "mean")
BACKENDS = ("faiss", "milvus")  # where the searched vectors live; SQLite keeps the rest
RERANK_DEFAULT = 100  # candidates rescored exactly when the index compresses its vectors
log = logging.getLogger("siamkit.gallery")


class Gallery:
    """Enrolled references of named identities, searchable with a trained model.

    Args:
        model: the :class:`~siamkit.SiameseNetwork` that embeds references and probes.
        path: a folder to keep the gallery in (created if new, opened if it holds one). Every
            enrollment and removal is committed to its SQLite database before the call returns.
            None keeps the gallery in memory; :meth:`save` writes it to a folder later.
        index: a FAISS index factory string ("Flat", "IVF4096,PQ32", "OPQ16,IVF1024,PQ16",
            "HNSW32,SQ8", "SQ8", ...) or an alias: "flat" (exact, default for a new gallery),
            "ivf", "hnsw", "binary" (see :mod:`siamkit.gallery.factory`); None keeps the index an
            existing gallery was saved with. An index that needs training searches exactly until
            the enrollment that brings it to the vectors training needs, which trains it on all
            it holds (:meth:`train` retrains, and says how many are missing if too few).
        nlist, nprobe: cells of "ivf" (None: ``4 sqrt(n)`` when trained) and cells searched per
            query by any IVF index.
        hnsw_m, ef_search: graph degree of "hnsw" and search breadth of any HNSW index.
        vectors: how the database keeps each embedding: "float32" (exact; the default),
            "float16" (half the bytes) or "none" (only the index's codes: a compressed gallery is
            then really small, but cannot be retrained or rebuilt, and a "binary" index, which
            always rescores, cannot do without vectors). None keeps an existing gallery's.
        rerank: candidates rescored against the stored vectors per probe (None: 100 when the
            index compresses and vectors are kept, else 0; "binary" always rescores).
        backend: "faiss" (the index lives in the process and in ``index.faiss``) or "milvus"
            (a Milvus collection, see :mod:`siamkit.gallery.milvus`; ``uri`` a local ``.db``
            file for Milvus Lite or ``http(s)://...`` for a server, ``collection`` its name).
            None keeps an existing gallery's.
        shortlist: references rescored by a head model per probe.
        batch_size: inputs embedded per forward pass.
        scoring: how :meth:`identify` scores an identity: "nearest" (its best reference, default
            for a new gallery) or "prototype" (the mean of its references; see
            :mod:`siamkit.gallery.prototypes`); None keeps what an existing gallery was saved with.

    Opening checks the folder (:mod:`siamkit.gallery.integrity`): rows that cannot be used refuse
    the open; an index that differs from the database is rebuilt, with a warning. When the rebuilt
    index cannot be saved (a full disk), the gallery opens read-only: ``read_only_`` says why,
    searches work, and enroll and remove raise :class:`~siamkit.errors.WriteError`. What the
    checks can vouch for depends on ``vectors`` and the index (:mod:`siamkit.gallery.integrity`):
    a float16 gallery's checksums are of the float16 values it keeps (the index holds the same
    rounded values); one that keeps none still checks the index file's SHA-256, its ids against
    the database's and, where the index keeps exact vectors, each vector against the checksum
    taken at enrollment. A compressed index (PQ, SQ8, binary) is checked by file and ids only,
    and with ``vectors="none"`` it is the only copy of the vectors: a damaged one is restored
    from a backup, never rebuilt.

    Call :meth:`close` (or use ``with``) when done with a gallery kept in a folder: it saves the
    search index; otherwise the next open rebuilds the index from the stored embeddings (with a
    :class:`~siamkit.errors.SiamkitWarning`), which loses nothing but takes time.
    """

    def __init__(self, model: Any, path: str | Path | None = None, index: str | None = None, *,
                 nlist: int | None = None, nprobe: int = 16, hnsw_m: int = 32,
                 ef_search: int = 128, vectors: str | None = None, rerank: int | None = None,
                 backend: str | None = None, uri: str | None = None,
                 collection: str | None = None,
                 shortlist: int = 100, batch_size: int = 256,
                 scoring: str | None = None) -> None:
        self.model = model
        self.path = None if path is None else Path(path)
        self.index = None if index is None else factory.check_spec(index)
        self.nlist, self.nprobe, self.hnsw_m, self.ef_search = nlist, nprobe, hnsw_m, ef_search
        self.vectors, self.rerank = vectors, rerank
        self.backend, self.uri, self.collection = backend, uri, collection
        if backend is not None and backend not in BACKENDS:
            raise ConfigError(f"gallery backend: expected one of {', '.join(BACKENDS)}, "
                              f"got {backend!r}")
        self.shortlist, self.batch_size = int(shortlist), int(batch_size)
        if vectors is not None and vectors not in VECTORS:
            raise ConfigError(f"gallery vectors: expected one of {', '.join(VECTORS)}, "
                              f"got {vectors!r}")
        if rerank is not None:
            _check_count(rerank, "rerank", minimum=0)
        self.scoring = scoring
        if scoring is not None and scoring not in prototypes.SCORINGS:
            raise ConfigError(f"gallery scoring: unknown rule {scoring!r}; choose one of "
                              f"{', '.join(prototypes.SCORINGS)}")
        self._lock = threading.RLock()
        self._open()

    @classmethod
    def load(cls, path: str | Path, model: Any, **kwargs: Any) -> "Gallery":
        """Open the gallery saved in the folder ``path`` (it must exist)."""
        if not (Path(path) / DB_FILE).is_file():
            raise DataError(f"gallery {path}: no gallery there (no {DB_FILE})")
        return cls(model, path, **kwargs)

    # ---- opening ----------------------------------------------------------------------------

    def _open(self) -> None:
        dim = self.model.embedding_dim
        if not isinstance(dim, int) or dim < 1:
            raise ConfigError("gallery: the model's encoder has no embedding_dim, "
                              "so its embeddings cannot be stored")
        self.dim_ = dim
        self.fingerprint_ = model_fingerprint(self.model)
        self.metric_, self._rescore = search.metric_for(self.model)
        if self.path is not None:
            if self.path.exists() and not self.path.is_dir():
                raise DataError(f"gallery {self.path}: exists and is not a folder")
            self.path.mkdir(parents=True, exist_ok=True)
        self.read_only_: str | None = None
        self._store = Store(None if self.path is None else self.path / DB_FILE, dim,
                            self._checksums)
        try:
            self._check_model()
            self._settle_settings()
            self._check_rows()
        except BaseException:
            self._store.close()
            raise
        try:
            self._index = self._new_index()
        except ConfigError as exc:
            self._store.close()
            if self.backend_ == "faiss" and self.index is None:  # the kind the database named
                raise DataError(f"{self._where()}: {DB_FILE}: meta index: {exc}") from None
            raise
        try:
            self._fill_checksums()
            self._load_maps()
            self._open_index()
        except BaseException:
            if self.backend_ == "milvus":
                self._index.close()
            self._store.close()
            raise

    def _open_index(self) -> None:
        """Load the saved index and check it against the database (or the Milvus collection's
        ids), rebuilding or catching it up where it differs."""
        if self.backend_ == "milvus":
            held, db_ids = self._index.ids(), self._store.ref_table()[0]
            if not np.array_equal(held, db_ids):
                self._catch_up_or_read_only(f"the Milvus collection holds {len(held)} vectors, "
                                            f"the database {len(db_ids)} references")
            return
        if self.path is None:
            return
        reason = read_index(self.path, self._index, self._store, self.fingerprint_)
        if self.vectors_ == "none":
            if reason:
                self._catch_up_or_read_only(reason)
            return
        count = self._store.count()
        if reason and count:
            warnings.warn(f"gallery {self.path}: {reason}; rebuilding the search index from "
                          f"the {count} stored embeddings", SiamkitWarning, stacklevel=3)
        if reason:
            try:
                self._rebuild_index()
            except WriteError as exc:
                self._go_read_only(f"the rebuilt search index could not be saved: {exc}")

    def _settle_settings(self) -> None:
        """The index, vector storage, backend and scoring: as asked, or as the gallery was saved
        with. A stored setting that is no valid value is a damaged database (DataError); asking
        for another storage or backend than an existing gallery's is a ConfigError."""
        stored_kind, stored_vectors = self._store.get_meta("index"), self._store.get_meta("vectors")
        if stored_kind is not None:
            try:
                factory.check_spec(stored_kind)
            except ConfigError as exc:
                raise DataError(f"{self._where()}: {DB_FILE}: meta index: {exc}") from None
        for key, value, allowed in (("vectors", stored_vectors, VECTORS),
                                    ("backend", self._store.get_meta("backend"), BACKENDS),
                                    ("scoring", self._store.get_meta("scoring"),
                                     prototypes.SCORINGS)):
            if value is not None and value not in allowed:
                raise DataError(f"{self._where()}: {DB_FILE}: meta {key}: expected one of "
                                f"{', '.join(allowed)}, got {value!r}")
        self.index_kind_ = self.index or stored_kind or "flat"
        has_refs = self._store.count() > 0
        if stored_vectors is None:
            stored_vectors = "float32" if has_refs else None  # galleries before the option
        self.vectors_ = self.vectors or stored_vectors or "float32"
        if stored_vectors is not None and self.vectors_ != stored_vectors:
            raise ConfigError(f"{self._where()}: keeps {stored_vectors} vectors, not "
                              f"{self.vectors_}; enroll into a new gallery to change that")
        if self.vectors_ == "none" and has_refs and self.index_kind_ != stored_kind:
            raise ConfigError(f"{self._where()}: keeps no vectors (vectors='none'), so its index "
                              f"{stored_kind!r} cannot be rebuilt as {self.index_kind_!r}")
        if self.vectors_ == "none" and factory.is_binary(factory.resolve(self.index_kind_)):
            raise ConfigError("gallery index 'binary': rescores every candidate against the "
                              "stored vectors, so it needs vectors='float32' or 'float16'")
        self._store.use_vectors(self.vectors_)
        self.backend_ = self.backend or self._store.get_meta("backend") or "faiss"
        stored_backend = self._store.get_meta("backend") or ("faiss" if has_refs else None)
        if stored_backend is not None and stored_backend != self.backend_:
            raise ConfigError(f"{self._where()}: its vectors are in {stored_backend}, not "
                              f"{self.backend_}; enroll into a new gallery to move them")
        self.uri_ = self.uri or self._store.get_meta("uri")
        self.collection_ = self.collection or self._store.get_meta("collection") or "siamkit"
        if self.backend_ == "milvus" and not self.uri_:
            raise ConfigError("gallery backend 'milvus': give uri, a local .db file (Milvus "
                              "Lite) or http(s)://host:port (a Milvus server)")
        self.scoring_ = self.scoring or self._store.get_meta("scoring") or "nearest"
        settings = {"index": self.index_kind_, "vectors": self.vectors_, "backend": self.backend_,
                    "scoring": self.scoring_}
        if self.backend_ == "milvus":
            settings.update(uri=self.uri_, collection=self.collection_)
        for key, value in settings.items():
            if self._store.get_meta(key) != value:
                self._store.set_meta(key, value)

    def _catch_up_or_read_only(self, reason: str) -> None:
        try:
            self._catch_up(reason)
        except WriteError as exc:
            self._go_read_only(f"the index brought up to date could not be saved: {exc}")

    def _catch_up(self, reason: str) -> None:
        """Bring the saved index (or the Milvus collection) up to the database after a process
        died before saving it: drop what was removed, add what the database still holds the
        vectors of (with ``vectors="none"``, those kept until an index held them). With no
        vectors kept, an index whose vectors differ from the checksums cannot be mended here."""
        db_ids, _ = self._store.ref_table()
        if not self._index.was_read:
            self._index = self._new_index()
            if not len(db_ids):
                self._save_index(self.path)  # a new gallery
                return
        held = self._index.ids()
        self._index.remove(held[~np.isin(held, db_ids)])
        added = 0
        for ids, emb in self._store.iter_embeddings():
            new = ~np.isin(ids, held)
            self._index.add(ids[new], emb[new])
            added += int(new.sum())
        lost = np.setdiff1d(db_ids, self._index.ids())
        if len(lost):
            raise DataError(f"{self._where()}: {reason}, and it keeps no vectors "
                            f"(vectors='none'): {len(lost)} references cannot be recovered; "
                            f"restore {self.path}/index.faiss or enroll them again")
        if self.backend_ == "faiss" and not self._index.lossy:
            wrong = integrity.index_mismatch(self._index, self._store.conn)
            if wrong:
                raise DataError(f"{self._where()}: {wrong}, and it keeps no vectors "
                                f"(vectors='none') to rebuild them from; restore "
                                f"{self.path}/index.faiss and index.json from a backup")
        warnings.warn(f"{self._where()}: {reason}; brought the saved index up to date "
                      f"({added} added from the database)", SiamkitWarning, stacklevel=4)
        self._save_index(self.path)

    def _checksums(self, embeddings: np.ndarray) -> np.ndarray:
        """Checksums of new rows, of float32 ``embeddings`` as the database keeps them (float16
        values for a float16 gallery), in the form the index stores them."""
        return integrity.vector_checksums(self._index.stored(embeddings))

    def _check_rows(self) -> None:
        problems = integrity.row_problems(self._store.conn, self.dim_, self.vectors_)
        if problems:
            what = "; ".join(p.message for p in problems)
            raise DataError(f"{self._where()}: {what}; `siamkit gallery check --gallery "
                            f"{self.path} --repair` deletes them")

    def _fill_checksums(self) -> None:
        """Checksums for the rows of a gallery written before they existed (once)."""
        if self._store.get_meta("checksums") == integrity.CHECKSUM_VERSION:
            return
        try:
            with self._store.transaction() as db:
                filled = integrity.fill_checksums(db, self.dim_, self._index.stored,
                                                  self.vectors_)
                db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                           ("checksums", str(integrity.CHECKSUM_VERSION)))
        except (WriteError, sqlite3.OperationalError) as exc:
            self._go_read_only(f"the checksums of older references could not be stored ({exc})")
            return
        if filled:
            log.info("%s: computed the checksums of %d reference(s) written by an older siamkit, "
                     "from the stored embeddings", self._where(), filled)

    def _go_read_only(self, reason: str) -> None:
        self.read_only_ = reason
        warnings.warn(f"{self._where()}: {reason}; the gallery is open read-only (searches work, "
                      "enroll and remove are refused); free some space and open it again",
                      SiamkitWarning, stacklevel=4)

    def _check_writable(self) -> None:
        if self.read_only_ is not None:
            raise WriteError(f"{self._where()} is open read-only: {self.read_only_}")

    def _check_model(self) -> None:
        stored = self._store.get_meta("fingerprint")
        if stored is None:
            for key, value in (("fingerprint", self.fingerprint_),
                               ("model", describe_model(self.model)),
                               ("dim", self.dim_), ("created", time.time()),
                               ("siamkit_version", __version__),
                               ("checksums", integrity.CHECKSUM_VERSION)):
                self._store.set_meta(key, value)
        elif stored != self.fingerprint_:
            raise ModelMismatchError(mismatch_message(
                f"gallery {self.path}", self._store.get_meta("model"), stored,
                describe_model(self.model), self.fingerprint_))
        dim = self._store.get_meta("dim")
        if dim is not None and dim != self.dim_:
            raise DataError(f"{self._where()}: {DB_FILE}: meta dim is {dim!r}, but the model "
                            f"(whose fingerprint matches) gives {self.dim_}-dim embeddings")

    def _new_index(self) -> Any:
        if self.backend_ == "milvus":
            return MilvusIndex(self.dim_, self.metric_, self.uri_, self.collection_,
                               nprobe=self.nprobe, ef_search=self.ef_search,
                               normalize=self.model.score_scale.index_normalized)
        return VectorIndex(self.dim_, self.metric_, self.index_kind_, nlist=self.nlist,
                           nprobe=self.nprobe, hnsw_m=self.hnsw_m, ef_search=self.ef_search,
                           normalize=self.model.score_scale.index_normalized)

    def _load_maps(self) -> None:
        ref_ids, ident_ids = self._store.ref_table()
        rows = [(row, name, n) for row, name, _, _, n in self._store.identities()]
        self._members = Members(ref_ids, ident_ids, rows)

    def _rebuild_index(self) -> None:
        chunks = ([self._index.export()] if self.vectors_ == "none"
                  else self._store.iter_embeddings())
        if self.backend_ == "milvus":
            chunks = list(chunks)
            self._index.reset()
        else:
            self._index = self._new_index()
        for ids, emb in chunks:
            self._index.add(ids, emb)
        if self.path is not None:
            self._save_index(self.path)

    def _save_index(self, folder: Path | None) -> None:
        if self.backend_ == "milvus":
            self._index.write()  # Milvus's flush
        elif folder is not None:
            write_index(folder, self._index, self.fingerprint_)
        if self.vectors_ == "none" and (self.path is None or folder == self.path):
            self._store.clear_vectors()  # the saved index holds them now

    def rebuild_index(self) -> "Gallery":
        """Rebuild the search index from the stored embeddings (it trains again once it holds
        enough vectors)."""
        with self._lock:
            self._refuse_without_vectors("rebuilt")
            self._rebuild_index()
        return self

    def train(self) -> "Gallery":
        """Train the index afresh on all stored embeddings now (new IVF cells, codebooks), rather
        than on those it held when it first had enough; a DataError says how many vectors are
        missing when too few are enrolled."""
        with self._lock:
            if self.backend_ == "milvus":
                raise ConfigError(f"{self._where()}: Milvus builds and trains its own index")
            self._refuse_without_vectors("retrained")
            parts = ([self._index.export()] if self.vectors_ == "none"
                     else list(self._store.iter_embeddings()))
            ids = np.concatenate([p[0] for p in parts] + [np.zeros(0, dtype=np.int64)])
            emb = np.concatenate([p[1] for p in parts]
                                 + [np.zeros((0, self.dim_), dtype=np.float32)])
            index = self._new_index()
            index.train(ids, emb)
            self._index = index
            if self.path is not None:
                self._save_index(self.path)
        return self

    def _refuse_without_vectors(self, what: str) -> None:
        if self.vectors_ == "none" and self._index.lossy:
            raise ConfigError(f"{self._where()}: keeps no vectors (vectors='none'), so its "
                              f"compressed index cannot be {what}")

    # ---- writing ----------------------------------------------------------------------------

    def enroll(self, identity: str, samples: Any, metadata: dict | None = None,
               reference_metadata: Sequence[dict] | None = None) -> list[int]:
        """Add references of ``identity`` (image paths, PIL images, arrays, texts or a prepared
        tensor batch; one sample or many) and return their reference ids. Enrolling an existing
        identity adds references and merges ``metadata`` into its metadata."""
        _inputs.check_identity(identity)
        emb = _inputs.encode(self.model, samples, f"samples of {identity!r}", self.batch_size)
        meta = _inputs.reference_metadata(self.model, samples, reference_metadata, len(emb),
                                          f"enroll {identity!r}")
        return self.enroll_embeddings(identity, emb, metadata, meta)

    def enroll_embeddings(self, identity: str, embeddings: Any, metadata: dict | None = None,
                          reference_metadata: Sequence[dict] | None = None) -> list[int]:
        """Like :meth:`enroll` with embeddings ``[n, D]`` already computed by this model."""
        _inputs.check_identity(identity)
        emb = _inputs.check_embeddings(embeddings, self.dim_, f"embeddings of {identity!r}")
        meta = _inputs.check_metadata(metadata, f"enroll {identity!r}")
        if reference_metadata is None:
            reference_metadata = [{} for _ in range(len(emb))]
        refs = _inputs.reference_metadata(self.model, None, reference_metadata, len(emb),
                                          f"enroll {identity!r}")
        with self._lock:
            self._check_writable()
            emb = self._store.as_kept(emb)  # the index holds what a rebuild would give it
            ident, ids = self._store.add(identity, emb, meta, refs)
            self._index.add(ids, emb)
            self._members.add(np.full(len(ids), ident), ids, [identity] * len(ids))
        return ids.tolist()

    def enroll_many(self, identities: Sequence[str], samples: Any,
                    reference_metadata: Sequence[dict] | None = None) -> list[int]:
        """Enroll many references at once, sample i belonging to ``identities[i]``, in one
        transaction (much faster than one :meth:`enroll` per sample for large galleries)."""
        emb = _inputs.encode(self.model, samples, "samples", self.batch_size)
        meta = _inputs.reference_metadata(self.model, samples, reference_metadata, len(emb),
                                          "enroll_many")
        return self.enroll_many_embeddings(identities, emb, meta)

    def enroll_many_embeddings(self, identities: Sequence[str], embeddings: Any,
                               reference_metadata: Sequence[dict] | None = None) -> list[int]:
        """Like :meth:`enroll_many` with embeddings ``[n, D]`` already computed by this model."""
        emb = _inputs.check_embeddings(embeddings, self.dim_, "embeddings")
        names = [_inputs.check_identity(name) for name in identities]
        if len(names) != len(emb):
            raise DataError(f"enroll_many: {len(names)} identities for {len(emb)} samples")
        if reference_metadata is None:
            reference_metadata = [{} for _ in range(len(emb))]
        refs = _inputs.reference_metadata(self.model, None, reference_metadata, len(emb),
                                          "enroll_many")
        with self._lock:
            self._check_writable()
            emb = self._store.as_kept(emb)
            idents, ids = self._store.add_many(names, emb, refs)
            self._index.add(ids, emb)
            self._members.add(idents, ids, names)
        return ids.tolist()

    def remove(self, identity: str) -> int:
        """Delete ``identity`` and all its references; returns how many references were removed."""
        with self._lock:
            self._check_writable()
            removed = self._store.remove(identity)
            if removed is None:
                raise UnknownIdentityError(
                    f"identity {identity!r} is not enrolled in {self._where()}")
            _, ids = removed
            self._index.remove(ids)
            self._members.remove(identity, ids)
        return len(ids)

    # ---- reading ----------------------------------------------------------------------------

    def list(self) -> list[IdentityInfo]:
        """Every enrolled identity with its number of references and metadata, by name."""
        with self._lock:
            rows = self._store.identities()
        return [IdentityInfo(name, n, meta, created) for _, name, meta, created, n in rows]

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, identity: object) -> bool:
        return identity in self._members.row_of

    @property
    def n_references(self) -> int:
        return self._index.ntotal

    @property
    def rescores(self) -> bool:
        """Whether searches rescore the index's shortlist with the model's head, and so run the
        model (a server holds its model lock around them)."""
        return self._rescore

    def stats(self) -> dict[str, Any]:
        """How many identities and references the gallery holds, its index, how it keeps its
        vectors, and whether it is open read-only."""
        with self._lock:
            return {"identities": len(self), "references": self.n_references,
                    "index": self.index_kind_, "factory": self._index.factory_,
                    "trained": self._index.trained,
                    "training_needs": self._index.min_train, "vectors": self.vectors_,
                    "index_bytes": self._index.nbytes(), "backend": self.backend_,
                    "scoring": self.scoring_,
                    "read_only": self.read_only_ is not None}  # why: read_only_ (names paths)

    @property
    def model_path(self) -> str | None:
        """The model folder recorded with :meth:`record_model_path` (None if none was)."""
        with self._lock:
            return self._store.get_meta(MODEL_PATH_KEY)

    def record_model_path(self, path: str | Path) -> None:
        """Record the folder of the model that built the gallery, unless one is recorded already,
        so that ``siamkit gallery`` can open it without ``--model``."""
        with self._lock:
            if self._store.get_meta(MODEL_PATH_KEY) is None:
                self._store.set_meta(MODEL_PATH_KEY, str(Path(path).resolve()))

    def n_references_of(self, identity: str) -> int:
        """How many references ``identity`` has (0 if it is not enrolled)."""
        with self._lock:
            return self._members.count(identity)

    def identify(self, probes: Any, k: int = 5, threshold: float | None = None,
                 **search_options: Any) -> Identifications:
        """The ``k`` best identities for each probe (one sample or a batch), ranked by the score of
        their best reference (``scoring="prototype"``: of the mean of their references), with the
        open-set decision (see :class:`Identification`). ``threshold`` overrides the model's;
        ``nprobe``, ``ef_search`` and ``rerank`` override the gallery's for this call (a
        prototype search reads every vector and takes none of them)."""
        return self.identify_embeddings(self._encode(probes), k, threshold, **search_options)

    def identify_embeddings(self, embeddings: Any, k: int = 5, threshold: float | None = None,
                            **search_options: Any) -> Identifications:
        """Like :meth:`identify` with probe embeddings ``[B, D]`` computed by this model."""
        emb = _inputs.check_embeddings(embeddings, self.dim_, "probe embeddings")
        k = _check_k(k)
        threshold = self.model.threshold if threshold is None else float(threshold)
        with self._lock:
            options = self._options(search_options)
            if self.scoring_ == "prototype":
                return prototypes.identify(self, emb, k, threshold)
            return search.identify(self, emb, k, threshold, options)

    def search(self, probes: Any, k: int = 10, **search_options: Any) -> list[list[Match]]:
        """The ``k`` best individual references for each probe, best first, with their metadata
        (``nprobe``, ``ef_search``, ``rerank``: as for :meth:`identify`)."""
        return self.search_embeddings(self._encode(probes), k, **search_options)

    def search_embeddings(self, embeddings: Any, k: int = 10,
                          **search_options: Any) -> list[list[Match]]:
        """Like :meth:`search` with probe embeddings ``[B, D]`` computed by this model."""
        emb = _inputs.check_embeddings(embeddings, self.dim_, "probe embeddings")
        k = _check_k(k)
        with self._lock:
            return search.matches(self, emb, k, self._options(search_options))

    def _options(self, given: dict) -> dict:
        """Per-call search settings, checked, over the gallery's own."""
        unknown = set(given) - {"nprobe", "ef_search", "rerank"}
        if unknown:
            raise ConfigError(f"search options: unknown {', '.join(sorted(unknown))}; "
                              "expected nprobe, ef_search or rerank")
        out = {"nprobe": self.nprobe, "ef_search": self.ef_search, "rerank": self.rerank}
        for key, value in given.items():
            if value is not None:
                out[key] = _check_count(value, key, minimum=0 if key == "rerank" else 1)
        if out["rerank"] is None:
            keeps = self.vectors_ != "none"
            out["rerank"] = RERANK_DEFAULT if keeps and self._index.lossy else 0
        if self._index.binary and not out["rerank"]:
            out["rerank"] = RERANK_DEFAULT  # Hamming distances are not on the model's scale
        return out

    def _iter_vectors(self) -> Any:
        """(ids, float32 embeddings) of every reference, in chunks: from the database where it
        keeps them, else from the index (decoded from its codes where it compresses)."""
        if self.vectors_ == "none":
            yield self._index.export()
        else:
            yield from self._store.iter_embeddings()

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """Embeddings of reference ids: exact from the database where it keeps them, else
        decoded from the index."""
        if self.vectors_ == "none":
            return self._index.reconstruct(ids)
        return self._store.embeddings(ids)

    def verify(self, identity: str, probes: Any, aggregate: str = "max",
               threshold: float | None = None) -> list[Verification]:
        """Is each probe ``identity``? Scores against every reference of the identity, aggregated
        by "max" (the best reference) or "mean", and compared with the threshold."""
        return self.verify_embeddings(identity, self._encode(probes), aggregate, threshold)

    def verify_embeddings(self, identity: str, embeddings: Any, aggregate: str = "max",
                          threshold: float | None = None) -> list[Verification]:
        """Like :meth:`verify` with probe embeddings ``[B, D]`` computed by this model."""
        if aggregate not in AGGREGATES:
            raise ConfigError(f"aggregate: expected one of {', '.join(AGGREGATES)}, "
                              f"got {aggregate!r}")
        threshold = self.model.threshold if threshold is None else float(threshold)
        if threshold is None:
            raise NotCalibratedError("verify needs a decision threshold and the model has none: "
                                     "calibrate the model (siamkit.evaluation.calibrate) or pass "
                                     "threshold=")
        emb = _inputs.check_embeddings(embeddings, self.dim_, "probe embeddings")
        with self._lock:
            if self.vectors_ == "none":
                ids = self._store.identity_ref_ids(identity)
                refs = None if ids is None else self._index.reconstruct(ids)
            else:
                refs = self._store.identity_embeddings(identity)
        if refs is None:
            raise UnknownIdentityError(f"identity {identity!r} is not enrolled in {self._where()}")
        device = self.model.device
        with torch.no_grad():
            s = self.model.pairwise_scores(torch.from_numpy(emb).to(device),
                                           torch.from_numpy(refs).to(device)).float().cpu()
        agg = s.max(dim=1).values if aggregate == "max" else s.mean(dim=1)
        return [Verification(identity, bool(v >= threshold), float(v), threshold, aggregate,
                             len(refs)) for v in agg.tolist()]

    # ---- internals --------------------------------------------------------------------------

    def _encode(self, probes: Any) -> np.ndarray:
        return _inputs.encode(self.model, probes, "probes", self.batch_size)

    def _where(self) -> str:
        return "the gallery" if self.path is None else f"gallery {self.path}"

    # ---- saving -----------------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        """Write the gallery to the folder ``path`` (default: its own folder, where this writes
        the search index; the database is always up to date there). Files are replaced
        atomically."""
        target = self.path if path is None else Path(path)
        if target is None:
            raise ConfigError("gallery.save: this gallery lives in memory; "
                              "give a folder to save it in")
        target.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self.backend_ == "milvus" and (self.path is None
                                              or target.resolve() != self.path.resolve()):
                raise ConfigError("gallery.save: a Milvus gallery's vectors stay in its "
                                  "collection; it cannot be copied to another folder")
            if self.path is None or target.resolve() != self.path.resolve():
                if (target / DB_FILE).exists():
                    raise ConfigError(f"gallery.save: {target} already holds a gallery; "
                                      "choose a new folder")
                with atomic_path(target / DB_FILE) as tmp:
                    self._store.backup_to(tmp)
            self._save_index(target)
        return target

    def close(self) -> None:
        """Save the search index (for a gallery in a folder) and close the database."""
        with self._lock:
            if self._store is None:
                return
            try:
                if self.read_only_ is None and (self.path is not None
                                                or self.backend_ == "milvus"):
                    self._save_index(self.path)
            except WriteError as exc:
                # The database holds every change (with vectors="none", the vectors not yet in a
                # saved index too: they are cleared only after it is saved); the next open
                # rebuilds or catches the index up from it.
                warnings.warn(f"{self._where()}: the search index was not saved ({exc}); the "
                              "next open rebuilds it from the database", SiamkitWarning,
                              stacklevel=2)
            finally:
                if self.backend_ == "milvus":
                    self._index.close()
                self._store.close()
                self._store = None

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "in memory" if self.path is None else str(self.path)
        return (f"Gallery({where}, index={self.index_kind_!r}, identities={len(self)}, "
                f"references={self.n_references})")


def _check_count(value: Any, what: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{what}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k: expected a positive integer, got {k!r}")
    return int(k)

