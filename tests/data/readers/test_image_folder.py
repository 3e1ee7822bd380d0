"""Image folders (one subfolder per identity): resizing, modes, and counted, named skips."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from siamkit.data import load_image_folder
from siamkit.errors import DataError, SiamkitWarning


def _img(path, size=(10, 8), color=(200, 30, 60)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


@pytest.fixture
def faces(tmp_path):
    root = tmp_path / "faces"
    _img(root / "alice" / "1.png")
    _img(root / "alice" / "2.jpg", size=(20, 16), color=(10, 10, 10))
    _img(root / "bob" / "sub" / "a.bmp", color=(255, 255, 255))
    return root


def test_loads_resizes_and_labels(faces):
    data = load_image_folder(faces, image_size=(6, 5))
    assert data.x.shape == (3, 1, 6, 5) and data.x.dtype == torch.uint8
    assert data.classes == ["alice", "bob"] and data.y.tolist() == [0, 0, 1]
    assert data.keys == ["alice/1.png", "alice/2.jpg", "bob/sub/a.bmp"]
    grey = round(0.299 * 200 + 0.587 * 30 + 0.114 * 60)  # ITU-R 601-2 luma, as PIL converts
    assert abs(int(data.x[0].float().mean()) - grey) <= 1 and int(data.x[2].min()) == 255
    rgb = load_image_folder(faces, image_size=4, mode="RGB")
    assert rgb.x.shape == (3, 3, 4, 4) and rgb.x[0, :, 0, 0].tolist() == [200, 30, 60]


def test_bad_files_are_counted_and_named(faces):
    (faces / "alice" / "notes.txt").write_text("not an image")
    cut = faces / "bob" / "broken.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40), np.uint8)).save(cut)
    cut.write_bytes(cut.read_bytes()[:900])  # a PNG whose pixel data ends early
    (faces / "stray.png").write_bytes(b"")
    with pytest.warns(SiamkitWarning) as record:
        data = load_image_folder(faces, image_size=8)
    message = str(record[0].message)
    assert "skipped 3 of 6 files" in message and "alice/notes.txt" in message
    assert "1 unreadable images (bob/broken.png)" in message and "stray.png" in message
    assert len(data) == 3
    assert sum(data.info["skipped"].values()) == 3


def test_raise_mode_names_the_file(faces):
    (faces / "bob" / "junk.jpg").write_bytes(b"\xff\xd8 definitely not jpeg")
    with pytest.raises(DataError, match=r"bob/junk.jpg: not an image"):
        load_image_folder(faces, image_size=8, on_error="raise")


def test_class_left_empty_is_an_error(faces):
    (faces / "carol").mkdir()
    (faces / "carol" / "x.gif").write_bytes(b"GIF89a nope")
    with pytest.raises(DataError, match="class 'carol' has no readable image"):
        load_image_folder(faces, image_size=8)


def test_folder_errors(tmp_path, faces):
    with pytest.raises(DataError, match="folder not found"):
        load_image_folder(tmp_path / "missing")
    (tmp_path / "flat").mkdir()
    with pytest.raises(DataError, match="no class subfolders"):
        load_image_folder(tmp_path / "flat")
    with pytest.raises(DataError, match="pass image_size"):
        load_image_folder(faces)  # sizes differ and no image_size given


def test_same_size_images_need_no_resize(tmp_path):
    root = tmp_path / "sig"
    for who in ("a", "b"):
        (root / who).mkdir(parents=True)
        Image.fromarray(np.full((7, 9), 42, np.uint8)).save(root / who / "s.png")
    data = load_image_folder(root)
    assert data.x.shape == (2, 1, 7, 9) and int(data.x.max()) == 42
