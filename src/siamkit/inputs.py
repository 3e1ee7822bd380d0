"""Raw inputs from outside Python -> what a model's input adapter reads, with errors naming them.

The one reader of the command line, the HTTP service and the gallery's raw samples:

* image models: image files, folders (every image file inside, recursively, sorted; other files
  skipped and counted), trees of one folder per identity (:func:`identity_folders`), and the
  bytes of an image file (an upload, or base64 text as JSON carries it), decoded under a pixel
  limit; images that the model's adapter must convert (colour to grey, another aspect ratio) are
  read with a :class:`~siamkit.errors.SiamkitWarning` (:mod:`siamkit.image_checks`);
* text models: the texts themselves; ``--from-file`` reads one text per line. An empty text is
  an error; a text none of whose words the model knows, or one that looks like a file path, is
  read with a :class:`~siamkit.errors.SiamkitWarning` (:mod:`siamkit.text_checks`);
* vector models, and tensor models (a user encoder without an adapter, fed vectors): ``.npy``
  files (one vector ``[D]`` or rows ``[N, D]``), ``.csv``/``.tsv``/``.txt`` files of
  comma-separated rows (a first line that is not numbers is a header), a literal
  ``"0.1,0.5,..."``, or rows of numbers (JSON).

Each input read from the command line keeps a name (the path, the text, ``file.npy[3]``) for the
output's rows. Every failure is a :class:`~siamkit.errors.DataError` that names the input; one
over a size limit is an :class:`~siamkit.errors.InputTooLargeError`. :func:`encode` turns what was
read into embeddings and reports a model's refusal the same way.
"""

from __future__ import annotations

import base64
import binascii
import csv
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import DataError, SiamkitError, SiamkitWarning
# The service reads these through this module too, so that both run the same checks.
from .image_checks import image_warnings, load_image, open_image
from .text_checks import check_texts, text_names, text_warnings

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm",
                  ".pbm"}
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
FLOAT32_MAX = 3.4028234e38


def modality(model: Any) -> str:
    """``"image"``, ``"text"``, ``"vector"`` or ``"tensor"`` (a user encoder without an adapter);
    an adapter of another type says what it reads in ``modality`` (a backbone's image adapter)."""
    return getattr(model.adapter, "modality", None) or getattr(model.adapter, "type", "tensor")


def input_dim(model: Any) -> int | None:
    """Numbers per vector a vector (or tensor) model takes; None if the model does not say."""
    dim = getattr(model.adapter, "input_dim", None) or getattr(model.encoder, "input_dim", None)
    return None if dim is None else int(dim)


# ---- the command line: paths, texts, vector files -----------------------------------------------


def read_lines(path: str | Path) -> list[str]:
    """Non-blank lines of a UTF-8 text file (trailing newline characters removed)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    return [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]


def folder_images(folder: str | Path) -> tuple[list[str], list[str]]:
    """``(image files, other files)`` inside ``folder``, recursively, sorted; hidden files and
    folders (``.DS_Store``, ``.git``) are neither."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    images = [str(p) for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [str(p) for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]


