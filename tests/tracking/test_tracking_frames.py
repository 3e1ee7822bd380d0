"""Boxes, frame folders, CSV and GIF output."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import torch
from PIL import Image

from siamkit.errors import DataError, SiamkitWarning
from siamkit.tracking import as_box, read_frames, write_boxes_csv, write_gif
from siamkit.tracking.frames import frame_tensor, list_frames


def test_as_box_parses_and_refuses():
    np.testing.assert_array_equal(as_box("1, 2.5,3,4"), [1, 2.5, 3, 4])
    np.testing.assert_array_equal(as_box((1, 2, 3, 4)), [1, 2, 3, 4])
    with pytest.raises(DataError, match="--box.*four numbers"):
        as_box("1,2,three,4", "--box")
    with pytest.raises(DataError, match="four finite numbers"):
        as_box([1, 2, 3])
    with pytest.raises(DataError, match="width and height must be > 0"):
        as_box("1,2,0,4")


def test_frame_tensor_grey_colour_and_floats():
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 1] = 255
    assert torch.allclose(frame_tensor(rgb, 1), torch.full((1, 4, 5), 0.587))
    assert frame_tensor(np.full((4, 5), 0.5, np.float32), 3).shape == (3, 4, 5)
    with pytest.raises(DataError, match="shape"):
        frame_tensor(np.zeros((2, 3, 4, 5)))


def test_folder_in_natural_order_with_skips_counted(tmp_path):
    for i in (10, 2, 1):
        Image.fromarray(np.full((6, 8), i, np.uint8)).save(tmp_path / f"frame{i}.png")
    (tmp_path / "notes.txt").write_text("not a frame")
    with pytest.warns(SiamkitWarning, match="skipped 1 file"):
        names = [p.name for p in list_frames(tmp_path)]
    assert names == ["frame1.png", "frame2.png", "frame10.png"]
    with pytest.warns(SiamkitWarning):
        frames = read_frames(tmp_path)
    assert [int(f[0, 0]) for f in frames] == [1, 2, 10]


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        read_frames(tmp_path / "nope")
    with pytest.raises(DataError, match="no image files"):
        read_frames(tmp_path)
    Image.fromarray(np.zeros((6, 8), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((7, 8), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(DataError, match="b.png.*differs"):
        read_frames(tmp_path)
    (tmp_path / "b.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="b.png.*not a readable image"):
        read_frames(tmp_path)


def test_csv_and_gif(tmp_path):
    boxes = np.array([[1, 2, 3, 4], [2.5, 3, 3, 4]])
    write_boxes_csv(tmp_path / "b.csv", boxes, ["f1.png", "f2.png"])
    rows = list(csv.reader((tmp_path / "b.csv").read_text().splitlines()))
    assert rows == [
        ["frame", "x", "y", "w", "h"],
        ["f1.png", "1.00", "2.00", "3.00", "4.00"],
        ["f2.png", "2.50", "3.00", "3.00", "4.00"],
    ]
    frames = [np.zeros((12, 16), np.uint8), np.zeros((12, 16), np.uint8)]
    write_gif(tmp_path / "t.gif", frames, boxes, truth=boxes + 1)
    with Image.open(tmp_path / "t.gif") as gif:
        assert gif.n_frames == 2 and gif.size == (16, 12)
        first = np.asarray(gif.convert("RGB"))
    assert tuple(first[2, 1]) == (255, 40, 40)  # the box's top-left corner is drawn in red
