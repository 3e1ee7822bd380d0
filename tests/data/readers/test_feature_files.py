"""Feature tables and NumPy arrays: values, labels, and refusal of pickled or malformed files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.data import load_arrays, load_feature_table
from siamkit.errors import DataError


def test_feature_table(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("f1,f2,species\n1.5,2,setosa\n-3,4e-1,virginica\n0,0,setosa\n")
    data = load_feature_table(path, label="species")
    assert data.kind == "vector" and data.x.dtype == torch.float32
    assert torch.allclose(data.x, torch.tensor([[1.5, 2.0], [-3.0, 0.4], [0.0, 0.0]]))
    assert data.classes == ["setosa", "virginica"] and data.y.tolist() == [0, 1, 0]
    assert data.info["features"] == ["f1", "f2"]
    only = load_feature_table(path, label="species", features=["f2"])
    assert only.x.shape == (3, 1)


@pytest.mark.parametrize("body, message", [
    ("a,b,label\n1,x,0\n", "line 2, column 'b': 'x' is not a number"),
    ("a,b,label\n1,,0\n", "line 2, column 'b': empty value"),
    ("a,b,label\n1,2,\n", "line 2, column 'label': empty label"),
    ("label\n1\n", "no feature columns"),
    ("a,b\n1,2\n", "missing column(s) 'label'"),
])
def test_feature_table_errors(tmp_path, body, message):
    path = tmp_path / "t.csv"
    path.write_text(body)
    with pytest.raises(DataError) as info:
        load_feature_table(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_npy_pair_and_npz(tmp_path):
    x, y = np.random.default_rng(0).normal(size=(5, 3)), np.array([0, 1, 1, 0, 2])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    data = load_arrays(tmp_path / "x.npy", tmp_path / "y.npy", classes=["a", "b", "c"])
    assert torch.allclose(data.x, torch.from_numpy(x).float()) and data.y.tolist() == y.tolist()
    np.savez(tmp_path / "both.npz", images=np.zeros((4, 6, 6), np.uint8),
             names=np.array(["cat", "dog", "cat", "eel"]))
    imgs = load_arrays(tmp_path / "both.npz", x_key="images", y_key="names")
    assert imgs.x.shape == (4, 1, 6, 6) and imgs.classes == ["cat", "dog", "eel"]


def test_pickled_object_array_is_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.array([0, 1]))
    with pytest.raises(DataError, match="holds Python objects; siamkit never unpickles"):
        load_arrays(tmp_path / "obj.npy", tmp_path / "y.npy")


@pytest.mark.parametrize("x, y, message", [
    (np.zeros((3, 2)), np.array([0, 1]), "3 samples but"),
    (np.zeros((2, 2)), np.array([0.0, 1.5]), "label 1.5 at index 1 is not a whole number"),
    (np.zeros((2, 2)), np.array([0, -1]), "negative label"),
    (np.full((2, 2), np.nan), np.array([0, 1]), "row 0 holds NaN"),
    (np.zeros((2, 4, 4), np.float32) + 3, np.array([0, 1]), "images must be uint8"),
    (np.zeros((2, 2)), np.array([["a"], ["b"]]), "one-dimensional"),
])
def test_array_errors(tmp_path, x, y, message):
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    with pytest.raises(DataError, match=message):
        load_arrays(tmp_path / "x.npy", tmp_path / "y.npy")


def test_missing_and_garbage_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_arrays(tmp_path / "none.npy", tmp_path / "y.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="junk.npy"):
        load_arrays(tmp_path / "junk.npy", tmp_path / "junk.npy")
    np.save(tmp_path / "x.npy", np.zeros((2, 2)))
    with pytest.raises(DataError, match="no labels given"):
        load_arrays(tmp_path / "x.npy")
