"""A request's inputs -> what the model's adapter reads: which field of the body, which limits.

Reading itself (base64, image bytes, rows of numbers) is :mod:`siamkit.inputs`, the reader the
command line uses too; its DataErrors become 422 answers and its InputTooLargeErrors 413 (see the
app's error handlers). What is the service's own is here: the field that fits the model's modality
(``images``, ``texts`` or ``vectors``) and the per-request limits, each failure an HTTP error whose
message names the field and item.

Images are opened, not decoded: their headers are checked against the per-image and per-request
pixel limits, and :func:`embed_images` decodes and embeds them a chunk at a time, closing each
chunk's images (so freeing their pixels) before the next is decoded.
"""

from __future__ import annotations

import json
from typing import Any, Callable, ContextManager

import numpy as np
from fastapi import HTTPException

from .. import image_checks
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
        return checked_images([(reader.base64_bytes(item, f"{where}images[{i}]"),
                                f"{where}images[{i}]") for i, item in enumerate(items)], limits)
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


class Images(list):
    """Opened, size-checked, not yet decoded images, with the name of each (``images[3]``)."""

    def __init__(self, images: list, names: list[str]) -> None:
        super().__init__(images)
        self.names = names


def open_image(data: bytes, what: str, limits: Limits) -> Any:
    """Bytes of an uploaded image file -> a PIL image whose header was checked against the
    per-image pixel limit; the pixels are decoded later, by :func:`embed_images`."""
    return image_checks.open_image(data, what, limits.max_image_pixels, "--max-image-pixels")


def checked_images(files: list[tuple[bytes, str]], limits: Limits) -> Images:
    """``(bytes, name)`` of each image -> :class:`Images`, each under the per-image limit and all
    together under the per-request limit (checked from the headers, before any decoding)."""
    images, total = [], 0
    try:
        for data, what in files:
            image = open_image(data, what, limits)
            images.append(image)
            total += image.size[0] * image.size[1]
            if total > limits.max_request_pixels:
                raise HTTPException(413, f"{what}: the images up to this one hold {total} pixels, "
                                         f"over the limit of {limits.max_request_pixels} per "
                                         "request (--max-request-pixels)")
    except BaseException:
        for image in images:
            image.close()
        raise
    return Images(images, [what for _, what in files])


def check_request_pixels(batches: list[Images], limits: Limits) -> None:
    """The per-request pixel limit over several batches (the a and b of pairs)."""
    total = sum(image.size[0] * image.size[1] for batch in batches for image in batch)
    if total > limits.max_request_pixels:
        raise HTTPException(413, f"the images of this request hold {total} pixels, over the "
                                 f"limit of {limits.max_request_pixels} (--max-request-pixels)")


def embed_images(images: Images, embed: Callable[[list], np.ndarray], chunk_pixels: int,
                 lock: ContextManager) -> np.ndarray:
    """Embeddings of ``images``, decoded and embedded in chunks of at most ``chunk_pixels`` (or
    one image), each chunk decoded and embedded while holding ``lock`` (the model's): the
    service as a whole holds at most one chunk of decoded pixels at a time."""
    out, start = [], 0
    try:
        while start < len(images):
            stop, pixels = start, 0
            while stop < len(images) and (stop == start or pixels + _pixels(images[stop])
                                          <= chunk_pixels):
                pixels += _pixels(images[stop])
                stop += 1
            with lock:
                chunk = [image_checks.load_image(images[i], images.names[i])
                         for i in range(start, stop)]
                out.append(embed(chunk))
                for image in chunk:
                    image.close()  # frees the decoded pixels now, not when the request ends
            start = stop
    finally:
        for image in images[start:]:
            image.close()
    return np.concatenate(out)


def _pixels(image: Any) -> int:
    return image.size[0] * image.size[1]


def check_metadata_size(metadata: Any, limits: Limits, what: str = "metadata") -> None:
    """413 when the JSON of an enrollment's metadata is over ``limits.max_metadata_bytes``."""
    if metadata is None:
        return
    size = len(json.dumps(metadata, ensure_ascii=False).encode())
    if size > limits.max_metadata_bytes:
        raise HTTPException(413, f"{what}: {size} bytes of JSON exceed the limit of "
                                 f"{limits.max_metadata_bytes} bytes (--max-metadata-kb)")
