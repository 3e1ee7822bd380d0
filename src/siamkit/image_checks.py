"""Checks of raw images given to an image model from outside Python: what its adapter will change.

An image model reads images of one colour form and size (its ``channels`` and ``image_size``,
saved with it); the adapter converts anything else: colour to grey, transparency dropped, any size
resized to the model's, whatever the aspect ratio. That is what it must do, but a photo of
640 x 480 in colour squeezed into a 64 x 64 grey model is not what the model was trained on, and
the user should hear it. :func:`image_warnings` returns one line per batch of inputs saying how
many images were changed and how, with the first one as an example; the file's header is read,
not its pixels. Converting grey to RGB (channels copied) and resizing at the same aspect ratio
lose nothing the model could use, and pass quietly.

:func:`open_image` is the one way siamkit opens an image file from outside: it reads the header
(PIL's ``Image.open`` is lazy), refuses an image of more pixels than a limit before a single pixel
is decoded, and turns PIL's ``DecompressionBombError`` into an
:class:`~siamkit.errors.InputTooLargeError` that names the file and the limit. The default limit,
:data:`DEFAULT_MAX_IMAGE_PIXELS` (8192 x 8192), is what the command line and ``model.prepare`` of
paths use; ``SIAMKIT_MAX_IMAGE_PIXELS`` changes it. The HTTP service has its own, lower limits.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

from .errors import ConfigError, DataError, InputTooLargeError

COLOUR_MODES = {"RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"}
ALPHA_MODES = {"RGBA", "LA", "PA", "La", "RGBa"}
ASPECT_TOLERANCE = 0.05  # a relative change of the width/height ratio below this is no squeeze
DEFAULT_MAX_IMAGE_PIXELS = 8192 * 8192
MAX_PIXELS_ENV = "SIAMKIT_MAX_IMAGE_PIXELS"


def max_image_pixels() -> int:
    """The pixel limit of one image read from a file: ``$SIAMKIT_MAX_IMAGE_PIXELS`` or 8192 x 8192."""
    text = os.environ.get(MAX_PIXELS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_IMAGE_PIXELS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{MAX_PIXELS_ENV}: expected a positive whole number of pixels, got "
                          f"{text!r}")
    return value


def open_image(source: str | Path | bytes, what: str, max_pixels: int | None,
               hint: str = "") -> Any:
    """An image file (a path, or its bytes) opened but not decoded, its size checked against
    ``max_pixels`` (None: only PIL's own decompression-bomb limit); ``hint`` (how to raise the
    limit) ends the message of a refusal. Call :func:`load_image` to decode it."""
    from PIL import Image

    if isinstance(source, (bytes, bytearray)) and not source:
        raise DataError(f"{what}: empty file")
    try:
        with warnings.catch_warnings():
            # PIL warns between its two limits; ours, below both by default, decides instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray))
                               else source)
    except Image.DecompressionBombError:
        # Raised by Image.open itself past twice PIL's MAX_IMAGE_PIXELS: the header said so.
        limit = max_pixels if max_pixels is not None else 2 * (Image.MAX_IMAGE_PIXELS or 0)
        raise InputTooLargeError(f"{what}: more than {2 * (Image.MAX_IMAGE_PIXELS or 0)} pixels "
                                 f"(a decompression bomb?), over the limit of {limit} pixels"
                                 + (f" ({hint})" if hint else "")) from None
    except FileNotFoundError:
        raise DataError(f"{what}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure on outside bytes is bad input
        raise DataError(f"{what}: not a readable image ({type(exc).__name__})") from None
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        image.close()
        raise InputTooLargeError(f"{what}: {width}x{height} pixels exceed the "
                                 f"limit of {max_pixels} pixels" + (f" ({hint})" if hint else ""))
    return image


def load_image(image: Any, what: str) -> Any:
    """Decode the pixels of an image from :func:`open_image` (any failure: a DataError naming it)."""
    try:
        image.load()
    except Exception as exc:  # noqa: BLE001 - a truncated or corrupt file is bad input
        raise DataError(f"{what}: not a readable image ({type(exc).__name__})") from None
    return image


def _size_and_mode(item: Any) -> tuple[tuple[int, int], str] | None:
    from PIL import Image

    if isinstance(item, Image.Image):
        return item.size, item.mode
    if isinstance(item, (str, Path)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(item) as image:
                    return image.size, image.mode
        except Exception:  # noqa: BLE001 - unreadable or too large: the adapter's to report
            return None
    return None  # arrays and tensors: the caller chose their shape


def changes(model: Any, size: tuple[int, int], mode: str) -> list[str]:
    """What the model's adapter changes in an image of ``size`` (width, height) and ``mode``."""
    adapter = model.adapter
    height, width = adapter.image_size
    out = []
    if adapter.channels == 1 and mode in COLOUR_MODES:
        out.append("colour dropped")
    if mode in ALPHA_MODES:
        out.append("transparency dropped")
    w, h = size
    if abs((w / h) / (width / height) - 1) > ASPECT_TOLERANCE:
        out.append(f"{w}x{h} squeezed to {width}x{height}")
    return out


def image_warnings(model: Any, images: Sequence[Any], names: Sequence[str], what: str = "inputs"
                   ) -> list[str]:
    """One line (or none) for ``images`` (paths or PIL images) the model's adapter will change."""
    if getattr(model.adapter, "type", None) != "image":
        return []
    changed = []
    for item, name in zip(images, names):
        found = _size_and_mode(item)
        if found is not None:
            how = changes(model, *found)
            if how:
                changed.append((name, found, how))
    if not changed:
        return []
    height, width = model.adapter.image_size
    form = "grayscale" if model.adapter.channels == 1 else "RGB"
    name, ((w, h), mode), how = changed[0]
    if len(images) == 1:
        return [f"{what} ({name}): a {w}x{h} {mode} image, read as the model's {width}x{height} "
                f"{form} input: {', '.join(how)}"]
    return [f"{what}: {len(changed)} of {len(images)} images do not match the model's "
            f"{width}x{height} {form} input and are converted (e.g. {name}, {w}x{h} {mode}: "
            f"{', '.join(how)})"]