def skipped_line(where: str, skipped: Sequence[str], why: str = "not image files") -> str:
    """``photos/: skipped 2 files, not image files (notes.txt, a.csv)``."""
    first = ", ".join(Path(p).name for p in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
    return f"{where}: skipped {len(skipped)} file{'s' * (len(skipped) != 1)}, {why} ({first})"


def image_paths(items: Sequence[str | Path]) -> list[str]:
    """The image files named, folders expanded to the image files inside (recursively, sorted).
    Other files inside a folder are skipped with one SiamkitWarning per folder that counts them."""
    out: list[str] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found, others = folder_images(path)
            if not found:
                raise DataError(f"{path}: folder holds no image files "
                                f"({', '.join(sorted(IMAGE_SUFFIXES))})")
            if others:
                warnings.warn(skipped_line(str(path), others), SiamkitWarning, stacklevel=3)
            out += found
        elif path.is_file():
            out.append(str(path))
        else:
            raise DataError(f"{path}: no such file or folder")
    return out


def identity_folders(root: str | Path, name: str | None = None) -> list[tuple[str, list[str]]]:
    """``[(identity, image paths)]`` of a ``root/<identity>/<files>`` tree (identities are the
    subfolder names, sorted; images found recursively inside each), or with ``name`` of the one
    identity whose images ``root`` holds. Non-image files, and files beside the identity folders,
    are skipped with one SiamkitWarning that counts them; a folder without images is an error."""
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: no such folder" if not root.exists() else f"{root}: not a folder")
    if name is not None:
        return [(name, image_paths([root]))]
    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subfolders:
        raise DataError(f"{root}: no identity subfolders (expected {root}/<identity>/<images>; "
                        f"for one identity's folder give its name with --name)")
    strays = sorted(str(p) for p in root.iterdir() if p.is_file() and not p.name.startswith("."))
    tree, skipped = [], []
    for folder in subfolders:
        found, others = folder_images(folder)
        if not found:
            raise DataError(f"{folder}: identity {folder.name!r} has no image files "
                            f"({', '.join(sorted(IMAGE_SUFFIXES))})")
        tree.append((folder.name, found))
        skipped += others
    if strays:
        warnings.warn(skipped_line(str(root), strays, "outside an identity folder"),
                      SiamkitWarning, stacklevel=2)
    if skipped:
        warnings.warn(skipped_line(str(root), skipped), SiamkitWarning, stacklevel=2)
    return tree


def _numbers(row: list[str], where: str) -> list[float]:
    try:
        return [float(v) for v in row if v.strip() != ""]
    except ValueError:
        raise DataError(f"{where}: not a row of numbers: {','.join(row)[:60]!r}") from None


def _vectors_of(item: str) -> tuple[np.ndarray, list[str]]:
    path = Path(item)
    suffix = path.suffix.lower()
    if suffix == ".npy" or (path.is_file() and suffix not in TABLE_SUFFIXES):
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise DataError(f"{path}: not a numeric .npy array (siamkit never unpickles; "
                            f"{exc})") from None
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
            raise DataError(f"{path}: expected a numeric array of vectors")
        array = array.reshape(1, -1) if array.ndim == 1 else array
        return array, [f"{path}[{i}]" for i in range(len(array))]
    if suffix in TABLE_SUFFIXES:
        if not path.is_file():
            raise DataError(f"{path}: no such file")
        delimiter = "\t" if suffix == ".tsv" else ","
        rows = [r for r in csv.reader(read_lines(path), delimiter=delimiter) if r]
        if rows:
            try:
                [float(v) for v in rows[0]]
            except ValueError:
                rows = rows[1:]  # a header
        values = [_numbers(r, f"{path} row {i + 1}") for i, r in enumerate(rows)]
        if not values:
            raise DataError(f"{path}: no rows of numbers")
        if len({len(v) for v in values}) > 1:
            raise DataError(f"{path}: rows of different lengths")
        return np.asarray(values, dtype=np.float64), [f"{path}[{i}]" for i in range(len(values))]
    try:
        return np.asarray([[float(v) for v in item.split(",")]]), [item]
    except ValueError:
        raise DataError(f"{item[:60]!r}: neither a vector file (.npy, .csv) nor comma-separated "
                        f"numbers") from None


def read_vectors(items: Sequence[str], dim: int | None) -> tuple[np.ndarray, list[str]]:
    """float32 rows ``[N, dim]`` of vector files and literals (``dim`` None: any one width)."""
    arrays, names = [], []
    for item in items:
        array, labels = _vectors_of(str(item))
        if array.ndim != 2 or (dim is not None and array.shape[1] != dim):
            wanted = "rows of numbers" if dim is None else f"vectors of {dim} numbers"
            raise DataError(f"{item}: the model takes {wanted}, got shape {list(array.shape)}")
        _check_float32(array, str(item))
        arrays.append(array.astype(np.float32))
        names += labels
    if len({a.shape[1] for a in arrays}) > 1:
        raise DataError(f"vectors of different lengths: {sorted({a.shape[1] for a in arrays})}")
    return np.concatenate(arrays), names


def read_inputs(model: Any, items: Sequence[str], from_file: str | Path | None = None,
                what: str = "inputs") -> tuple[Any, list[str]]:
    """``(inputs, names)`` for ``model`` from command-line ``items`` (and the lines of
    ``from_file``): see the module docstring."""
    items = [str(i) for i in items] + (read_lines(from_file) if from_file else [])
    if not items:
        raise DataError(f"no {what} given: name them on the command line or with --from-file FILE")
    kind = modality(model)
    if kind == "image":
        paths = image_paths(items)
        for line in image_warnings(model, paths, paths, what):
            warnings.warn(line, SiamkitWarning, stacklevel=2)
        return paths, paths
    if kind == "text":
        names = text_names(items, what)
        check_texts(model, items, names)
        for line in text_warnings(model, items, names):
            warnings.warn(line, SiamkitWarning, stacklevel=2)
        return items, items
    return read_vectors(items, input_dim(model))


def read_one(model: Any, item: str, what: str) -> tuple[Any, str]:
    """Exactly one input (``verify``'s A or B): ``(batch of one, name)``."""
    inputs, names = read_inputs(model, [item], what=what)
    if len(names) != 1:
        raise DataError(f"{what}: {item} holds {len(names)} inputs; verify compares exactly one "
                        "with one")
    return inputs, names[0]


# ---- the HTTP service: bytes, base64, rows of numbers -------------------------------------------


def base64_bytes(text: str, what: str) -> bytes:
    """The bytes of base64 text (a ``data:...;base64,`` URL prefix is allowed)."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"{what}: not valid base64") from None


def decode_image(data: bytes, what: str, max_pixels: int | None = None, hint: str = "") -> Any:
    """The bytes of an image file -> a loaded PIL image. The size is checked before the pixels are
    decoded, so that a small file claiming a huge image (a decompression bomb) costs nothing."""
    return load_image(open_image(data, what, max_pixels, hint), what)


def vector_rows(rows: Sequence[Sequence[float]], dim: int | None, what: str = "vectors"
                ) -> np.ndarray:
    """float32 ``[N, dim]`` of rows of numbers, each row checked (``what[i]: ...``)."""
    for i, row in enumerate(rows):
        if dim is not None and len(row) != dim:
            raise DataError(f"{what}[{i}]: expected {dim} numbers, got {len(row)}")
    if len({len(row) for row in rows}) > 1:
        raise DataError(f"{what}: rows of different lengths")
    array = np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)
    for i, row in enumerate(array):
        _check_float32(row, f"{what}[{i}]")
    return array.astype(np.float32)


def _check_float32(array: np.ndarray, what: str) -> None:
    values = array.astype(np.float64, copy=False)
    if not np.isfinite(values).all() or (values.size and np.abs(values).max() > FLOAT32_MAX):
        raise DataError(f"{what}: holds NaN, infinite or beyond-float32 values")


# ---- what was read -> embeddings ----------------------------------------------------------------


def is_single(samples: Any) -> bool:
    """One raw sample (a path, a text, a PIL image) rather than a batch of them."""
    if isinstance(samples, (str, Path)):
        return True
    from PIL import Image

    return isinstance(samples, Image.Image)


def encode(model: Any, samples: Any, what: str, batch_size: int = 256) -> np.ndarray:
    """Embeddings ``[n, D]`` (float32) of raw samples or a prepared batch, one row per sample; a
    model that cannot read them raises a DataError naming ``what``, never a torch traceback."""
    if is_single(samples):
        samples = [samples]
    if isinstance(samples, (list, tuple)) and len(samples) == 0:
        raise DataError(f"{what}: no samples given")
    try:
        if isinstance(samples, (list, tuple)):
            # Prepared chunk by chunk inside encode: a text batch pads to its chunk's longest,
            # not to the longest text of all.
            emb = model.encode(list(samples), batch_size=batch_size)
        else:
            batch = model.prepare(samples)
            if batch.dim() == 1:
                batch = batch.unsqueeze(0)
            if batch.shape[0] == 0:
                raise DataError(f"{what}: no samples given")
            emb = model.encode(batch, batch_size=batch_size)
    except SiamkitError:
        raise
    except (ValueError, TypeError, RuntimeError, IndexError) as exc:
        message = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise DataError(f"{what}: the model cannot embed these inputs ({message})") from None
    return emb.numpy().astype(np.float32, copy=False)
