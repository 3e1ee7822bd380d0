"""Images in a folder with one subfolder per identity: the face and signature verification layout.

```
root/alice/001.png   root/alice/002.jpg   root/bob/scan-1.tif   ...
```
Class names are the subfolder names (sorted); files are found recursively inside each. Every image
is decoded with Pillow, turned upright by its EXIF orientation, converted to grayscale
(``mode="L"``) or RGB, and resized to ``image_size`` (H, W) with bilinear filtering: ``x`` is uint8
``[N, C, H, W]``. Without ``image_size`` all images must already share one size. ``keys`` hold the
paths relative to ``root`` (useful for enrolling a gallery).

Files that are not images, cannot be decoded, or lie outside a class folder are skipped and counted:
one :class:`siamkit.errors.SiamkitWarning` names how many, why, and the first few; the counts are in
``info["skipped"]``. With ``on_error="raise"`` the first such file raises instead. A class folder
left with no readable image is an error either way.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ...errors import ConfigError, DataError
from ..containers import LabelledData
from .register import register_reader
from .skips import SkipCounter


def _size(image_size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    if int(h) < 1 or int(w) < 1:
        raise ConfigError(f"image_size: expected positive (height, width), got {image_size!r}")
    return int(h), int(w)


def read_image(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One image as uint8 ``[C, H, W]``; raises ``OSError``/``ValueError`` when unreadable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as img:
            img.load()
            img = ImageOps.exif_transpose(img).convert(mode)
    if size is not None and img.size != (size[1], size[0]):
        img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
    array = np.asarray(img, dtype=np.uint8)
    return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)


def load_image_folder(root: str | Path, *, image_size: int | tuple[int, int] | None = None,
                      mode: str = "L", on_error: str = "skip", name: str | None = None
                      ) -> LabelledData:
    """Images of ``root/<class>/...`` as :class:`LabelledData` (see the module docstring)."""
    root, size = Path(root), _size(image_size)
    if mode not in ("L", "RGB"):
        raise ConfigError(f"mode: expected 'L' (grayscale) or 'RGB', got {mode!r}")
    if on_error not in ("skip", "raise"):
        raise ConfigError(f"on_error: expected 'skip' or 'raise', got {on_error!r}")
    if not root.is_dir():
        raise DataError(f"{root}: folder not found" if not root.exists() else
                        f"{root}: not a folder")
    skips = SkipCounter(str(root))
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    strays = sorted(p for p in root.iterdir() if p.is_file())
    for stray in strays:
        skips.add("files outside a class folder", stray.name)
    if not class_dirs:
        raise DataError(f"{root}: no class subfolders (expected root/<class>/<image files>)")
    images, labels, keys, n_files = [], [], [], len(strays)
    for label, folder in enumerate(class_dirs):
        before = len(images)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            n_files += 1
            rel = path.relative_to(root).as_posix()
            try:
                array = read_image(path, mode, size)
            except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
                    Image.DecompressionBombError) as exc:  # the bomb error names PIL's limit
                kind = ("not an image" if isinstance(exc, UnidentifiedImageError)
                        else "unreadable images")
                if on_error == "raise":
                    raise DataError(f"{root / rel}: {kind} ({exc})") from None
                skips.add(kind, rel)
                continue
            if images and array.shape != images[0].shape:
                raise DataError(f"{root / rel}: size {array.shape[1:]} differs from the first "
                                f"image's {images[0].shape[1:]}; pass image_size=(H, W)")
            images.append(array)
            labels.append(label)
            keys.append(rel)
        if len(images) == before:
            raise DataError(f"{folder}: class {folder.name!r} has no readable image "
                            f"({skips.message()})" if skips.total else
                            f"{folder}: class {folder.name!r} has no image files")
    skips.warn(of_total=n_files, unit="files")
    return LabelledData(torch.from_numpy(np.stack(images)), torch.tensor(labels),
                        [p.name for p in class_dirs], name or root.name, keys=keys,
                        info={"root": str(root), "skipped": skips.summary()})


@register_reader("image_folder", keys=("image_size", "color", "on_error"), folder=True,
                 yields=("labelled",), modalities=("image",))
def read_image_folder(path: str | Path, *, image_size: int | list[int] | None = None,
                      color: str = "grayscale", on_error: str = "raise") -> LabelledData:
    """A folder with one subfolder of images per class (faces, signatures)."""
    size = tuple(image_size) if isinstance(image_size, list) else image_size
    return load_image_folder(path, image_size=size, mode="L" if color == "grayscale" else "RGB",
                             on_error=on_error)
