"""Galleries of enrolled references: enroll, identify, verify, search (FAISS or Milvus + SQLite)."""

from .exceptions import ModelMismatchError, UnknownIdentityError
from .fingerprint import model_fingerprint
from .gallery import AGGREGATES, BACKENDS, RERANK_DEFAULT, VECTORS, Gallery
from .persist import recorded_model_path
from .results import Candidate, Identification, Identifications, IdentityInfo, Match, Verification

__all__ = [
    "AGGREGATES",
    "BACKENDS",
    "Candidate",
    "Gallery",
    "Identification",
    "Identifications",
    "IdentityInfo",
    "Match",
    "RERANK_DEFAULT",
    "ModelMismatchError",
    "UnknownIdentityError",
    "VECTORS",
    "Verification",
    "model_fingerprint",
    "recorded_model_path",
]
