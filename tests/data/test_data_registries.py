"""Named datasets and readers of user files are registered once, with the facts the rest of siamkit
reads: adding a reader (or a dataset) is its definition and its test, and the config check, the
messages, ``siamkit evaluate --data`` and the experiment's splits pick it up."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from siamkit.cli._data_spec import file_config, spec_help
from siamkit.config import DataConfig, parse_config
from siamkit.data import LabelledData, list_datasets
from siamkit.data.readers import register_reader
from siamkit.errors import ConfigError
from siamkit.experiment import load_splits
from siamkit.registry import DATASETS, READERS

DATA_KEYS = {f.name for f in dataclasses.fields(DataConfig)}
EXAMPLES_README = Path(__file__).resolve().parents[2] / "examples" / "README.md"


def test_every_reader_carries_what_the_config_and_the_cli_read():
    assert READERS.names() == ["arrays", "dataset", "feature_table", "image_folder",
                               "labelled_texts", "text_pairs"]
    for entry in READERS.entries():
        assert set(entry["keys"]) <= DATA_KEYS, entry.name
        assert set(entry["yields"]) <= {"labelled", "pairs"} and entry["yields"], entry.name
        assert set(entry["modalities"]) <= {"image", "text", "vector"}, entry.name
        assert all(s.startswith(".") for s in entry["suffixes"]) and entry.summary, entry.name
    assert READERS.names(folder=True) == ["image_folder"]


def test_every_dataset_declares_its_splits_and_options():
    assert DATASETS.names() == list_datasets()
    for entry in DATASETS.entries():
        assert {"train", "test", "all"} <= set(entry["splits"]), entry.name
        assert entry["yields"] in ("labelled", "pairs") and entry.summary, entry.name
        assert isinstance(entry["official_test"], bool) and isinstance(entry["options"], tuple)
    assert DATASETS.names(official_test=True) == ["fashion-mnist", "kjv-web", "mnist"]
    assert DATASETS.get("FashionMNIST") is DATASETS.get("fashion_mnist")


@pytest.fixture
def rows_reader():
    """A throwaway reader of ``.rows`` files: one ``label<delimiter>v1 v2 ...`` per line."""

    @register_reader("vector_rows", keys=("delimiter",), suffixes=(".rows",),
                     yields=("labelled",), modalities=("vector",))
    def read_rows(path, *, delimiter=None):
        """Vectors and labels, one per line."""
        lines = [line.split(delimiter or ":") for line in Path(path).read_text().splitlines()]
        x = torch.tensor([[float(v) for v in values.split()] for _, values in lines])
        classes = sorted({label for label, _ in lines})
        y = torch.tensor([classes.index(label) for label, _ in lines])
        return LabelledData(x, y, classes, Path(path).name)

    yield read_rows
    READERS.remove("vector_rows")


def test_a_new_reader_is_accepted_named_and_used(rows_reader, tmp_path):
    file = tmp_path / "points.rows"
    rng = np.random.default_rng(0)
    file.write_text("".join(f"{'ab'[i % 2]};{rng.normal():.3f} {rng.normal():.3f}\n"
                            for i in range(40)))
    cfg = parse_config({"data": {"source": "vector_rows", "path": str(file), "delimiter": ";"}},
                       "exp.toml")
    with pytest.raises(ConfigError, match=r"\[data\] image_size: does not apply to source "
                                          r"'vector_rows' \(it is read by 'image_folder'\)"):
        parse_config({"data": {"source": "vector_rows", "path": "p", "image_size": 8}}, "exp.toml")
    with pytest.raises(ConfigError, match=r"delimiter: does not apply to source 'arrays' \(it is "
                       r"read by 'feature_table', 'labelled_texts', 'text_pairs', 'vector_rows'\)"):
        parse_config({"data": {"source": "arrays", "path": "p", "delimiter": ";"}}, "exp.toml")
    with pytest.raises(ConfigError, match=r"\[data\] path: source 'vector_rows' needs path"):
        parse_config({"data": {"source": "vector_rows"}}, "exp.toml")
    with pytest.raises(ConfigError, match=r"source: unknown data source 'vector_row' \(did you "
                                          r"mean 'vector_rows'\?\).*text_pairs, vector_rows"):
        parse_config({"data": {"source": "vector_row"}}, "exp.toml")

    splits = load_splits(cfg.data, "exp.toml")
    assert splits.modality == "vector" and sum(splits.sizes().values()) == 40

    vector_model = SimpleNamespace(adapter=SimpleNamespace(type="vector"))
    assert file_config(file, vector_model, None) == DataConfig(source="vector_rows", path=str(file))
    assert "vector_rows (.rows)" in spec_help()


def test_an_unknown_source_lists_the_registered_ones():
    with pytest.raises(ConfigError, match=r"^exp.toml: \[data\] source: unknown data source "
                                          r"'imagefolder' \(did you mean 'image_folder'\?\)"):
        parse_config({"data": {"source": "imagefolder"}}, "exp.toml")


def test_a_new_dataset_says_whether_its_test_split_is_official():
    calls = []

    @DATASETS.register("tiny-points", splits=("train", "test", "all"), official_test=True,
                       options=(), yields="labelled", modality="vector")
    def tiny(split, data_dir, seed, val_fraction, **options):
        """Twenty 2-d points of two classes, ten of them the official test split."""
        calls.append(split)
        n = {"train": 20, "test": 10}[split]
        ids = torch.arange(n) + (100 if split == "test" else 0)
        return LabelledData(torch.randn(n, 2), torch.arange(n) % 2, ["a", "b"], split, ids)

    try:
        assert "tiny-points" in list_datasets()
        splits = load_splits(DataConfig(name="Tiny_Points", val_fraction=0.5))
        assert calls == ["train", "test"] and splits.sizes() == {"train": 10, "val": 10, "test": 10}
    finally:
        DATASETS.remove("tiny-points")


def test_the_examples_readme_names_every_source_and_dataset():
    data_keys = EXAMPLES_README.read_text(encoding="utf-8").split("- `[data]`", 1)[1].split("\n- ")[0]
    for name in READERS.names():
        assert f'`"{name}"`' in data_keys, name
    for name in DATASETS.names():
        assert name in data_keys, name
