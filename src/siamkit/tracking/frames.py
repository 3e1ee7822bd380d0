"""Frames in and out: boxes, a user's folder of frames, box CSVs and animated GIFs with boxes drawn.

A box is ``(x, y, w, h)`` in pixels with ``(x, y)`` its top-left corner, the convention of the OTB
benchmark (Wu, Lim & Yang 2013) and of most tracking datasets.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import Tensor

from ..atomic import atomic_path
from ..errors import DataError, SiamkitWarning

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm"}
_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(3, 1, 1)  # ITU-R 601, what PIL's "L" uses


def as_box(box: Any, what: str = "box") -> np.ndarray:
    """``(x, y, w, h)`` from 4 numbers or a string ``"x,y,w,h"``; ``w`` and ``h`` must be > 0."""
    if isinstance(box, str):
        parts = [p for p in re.split(r"[,\s]+", box.strip()) if p]
        try:
            box = [float(p) for p in parts]
        except ValueError:
            raise DataError(f"{what}: {box!r} is not four numbers x,y,w,h") from None
    arr = np.asarray(box, dtype=np.float64).reshape(-1)
    if arr.shape != (4,) or not np.isfinite(arr).all():
        raise DataError(f"{what}: expected four finite numbers x,y,w,h, got {box!r}")
    if arr[2] <= 0 or arr[3] <= 0:
        raise DataError(f"{what}: width and height must be > 0, got w={arr[2]:g}, h={arr[3]:g}")
    return arr


def frame_tensor(frame: Any, channels: int = 1) -> Tensor:
    """A frame (array ``[H, W]``, ``[H, W, 3]`` uint8 or float in [0, 1], PIL image, or tensor
    ``[C, H, W]``) -> float ``[channels, H, W]`` in [0, 1]; colour becomes grey by luminance."""
    if isinstance(frame, Tensor):
        x = frame.float() / 255.0 if frame.dtype == torch.uint8 else frame.float()
        x = x.unsqueeze(0) if x.dim() == 2 else x
    else:
        arr = np.asarray(frame)
        if arr.ndim == 3 and arr.shape[2] == 4:
            arr = arr[:, :, :3]
        if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3)):
            raise DataError(f"frame: cannot read an array of shape {arr.shape} as an image")
        x = torch.from_numpy(arr.astype(np.float32))  # a fresh, writable float copy
        x = x / 255.0 if arr.dtype == np.uint8 else x
        x = x.unsqueeze(0) if x.dim() == 2 else x.permute(2, 0, 1)
    if x.shape[0] == channels:
        return x
    if x.shape[0] == 3 and channels == 1:
        return (x * _LUMA).sum(dim=0, keepdim=True)
    if x.shape[0] == 1:
        return x.expand(channels, -1, -1)
    raise DataError(f"frame: {x.shape[0]} channels cannot become {channels}")


def _natural_key(path: Path) -> list:
    # frame2.png before frame10.png
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def list_frames(folder: str | Path) -> list[Path]:
    """Image files of ``folder`` in natural order (``2`` before ``10``); other files are skipped
    with a :class:`SiamkitWarning` that counts them."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"frames {folder}: no such folder")
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
    images = sorted((p for p in files if p.suffix.lower() in IMAGE_SUFFIXES), key=_natural_key)
    skipped = len(files) - len(images)
    if skipped:
        warnings.warn(
            f"frames {folder}: skipped {skipped} file(s) that are not images "
            f"({', '.join(sorted(IMAGE_SUFFIXES))})",
            SiamkitWarning,
            stacklevel=2,
        )
    if not images:
        raise DataError(f"frames {folder}: no image files in the folder")
    return images


def read_frame(path: Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """One frame as a uint8 array (``[H, W]`` grey or ``[H, W, 3]`` colour)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            # Grey stays one channel; palette, RGBA, CMYK... become RGB.
            arr = np.array(
                img.convert("L" if img.mode in ("L", "LA", "1") else "RGB"), dtype=np.uint8
            )
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"frame {path}: not a readable image ({exc.__class__.__name__})") from None
    if size is not None and arr.shape[:2] != size:
        raise DataError(
            f"frame {path}: size {arr.shape[1]}x{arr.shape[0]} differs from the first frame's "
            f"{size[1]}x{size[0]}"
        )
    return arr


def read_frames(folder: str | Path) -> list[np.ndarray]:
    """All frames of a folder (sorted image files), checked to have one size."""
    paths = list_frames(folder)
    first = read_frame(paths[0])
    return [first] + [read_frame(p, first.shape[:2]) for p in paths[1:]]


def write_boxes_csv(
    path: str | Path, boxes: np.ndarray, names: Sequence[str] | None = None
) -> Path:
    """A CSV with columns ``frame, x, y, w, h`` (``frame`` the file name or index)."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["frame", "x", "y", "w", "h"])
        for i, b in enumerate(np.asarray(boxes)):
            out.writerow([names[i] if names is not None else i] + [f"{v:.2f}" for v in b])
    return path


def write_gif(
    path: str | Path,
    frames: Sequence[Any],
    boxes: np.ndarray,
    *,
    truth: np.ndarray | None = None,
    fps: float = 15.0,
    scale: int = 1,
) -> Path:
    """An animated GIF of ``frames`` with ``boxes`` drawn in red (and ``truth`` in green)."""
    from PIL import Image, ImageDraw

    images = []
    for i, frame in enumerate(frames):
        arr = (frame_tensor(frame, 3) * 255).round().clamp(0, 255).byte().permute(1, 2, 0).numpy()
        img = Image.fromarray(arr)
        if scale > 1:
            img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
        draw = ImageDraw.Draw(img)
        for box, colour in (
            (None if truth is None else truth[i], (0, 220, 0)),
            (boxes[i], (255, 40, 40)),
        ):
            if box is not None:
                x, y, w, h = (float(v) * scale for v in box)
                draw.rectangle([x, y, x + w - 1, y + h - 1], outline=colour)
        images.append(img)
    if not images:
        raise DataError("gif: no frames to write")
    path = Path(path)
    with atomic_path(path) as tmp:
        images[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=max(int(round(1000 / fps)), 20),
            loop=0,
        )
    return path
