"""Request and response bodies of the HTTP API (they make the OpenAPI schema at /openapi.json).

Inputs are sent in the form the model reads: ``texts`` (strings) for a text model, ``images``
(base64, optionally as a ``data:`` URL) for an image model, ``vectors`` (lists of numbers) for a
vector model. Exactly one of the three per request; image endpoints also take multipart uploads at
``.../upload``. Scores are higher = more similar, on the model's scale (``score_kind``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

Number = Annotated[float, Field(allow_inf_nan=False)]
Identity = Annotated[str,
                     Field(min_length=1, max_length=256,
                           description="Name of an enrolled identity.")]


class Inputs(BaseModel):
    """A batch of inputs of one modality (give exactly one field)."""

    model_config = ConfigDict(extra="forbid")
    texts: Optional[list[str]] = Field(None, description="Texts, for a text model.")
    images: Optional[list[str]] = Field(None,
                                        description="Base64-encoded image files (PNG, JPEG, ...).")
    vectors: Optional[list[list[Number]]] = Field(None, description="Vectors, for a vector model.")


class PairRequest(BaseModel):
    """Two batches of the same length: row i of ``a`` is compared with row i of ``b``."""

    model_config = ConfigDict(extra="forbid")
    a: Inputs
    b: Inputs


class EnrollRequest(Inputs):
    identity: Identity
    metadata: Optional[dict[str, Any]] = Field(None,
                                               description="Merged into the identity's metadata.")


class IdentifyRequest(Inputs):
    k: int = Field(5, ge=1, description="How many identities to rank per input.")
    threshold: Optional[Number] = Field(None, description="Overrides the model's threshold.")


class GalleryVerifyRequest(Inputs):
    identity: Identity
    aggregate: Literal["max", "mean"] = "max"
    threshold: Optional[Number] = Field(None, description="Overrides the model's threshold.")


# ---- responses ---------------------------------------------------------------------------------


class Health(BaseModel):
    status: str
    version: str
    gallery: bool


class ModelInfo(BaseModel):
    modality: str
    input: dict[str, Any]
    embedding_dim: int
    distance: str
    score_kind: str
    threshold: Optional[float]
    threshold_info: dict[str, Any]
    limits: dict[str, Union[int, float]]
    gallery: Optional[dict[str, Any]]


class Embeddings(BaseModel):
    embeddings: list[list[float]]
    dim: int


class Scores(BaseModel):
    scores: list[float]
    score_kind: str
    threshold: Optional[float]
    same: Optional[list[Optional[bool]]] = Field(
        None, description="score >= threshold; null without a threshold, and null for a pair "
                          "with a text none of whose words the model knows (see warnings).")
    warnings: list[str] = Field(default_factory=list,
                                description="Inputs scored but not to be trusted, one line "
                                            "each: a text none of whose words the model knows, a "
                                            "file path given to a text model, an image the model "
                                            "converts (colour dropped, aspect ratio squeezed).")


class Enrolled(BaseModel):
    identity: str
    reference_ids: list[int]
    n_references: int


class CandidateOut(BaseModel):
    identity: str
    score: float
    reference_id: int


class IdentificationOut(BaseModel):
    identity: Optional[str] = Field(description="Best identity; null when unknown "
                                                "(below the threshold).")
    score: Optional[float]
    known: Optional[bool] = Field(description="Best score >= threshold; null without a threshold.")
    threshold: Optional[float]
    candidates: list[CandidateOut]


class Identified(BaseModel):
    results: list[IdentificationOut]


class VerificationOut(BaseModel):
    identity: str
    accepted: bool
    score: float
    threshold: float
    aggregate: str
    n_references: int


class Verified(BaseModel):
    results: list[VerificationOut]


class Removed(BaseModel):
    identity: str
    removed: int


class IdentityOut(BaseModel):
    identity: str
    n_references: int
    metadata: dict[str, Any]
    created: float


class IdentityList(BaseModel):
    identities: list[IdentityOut]
    n_identities: int
    n_references: int
