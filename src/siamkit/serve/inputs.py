"""A request's inputs -> what the model's adapter reads: which field of the body, which limits.

Reading itself (base64, image bytes, rows of numbers) is :mod:`siamkit.inputs`, the reader the
command line uses too; its DataErrors become 422 answers and its InputTooLargeErrors 413 (see the
app's error handlers). What is the service's own is here: the field that fits the model's modality
(``images``, ``texts`` or ``vectors``) and the per-request limits, each failure an HTTP error whose
message names the field and item.
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException

from .. import inputs as reader
from .limits import Limits
from .schemas import Inputs

FIELDS = {"image": "images", "text": "texts", "vector": "vectors"}


def modality(model: Any) -> str:
    """"image", "text" or "vector" (a plain tensor model is fed vectors)."""
    kind = reader.modality(model)
    return kind if kind in FIELDS else "vector"


def input_details(model: Any) -> dict[str, Any]:
    adapter = model.adapter
    kind = modality(model)
    if kind == "image":
        return {"channels": adapter.channels, "image_size": list(adapter.image_size)}
    if kind == "vector":
        return {"input_dim": reader.input_dim(model)}
    return {"max_length": getattr(adapter, "max_length", None)}


def raw_inputs(inputs: Inputs, model: Any, limits: Limits, where: str = "") -> Any:
    """The items of the one field given, checked and decoded (images to PIL images, vectors to a
    float32 array)."""
    kind = modality(model)
    expected = FIELDS[kind]
    given = [f for f in FIELDS.values() if getattr(inputs, f) is not None]
    if given != [expected]:
        what = "no inputs" if not given else f"'{', '.join(given)}'"
        how = " (base64) or as files to the .../upload endpoint" if kind == "image" else ""
        raise HTTPException(422, f"{where}got {what}; this model takes {kind}s: "
                                 f"send them as '{expected}'{how}")
    items = getattr(inputs, expected)
    if not items:
        raise HTTPException(422, f"{where}'{expected}' is empty")
    if len(items) > limits.max_batch:
        raise HTTPException(413, f"{where}{len(items)} inputs exceed the batch limit of "
                                 f"{limits.max_batch}")
    if kind == "image":
        return [decode_image(reader.base64_bytes(item, f"{where}images[{i}]"),
                             f"{where}images[{i}]", limits) for i, item in enumerate(items)]
    if kind == "text":
        for i, text in enumerate(items):
            if len(text) > limits.max_text_chars:
                raise HTTPException(413, f"{where}texts[{i}]: {len(text)} characters exceed "
                                         f"the limit of {limits.max_text_chars}")
        reader.check_texts(model, items, _text_names(items, where))  # an empty text: 422
        return list(items)
    return reader.vector_rows(items, reader.input_dim(model), f"{where}vectors")


def _text_names(texts: list[str], where: str) -> list[str]:
    return [f"{where}texts[{i}] ({text[:60]!r})" for i, text in enumerate(texts)]


def input_warnings(model: Any, items: Any, where: str = "") -> list[str]:
    """What the command line would warn about these (checked) inputs: for a text model, texts none
    of whose words it knows and texts that look like file paths (:mod:`siamkit.text_checks`); for
    an image model, images its adapter converts (:mod:`siamkit.image_checks`)."""
    kind = modality(model)
    if kind == "text":
        return reader.text_warnings(model, items, _text_names(items, where))
    if kind == "image":
        names = [f"images[{i}]" for i in range(len(items))]
        return reader.image_warnings(model, items, names, where.rstrip(": ") or "images")
    return []


def decode_image(data: bytes, what: str, limits: Limits) -> Any:
    """Bytes of an uploaded image file -> a loaded PIL image, under the service's pixel limit."""
    return reader.decode_image(data, what, limits.max_image_pixels)
