"""Routes on the gallery: enroll, identify, verify against an identity, remove, list.

The writes (their names are :data:`siamkit.serve.auth.WRITE_ROUTES`) need the admin key and are
recorded in the audit log. ``DELETE /api/gallery/identities/{identity}`` takes the rest of the
path, so that any name that could be enrolled can be removed: ``dept/ann`` as ``dept%2Fann`` (what
``urllib.parse.quote(name, safe="")`` sends) or ``dept/ann``. The two names no URL path can carry,
``.`` and ``..`` (clients resolve them as folder steps), are refused at enrollment over HTTP.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal, Optional

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile

from . import audit
from . import inputs as convert
from .routes_model import state_of, uploaded_images
from .schemas import (
    Enrolled,
    EnrollRequest,
    GalleryVerifyRequest,
    Identified,
    IdentifyRequest,
    IdentityList,
    Removed,
    Verified,
)
from .state import ServiceState

DOT_SEGMENTS = (".", "..")


def gallery_router() -> APIRouter:
    router = APIRouter(prefix="/api/gallery", tags=["gallery"])

    @router.post("/enroll", response_model=Enrolled, summary="Enroll references of an identity")
    def enroll(body: EnrollRequest, request: Request) -> Enrolled:
        state = state_of(request)
        state.require_gallery()
        convert.check_metadata_size(body.metadata, state.limits)
        return _enroll(request, body.identity,
                       convert.raw_inputs(body, state.model, state.limits), body.metadata)

    @router.post("/enroll/upload", response_model=Enrolled,
                 summary="Enroll uploaded images of an identity")
    def enroll_upload(identity: Annotated[str, Form(min_length=1, max_length=256)],
                      files: Annotated[list[UploadFile], File()], request: Request,
                      metadata: Annotated[Optional[str],
                                          Form(description="A JSON object")] = None) -> Enrolled:
        state = state_of(request)
        state.require_gallery()
        meta = None
        if metadata:
            try:
                meta = json.loads(metadata)
            except ValueError:
                raise HTTPException(422, "metadata: not valid JSON") from None
            convert.check_metadata_size(meta, state.limits)
        return _enroll(request, identity, uploaded_images(files, state), meta)

    @router.post("/identify", response_model=Identified,
                 summary="Who is it? Ranked identities per input")
    def identify(body: IdentifyRequest, request: Request) -> Identified:
        state = state_of(request)
        return _identify(state, convert.raw_inputs(body, state.model, state.limits), body.k,
                         body.threshold)

    @router.post("/identify/upload", response_model=Identified, summary="Identify uploaded images")
    def identify_upload(files: Annotated[list[UploadFile], File()], request: Request,
                        k: Annotated[int, Form(ge=1)] = 5) -> Identified:
        state = state_of(request)
        state.require_gallery()
        return _identify(state, uploaded_images(files, state), k, None)

    @router.post("/verify", response_model=Verified, summary="Is each input the claimed identity?")
    def verify(body: GalleryVerifyRequest, request: Request) -> Verified:
        state = state_of(request)
        raw = convert.raw_inputs(body, state.model, state.limits)
        return _verify(state, body.identity, raw, body.aggregate, body.threshold)

    @router.post("/verify/upload", response_model=Verified,
                 summary="Are uploaded images the claimed identity?")
    def verify_upload(identity: Annotated[str, Form(min_length=1, max_length=256)],
                      files: Annotated[list[UploadFile], File()], request: Request,
                      aggregate: Annotated[Literal["max", "mean"], Form()] = "max") -> Verified:
        state = state_of(request)
        state.require_gallery()
        return _verify(state, identity, uploaded_images(files, state), aggregate, None)

    @router.delete("/identities/{identity:path}", response_model=Removed,
                   summary="Remove an identity (percent-encode the name)")
    def remove(identity: str, request: Request) -> Removed:
        gallery = state_of(request).require_gallery()
        removed = gallery.remove(identity)
        audit.record(request, "remove", identity=identity, removed=removed)
        return Removed(identity=identity, removed=removed)

    @router.get("/identities", response_model=IdentityList, summary="Enrolled identities")
    def list_identities(request: Request) -> IdentityList:
        gallery = state_of(request).require_gallery()
        listed = [i.to_dict() for i in gallery.list()]
        return IdentityList(identities=listed, n_identities=len(listed),
                            n_references=gallery.n_references)

    return router


def _enroll(request: Request, identity: str, raw: list, metadata: dict | None) -> Enrolled:
    state = state_of(request)
    gallery = state.require_gallery()
    if identity in DOT_SEGMENTS:
        raise HTTPException(422, f"identity {identity!r}: a URL path cannot hold it (clients "
                                 "resolve it as a folder step), so it could not be removed over "
                                 "HTTP; choose another name")
    emb = state.embed(raw, f"samples of {identity!r}")
    ids = gallery.enroll_embeddings(identity, emb, metadata)
    audit.record(request, "enroll", identity=identity, reference_ids=ids)
    return Enrolled(identity=identity, reference_ids=ids,
                    n_references=gallery.n_references_of(identity))


def _identify(state: ServiceState, raw: list, k: int, threshold: float | None) -> Identified:
    gallery = state.require_gallery()
    if k > state.limits.max_k:
        raise HTTPException(422, f"k: {k} exceeds the limit of {state.limits.max_k}")
    emb = state.embed(raw, "inputs")
    with state.model_for_gallery():
        results = gallery.identify_embeddings(emb, k=k, threshold=threshold)
    return Identified(results=results.to_dicts())


def _verify(state: ServiceState, identity: str, raw: list, aggregate: str,
            threshold: float | None) -> Verified:
    gallery = state.require_gallery()
    emb = state.embed(raw, "inputs")
    with state.model_lock:
        results = gallery.verify_embeddings(identity, emb, aggregate=aggregate, threshold=threshold)
    return Verified(results=[r.to_dict() for r in results])
