"""siamkit.inputs: the one reader of raw inputs (command line, HTTP service, gallery samples)."""

from __future__ import annotations

import base64
import io
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from siamkit import SiameseNetwork
from siamkit.adapters import VectorAdapter
from siamkit.encoders import create_encoder
from siamkit.errors import DataError, InputTooLargeError, SiamkitWarning
from siamkit.inputs import (
    base64_bytes,
    decode_image,
    encode,
    image_paths,
    input_dim,
    read_inputs,
    read_one,
    vector_rows,
)


def _vector_model(adapter: bool = True) -> SiameseNetwork:
    torch.manual_seed(0)
    encoder = create_encoder("mlp", input_dim=3, embedding_dim=2, hidden_dims=[4])
    return SiameseNetwork(encoder, adapter=VectorAdapter(3) if adapter else None)


def _png(size=(6, 5)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.zeros(size[::-1], np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_vectors_from_npy_csv_and_literals(tmp_path):
    np.save(tmp_path / "one.npy", np.arange(3, dtype=np.float32))
    np.save(tmp_path / "rows.npy", np.ones((2, 3)))
    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    x, names = read_inputs(_vector_model(), [tmp_path / "one.npy", tmp_path / "rows.npy",
                                             tmp_path / "t.csv", "7,8,9"])
    assert x.dtype == np.float32 and x.shape == (6, 3)
    assert names[0].endswith("one.npy[0]") and names[2].endswith("rows.npy[1]")
    assert names[-1] == "7,8,9" and x[-1].tolist() == [7, 8, 9]


@pytest.mark.parametrize("item, message", [
    ("1,2", "vectors of 3 numbers"),
    ("1,x,3", "neither a vector file"),
    ("nan,1,2", "NaN"),
    ("{tmp}/missing.npy", "no such file"),
    ("{tmp}/missing.csv", "no such file"),
])
def test_bad_vectors_name_the_input(tmp_path, item, message):
    with pytest.raises(DataError, match=message):
        read_inputs(_vector_model(), [item.format(tmp=tmp_path)])


def test_a_tensor_model_is_fed_vectors_of_its_encoders_width():
    model = _vector_model(adapter=False)
    assert input_dim(model) == 3
    x, _ = read_inputs(model, ["1,2,3"])
    assert encode(model, x, "inputs").shape == (1, 2)


def test_images_folders_texts_and_from_file(tmp_path):
    (tmp_path / "imgs" / "sub").mkdir(parents=True)
    for name in ("b.png", "a.png", "sub/c.png"):
        (tmp_path / "imgs" / name).write_bytes(_png())
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    with pytest.warns(SiamkitWarning, match=r"imgs: skipped 1 file, not image files \(notes.txt\)"):
        found = image_paths([tmp_path / "imgs"])
    assert [p.split("imgs/")[1] for p in found] == ["a.png", "b.png", "sub/c.png"]
    with pytest.raises(DataError, match="no such file or folder"):
        image_paths([tmp_path / "none.png"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="folder holds no image files"):
        image_paths([tmp_path / "empty"])
    (tmp_path / "list.txt").write_text("first text\n\nsecond text\n")
    text_model = SimpleNamespace(adapter=SimpleNamespace(type="text"))  # the reader asks no more
    texts, names = read_inputs(text_model, ["given"], tmp_path / "list.txt")
    assert texts == names == ["given", "first text", "second text"]


def test_no_inputs_and_more_than_one_for_verify(tmp_path):
    with pytest.raises(DataError, match="no probes given"):
        read_inputs(_vector_model(), [], what="probes")
    np.save(tmp_path / "two.npy", np.ones((2, 3)))
    with pytest.raises(DataError, match="A: .* holds 2 inputs"):
        read_one(_vector_model(), str(tmp_path / "two.npy"), "A")


def test_bytes_base64_and_rows():
    png = _png()
    assert base64_bytes("data:image/png;base64," + base64.b64encode(png).decode(), "x") == png
    with pytest.raises(DataError, match="images\\[0\\]: not valid base64"):
        base64_bytes("@@", "images[0]")
    assert decode_image(png, "f").size == (6, 5)
    with pytest.raises(InputTooLargeError, match="6x5 pixels exceed the limit of 10"):
        decode_image(png, "f", max_pixels=10)
    with pytest.raises(DataError, match="f: not a readable image"):
        decode_image(b"plain text", "f")
    with pytest.raises(DataError, match="f: empty file"):
        decode_image(b"", "f")
    assert vector_rows([[1, 2, 3]], 3).dtype == np.float32
    with pytest.raises(DataError, match="vectors\\[1\\]: expected 3 numbers, got 2"):
        vector_rows([[1, 2, 3], [1, 2]], 3)
    with pytest.raises(DataError, match="vectors\\[0\\]: holds NaN, infinite or beyond-float32"):
        vector_rows([[1e300, 1, 1]], 3)


def test_encode_reports_what_the_model_cannot_read():
    model = _vector_model(adapter=False)
    with pytest.raises(DataError, match="probes: the model cannot embed these inputs"):
        encode(model, np.ones((1, 5), np.float32), "probes")
    with pytest.raises(DataError, match="no samples"):
        encode(model, [], "samples")
