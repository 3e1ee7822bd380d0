"""The same images read from IDX files and from a PNG folder reach the model as equal tensors
(issue 18, item 6), and the shared MNIST loads quietly yet still rejects a changed file."""

from __future__ import annotations

import gzip
import shutil
import warnings

import pytest
import torch
from data_helpers import tiny_files, tiny_spec, write_files
from PIL import Image

import siamkit as sk
from siamkit.adapters import ImageAdapter
from siamkit.data import load_dataset, load_idx_dataset, load_image_folder
from siamkit.errors import DataError


def _model():
    enc = sk.encoders.create_encoder("convnet", in_channels=1, embedding_dim=8, channels=[4, 8])
    return sk.SiameseNetwork(enc, adapter=ImageAdapter(1, 28, mean=[0.13], std=[0.31])).eval()


def test_png_folder_and_idx_feed_the_model_equal_tensors(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files)
    idx = load_idx_dataset(tiny_spec(files), "test", tmp_path, download=False)
    paths = []
    for i in range(6):
        folder = tmp_path / "png" / idx.classes[int(idx.y[i])]
        folder.mkdir(parents=True, exist_ok=True)
        paths.append(folder / f"{i:03d}.png")
        Image.fromarray(idx.x[i, 0].numpy()).save(paths[-1])
    model = _model()
    from_paths = model.prepare([str(p) for p in paths])  # what siamkit verify/embed/gallery read
    assert from_paths.dtype == idx.x.dtype and torch.equal(from_paths, idx.x[:6])
    folder = load_image_folder(tmp_path / "png", image_size=28)  # what siamkit evaluate reads
    order = sorted(range(6), key=lambda i: (idx.classes[int(idx.y[i])], i))
    assert torch.equal(folder.x, idx.x[order])
    with torch.no_grad():  # and so the model sees the very same normalised input
        assert torch.equal(model.adapter(from_paths), model.adapter(idx.x[:6]))


@pytest.mark.slow
def test_shared_mnist_loads_without_warnings_and_a_changed_file_is_caught(shared_data, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the .gz here are re-compressed: verified by content
        test = load_dataset("mnist", "test", shared_data, download=False, progress=False)
    assert len(test) == 10_000
    copy = tmp_path / "mnist"
    shutil.copytree(shared_data / "mnist", copy)
    raw = bytearray(gzip.decompress((copy / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # one label changed
    (copy / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match="content differs from the published file"):
        load_dataset("mnist", "test", tmp_path, download=False, progress=False)


def _png_folder(idx, root, indices):
    """The images ``indices`` of ``idx`` as root/<class>/<name>.png, named so that a folder's
    file order is not the IDX order (the reader lists class folders, then file names)."""
    for rank, i in enumerate(indices):
        folder = root / idx.classes[int(idx.y[i])]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(idx.x[i, 0].numpy()).save(folder / f"{len(indices) - rank:05d}.png")
    return load_image_folder(root, image_size=tuple(idx.x.shape[-2:]))


def _figures(model, data):
    import json

    from siamkit.config import EvaluationConfig
    from siamkit.evaluation import evaluate_model

    ev = EvaluationConfig(n_way=3, episodes=50, retrieval_ks=[1, 3])
    out = evaluate_model(model, data, data, config=ev, batch_size=64)
    return json.loads(json.dumps(out, default=str))


@pytest.mark.filterwarnings("ignore:threshold rule")  # an untrained model: the figures, not their quality
def test_idx_files_and_a_png_folder_give_the_same_figures(tmp_path):
    files = tiny_files()
    write_files(tmp_path / "tiny", files)
    idx = load_idx_dataset(tiny_spec(files), "train", tmp_path, download=False)
    folder = _png_folder(idx, tmp_path / "png", list(range(len(idx))))
    assert not torch.equal(folder.x, idx.x)  # same images, stored in another order
    torch.manual_seed(0)
    model = _model()
    a, b = _figures(model, idx), _figures(model, folder)
    assert a["test"]["roc_auc"] == b["test"]["roc_auc"] and a == b


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:threshold rule")  # an untrained model: the figures, not their quality
def test_real_mnist_from_idx_and_from_a_png_folder_gives_the_same_figures(shared_data, tmp_path):
    test = load_dataset("mnist", "test", shared_data, download=False, progress=False)
    part = test.subset(torch.arange(600))
    folder = _png_folder(part, tmp_path / "png", list(range(len(part))))
    torch.manual_seed(0)
    model = _model()
    a, b = _figures(model, part), _figures(model, folder)
    assert a == b
