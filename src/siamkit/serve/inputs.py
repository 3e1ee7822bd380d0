"""Request inputs -> what the model's adapter reads, refusing anything of the wrong kind with a 4xx.

Every failure here is the client's (an undecodable image, a vector of the wrong length, texts sent
to an image model), so each becomes an HTTP error whose message names the field and item.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
from typing import Any

from fastapi import HTTPException

from .limits import Limits
from .schemas import Inputs

FIELDS = {"image": "images", "text": "texts", "vector": "vectors"}
_FLOAT32_MAX = 3.4028234e38


def modality(model: Any) -> str:
    """"image", "text" or "vector" (a plain tensor model is fed vectors)."""
    kind = getattr(model.adapter, "type", "tensor")
    return kind if kind in FIELDS else "vector"


def input_details(model: Any) -> dict[str, Any]:
    adapter = model.adapter
    kind = modality(model)
    if kind == "image":
        return {"channels": adapter.channels, "image_size": list(adapter.image_size)}
    if kind == "vector":
        return {"input_dim": vector_dim(model)}
    return {"max_length": getattr(adapter, "max_length", None)}


def vector_dim(model: Any) -> int | None:
    dim = getattr(model.adapter, "input_dim", None) or getattr(model.encoder, "input_dim", None)
    return None if dim is None else int(dim)


def raw_inputs(inputs: Inputs, model: Any, limits: Limits, where: str = "") -> list[Any]:
    """The items of the one field given, checked and decoded (images to PIL images)."""
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
        return [decode_image(_b64(item, f"{where}images[{i}]"), f"{where}images[{i}]", limits)
                for i, item in enumerate(items)]
    if kind == "text":
        for i, text in enumerate(items):
            if len(text) > limits.max_text_chars:
                raise HTTPException(413, f"{where}texts[{i}]: {len(text)} characters exceed "
                                         f"the limit of {limits.max_text_chars}")
        return list(items)
    dim = vector_dim(model)
    for i, row in enumerate(items):
        if dim is not None and len(row) != dim:
            raise HTTPException(422, f"{where}vectors[{i}]: expected {dim} numbers, got {len(row)}")
        if not all(math.isfinite(v) and abs(v) <= _FLOAT32_MAX for v in row):
            raise HTTPException(422, f"{where}vectors[{i}]: holds NaN, infinite or "
                                     "beyond-float32 values")
    if len({len(row) for row in items}) > 1:
        raise HTTPException(422, f"{where}vectors: rows of different lengths")
    return [list(map(float, row)) for row in items]


def _b64(text: str, what: str) -> bytes:
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, f"{what}: not valid base64") from None


def decode_image(data: bytes, what: str, limits: Limits) -> Any:
    """Bytes of an image file -> a loaded PIL image; 422 if unreadable, 413 if too many pixels."""
    from PIL import Image

    if not data:
        raise HTTPException(422, f"{what}: empty file")
    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
        if width * height > limits.max_image_pixels:
            raise HTTPException(413, f"{what}: {width}x{height} pixels exceed the limit of "
                                     f"{limits.max_image_pixels}")
        image.load()
    except HTTPException:
        raise
    except Image.DecompressionBombError:
        raise HTTPException(413, f"{what}: too many pixels (decompression bomb)") from None
    except Exception as exc:  # any decoder failure on a client's bytes is a bad input, never a 500
        raise HTTPException(422, f"{what}: not a readable image ({type(exc).__name__})") from None
    return image
