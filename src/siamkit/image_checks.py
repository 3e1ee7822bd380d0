"""Checks of raw images given to an image model from outside Python: what its adapter will change.

An image model reads images of one colour form and size (its ``channels`` and ``image_size``,
saved with it); the adapter converts anything else: colour to grey, transparency dropped, any size
resized to the model's, whatever the aspect ratio. That is what it must do, but a photo of
640 x 480 in colour squeezed into a 64 x 64 grey model is not what the model was trained on, and
the user should hear it. :func:`image_warnings` returns one line per batch of inputs saying how
many images were changed and how, with the first one as an example; the file's header is read,
not its pixels. Converting grey to RGB (channels copied) and resizing at the same aspect ratio
lose nothing the model could use, and pass quietly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

COLOUR_MODES = {"RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"}
ALPHA_MODES = {"RGBA", "LA", "PA", "La", "RGBa"}
ASPECT_TOLERANCE = 0.05  # a relative change of the width/height ratio below this is no squeeze


def _size_and_mode(item: Any) -> tuple[tuple[int, int], str] | None:
    from PIL import Image

    if isinstance(item, Image.Image):
        return item.size, item.mode
    if isinstance(item, (str, Path)):
        try:
            with Image.open(item) as image:
                return image.size, image.mode
        except Exception:  # noqa: BLE001 - unreadable files are the adapter's to report
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
