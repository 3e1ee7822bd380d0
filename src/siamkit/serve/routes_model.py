"""Routes that use the model alone: health, model description, embed, similarity, verify a pair."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Request, UploadFile

from ..text_checks import knows_no_word
from ..version import __version__
from . import inputs as convert
from .schemas import Embeddings, Health, Inputs, ModelInfo, PairRequest, Scores
from .state import ServiceState


def state_of(request: Request) -> ServiceState:
    return request.app.state.siamkit


def health_router() -> APIRouter:
    router = APIRouter(tags=["service"])

    @router.get("/api/health", response_model=Health, summary="Is the service up?")
    def health(request: Request) -> Health:
        return Health(status="ok", version=__version__,
                      gallery=state_of(request).gallery is not None)

    return router


def model_router() -> APIRouter:
    router = APIRouter(tags=["model"])

    @router.get("/api/model", response_model=ModelInfo,
                summary="The model: modality, score, threshold")
    def model_info(request: Request) -> ModelInfo:
        state = state_of(request)
        model, gallery = state.model, state.gallery
        return ModelInfo(
            modality=convert.modality(model), input=convert.input_details(model),
            embedding_dim=model.embedding_dim, distance=model.distance_name,
                         score_kind=model.score_kind,
            threshold=model.threshold, threshold_info=model.threshold_info,
                         limits=state.limits.to_dict(),
            gallery=None if gallery is None else gallery.stats(),
        )

    @router.post("/api/embed", response_model=Embeddings, summary="Embed a batch of inputs")
    def embed(body: Inputs, request: Request) -> Embeddings:
        state = state_of(request)
        emb = state.embed(convert.raw_inputs(body, state.model, state.limits))
        return Embeddings(embeddings=emb.tolist(), dim=emb.shape[1])

    @router.post("/api/embed/upload", response_model=Embeddings, summary="Embed uploaded images")
    def embed_upload(files: Annotated[list[UploadFile], File()], request: Request) -> Embeddings:
        state = state_of(request)
        emb = state.embed(uploaded_images(files, state))
        return Embeddings(embeddings=emb.tolist(), dim=emb.shape[1])

    @router.post("/api/similarity", response_model=Scores, summary="Scores of pairs (a[i], b[i])")
    def similarity(body: PairRequest, request: Request) -> Scores:
        return pair_scores(state_of(request), body, decide=False)

    @router.post("/api/similarity/upload", response_model=Scores,
                 summary="Score of two uploaded images")
    def similarity_upload(a: Annotated[UploadFile, File()], b: Annotated[UploadFile, File()],
                          request: Request) -> Scores:
        return upload_pair_scores(state_of(request), a, b, decide=False)

    @router.post("/api/verify", response_model=Scores,
                 summary="Same or different? (needs a threshold)")
    def verify(body: PairRequest, request: Request) -> Scores:
        return pair_scores(state_of(request), body, decide=True)

    @router.post("/api/verify/upload", response_model=Scores,
                 summary="Are two uploaded images the same?")
    def verify_upload(a: Annotated[UploadFile, File()], b: Annotated[UploadFile, File()],
                      request: Request) -> Scores:
        return upload_pair_scores(state_of(request), a, b, decide=True)

    return router


def uploaded_images(files: list[UploadFile], state: ServiceState, field: str = "files") -> list:
    if convert.modality(state.model) != "image":
        raise HTTPException(422,
                            f"this model takes {convert.modality(state.model)}s, not image files: "
                                 "send JSON to the endpoint without /upload")
    if not files:
        raise HTTPException(422, f"'{field}': no files")
    if len(files) > state.limits.max_batch:
        raise HTTPException(413, f"{len(files)} files exceed the batch limit of "
                                 f"{state.limits.max_batch}")
    return convert.checked_images([(f.file.read(), f"{field}[{i}] ({f.filename})")
                                   for i, f in enumerate(files)], state.limits)


def _scores(state: ServiceState, u, v, decide: bool, warnings: list[str] | None = None,
            blind: list[bool] | None = None) -> Scores:
    threshold = state.model.threshold
    if decide and threshold is None:
        raise HTTPException(409, "this model has no decision threshold: calibrate it, "
                                 "or use /api/similarity")
    scores = state.pair_scores(u, v)
    blind = blind or [False] * len(scores)
    # A pair with a text of no known word gets no decision, as in `siamkit verify`: its score
    # compares unknown-word placeholders, not the texts.
    same = None if threshold is None else [None if b else s >= threshold
                                           for s, b in zip(scores, blind)]
    return Scores(scores=scores, score_kind=state.model.score_kind, threshold=threshold,
                  same=same, warnings=warnings or [])


def pair_scores(state: ServiceState, body: PairRequest, decide: bool) -> Scores:
    a = convert.raw_inputs(body.a, state.model, state.limits, "a: ")
    b = convert.raw_inputs(body.b, state.model, state.limits, "b: ")
    if isinstance(a, convert.Images):
        convert.check_request_pixels([a, b], state.limits)
    if len(a) != len(b):
        raise HTTPException(422, "a and b must hold as many inputs (pairs a[i], b[i]); "
                                 f"got {len(a)} and {len(b)}")
    said = convert.input_warnings(state.model, a, "a: ") + convert.input_warnings(state.model, b, "b: ")
    blind = [knows_no_word(state.model, x) or knows_no_word(state.model, y)
             for x, y in zip(a, b)] if convert.modality(state.model) == "text" else None
    return _scores(state, state.embed(a, "a"), state.embed(b, "b"), decide, said, blind)


def upload_pair_scores(state: ServiceState, a: UploadFile, b: UploadFile, decide: bool) -> Scores:
    images_a, images_b = uploaded_images([a], state, "a"), uploaded_images([b], state, "b")
    convert.check_request_pixels([images_a, images_b], state.limits)
    said = (convert.input_warnings(state.model, images_a, "a: ")
            + convert.input_warnings(state.model, images_b, "b: "))
    return _scores(state, state.embed(images_a, "a"), state.embed(images_b, "b"), decide, said)
