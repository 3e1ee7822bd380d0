"""A gallery of enrolled references: verify a probe against a claimed identity, or identify it.

This is how Siamese networks are used in practice (Bromley et al. 1993 enrolled genuine signatures;
Taigman et al. 2014, "DeepFace", and Schroff et al. 2015, "FaceNet", verify and identify faces the
same way): one side of every comparison, the references, is embedded ahead of time and stored; a
new input is embedded once and compared with all of them.

Scores follow siamkit's convention, higher = more similar, on the model's own scale (cosine
similarity, minus a distance, or a head's match probability; see :mod:`siamkit.gallery.search`).
With a head, the index shortlists ``shortlist`` references and the head rescores them exactly;
with no more references than ``shortlist`` the search is exhaustive.

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
from .index import KINDS, VectorIndex
from .members import Members
from .persist import DB_FILE, MODEL_PATH_KEY, read_index, write_index
from .results import Identifications, IdentityInfo, Match, Verification
from .store import Store

AGGREGATES = ("max", "mean")
log = logging.getLogger("siamkit.gallery")


class Gallery:
    """Enrolled references of named identities, searchable with a trained model.

    Args:
        model: the :class:`~siamkit.SiameseNetwork` that embeds references and probes.
        path: a folder to keep the gallery in (created if new, opened if it holds one). Every
            enrollment and removal is committed to its SQLite database before the call returns.
            None keeps the gallery in memory; :meth:`save` writes it to a folder later.
        index: "flat" (exact, default for a new gallery), "ivf" or "hnsw" (approximate, for
            millions of references); None keeps the kind an existing gallery was saved with.
        nlist, nprobe: IVF cells (None: ``4 sqrt(n)`` when trained) and cells searched per query.
        hnsw_m, ef_search: HNSW graph degree and search breadth.
        shortlist: references rescored by a head model per probe.
        batch_size: inputs embedded per forward pass.
        scoring: how :meth:`identify` scores an identity: "nearest" (its best reference, default
            for a new gallery) or "prototype" (the mean of its references; see
            :mod:`siamkit.gallery.prototypes`); None keeps what an existing gallery was saved with.

    Opening checks the folder (:mod:`siamkit.gallery.integrity`): rows that cannot be used refuse
    the open; an index that differs from the database is rebuilt, with a warning. When the rebuilt
    index cannot be saved (a full disk), the gallery opens read-only: ``read_only_`` says why,
    searches work, and enroll and remove raise :class:`~siamkit.errors.WriteError`.

    Call :meth:`close` (or use ``with``) when done with a gallery kept in a folder: it saves the
    search index; otherwise the next open rebuilds the index from the stored embeddings (with a
    :class:`~siamkit.errors.SiamkitWarning`), which loses nothing but takes time.
    """

    def __init__(self, model: Any, path: str | Path | None = None, index: str | None = None, *,
                 nlist: int | None = None, nprobe: int = 16, hnsw_m: int = 32,
                 ef_search: int = 128, shortlist: int = 100, batch_size: int = 256,
                 scoring: str | None = None) -> None:
        self.model = model
        self.path = None if path is None else Path(path)
        self.index = index
        self.nlist, self.nprobe, self.hnsw_m, self.ef_search = nlist, nprobe, hnsw_m, ef_search
        self.shortlist, self.batch_size = int(shortlist), int(batch_size)
        self.scoring = scoring
        if scoring is not None and scoring not in prototypes.SCORINGS:
            raise ConfigError(f"gallery scoring: unknown rule {scoring!r}; choose one of "
                              f"{', '.join(prototypes.SCORINGS)}")
        if index is not None and index not in KINDS:
            raise ConfigError(f"gallery index: unknown kind {index!r}; "
                              f"choose one of {', '.join(KINDS)}")
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
            self._check_rows()
        except BaseException:
            self._store.close()
            raise
        stored_kind = self._store.get_meta("index")
        self.index_kind_ = self.index or stored_kind or "flat"
        if self.index_kind_ != stored_kind:
            self._store.set_meta("index", self.index_kind_)
        stored_scoring = self._store.get_meta("scoring")
        self.scoring_ = self.scoring or stored_scoring or "nearest"
        if self.scoring_ != stored_scoring:
            self._store.set_meta("scoring", self.scoring_)
        try:
            self._index = self._new_index()
        except ConfigError as exc:
            self._store.close()
            raise DataError(f"{self._where()}: {DB_FILE}: meta index: {exc}") from None
        self._fill_checksums()
        self._load_maps()
        if self.path is not None:
            reason = read_index(self.path, self._index, self._store, self.fingerprint_)
            count = self._store.count()
            if reason and count:
                warnings.warn(f"gallery {self.path}: {reason}; rebuilding the search index from "
                              f"the {count} stored embeddings", SiamkitWarning, stacklevel=3)
            if reason:
                try:
                    self._rebuild_index()
                except WriteError as exc:
                    self._go_read_only(f"the rebuilt search index could not be saved: {exc}")

    def _checksums(self, embeddings: np.ndarray) -> np.ndarray:
        return integrity.vector_checksums(self._index.stored(embeddings))

    def _check_rows(self) -> None:
        problems = integrity.row_problems(self._store.conn, self.dim_)
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
                filled = integrity.fill_checksums(db, self.dim_, self._index.stored)
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

    def _new_index(self) -> VectorIndex:
        return VectorIndex(self.dim_, self.metric_, self.index_kind_, nlist=self.nlist,
                           nprobe=self.nprobe, hnsw_m=self.hnsw_m, ef_search=self.ef_search,
                           normalize=self.model.score_scale.index_normalized)

    def _load_maps(self) -> None:
        ref_ids, ident_ids = self._store.ref_table()
        rows = [(row, name, n) for row, name, _, _, n in self._store.identities()]
        self._members = Members(ref_ids, ident_ids, rows)

    def _rebuild_index(self) -> None:
        self._index = self._new_index()
        for ids, emb in self._store.iter_embeddings():
            self._index.add(ids, emb)
        if self.path is not None:
            write_index(self.path, self._index, self.fingerprint_)

    def rebuild_index(self) -> "Gallery":
        """Rebuild the search index from the stored embeddings (e.g. to retrain IVF cells)."""
        with self._lock:
            self._rebuild_index()
        return self

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
        """How many identities and references the gallery holds, and its index kind."""
        with self._lock:
            return {"identities": len(self), "references": self.n_references,
                    "index": self.index_kind_}

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

    def identify(self, probes: Any, k: int = 5, threshold: float | None = None) -> Identifications:
        """The ``k`` best identities for each probe (one sample or a batch), ranked by the score of
        their best reference (``scoring="prototype"``: of the mean of their references), with the
        open-set decision (see :class:`Identification`).
        ``threshold`` overrides the model's."""
        return self.identify_embeddings(self._encode(probes), k, threshold)

    def identify_embeddings(self, embeddings: Any, k: int = 5,
                            threshold: float | None = None) -> Identifications:
        """Like :meth:`identify` with probe embeddings ``[B, D]`` computed by this model."""
        emb = _inputs.check_embeddings(embeddings, self.dim_, "probe embeddings")
        k = _check_k(k)
        threshold = self.model.threshold if threshold is None else float(threshold)
        with self._lock:
            if self.scoring_ == "prototype":
                return prototypes.identify(self, emb, k, threshold)
            return search.identify(self, emb, k, threshold)

    def search(self, probes: Any, k: int = 10) -> list[list[Match]]:
        """The ``k`` best individual references for each probe, best first, with their metadata."""
        return self.search_embeddings(self._encode(probes), k)

    def search_embeddings(self, embeddings: Any, k: int = 10) -> list[list[Match]]:
        """Like :meth:`search` with probe embeddings ``[B, D]`` computed by this model."""
        emb = _inputs.check_embeddings(embeddings, self.dim_, "probe embeddings")
        k = _check_k(k)
        with self._lock:
            return search.matches(self, emb, k)

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
            if self.path is None or target.resolve() != self.path.resolve():
                if (target / DB_FILE).exists():
                    raise ConfigError(f"gallery.save: {target} already holds a gallery; "
                                      "choose a new folder")
                with atomic_path(target / DB_FILE) as tmp:
                    self._store.backup_to(tmp)
            write_index(target, self._index, self.fingerprint_)
        return target

    def close(self) -> None:
        """Save the search index (for a gallery in a folder) and close the database."""
        with self._lock:
            if self._store is None:
                return
            try:
                if self.path is not None and self.read_only_ is None:
                    write_index(self.path, self._index, self.fingerprint_)
            except WriteError as exc:
                # The database holds every change; the next open rebuilds the index from it.
                warnings.warn(f"{self._where()}: the search index was not saved ({exc}); the "
                              "next open rebuilds it from the database", SiamkitWarning,
                              stacklevel=2)
            finally:
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


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"k: expected a positive integer, got {k!r}")
    return int(k)

