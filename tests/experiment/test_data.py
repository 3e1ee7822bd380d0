"""The [data] section: splits of named datasets and files, class-disjoint splits, limits, modality."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.config import DataConfig
from siamkit.data import check_no_leakage
from siamkit.errors import ConfigError
from siamkit.experiment import load_splits


def test_digits_splits_are_seeded_and_disjoint():
    a = load_splits(DataConfig())
    b = load_splits(DataConfig())
    assert a.sizes() == {"train": 1077, "val": 360, "test": 360} and a.modality == "image"
    assert torch.equal(a.test.ids, b.test.ids)
    check_no_leakage(a.train, a.val, a.test, by="ids")
    other = load_splits(DataConfig(split_seed=1))
    assert not torch.equal(other.test.ids, a.test.ids)


def test_class_disjoint_test_classes_are_unseen():
    s = load_splits(DataConfig(class_disjoint=True, test_classes=3))
    assert len(s.test.classes) == 3
    assert not set(s.test.classes) & set(s.train.classes)
    assert set(s.val.classes) <= set(s.train.classes)
    assert "never seen in training" in s.notes[0]


def test_limits_and_vector_modality():
    s = load_splits(DataConfig(modality="vector", max_train=100, max_val=50, max_test=40))
    assert s.sizes() == {"train": 100, "val": 50, "test": 40}
    assert s.modality == "vector" and s.train.x.shape == (100, 64) and s.train.x.dtype == torch.float32
    whole = load_splits(DataConfig())
    # a subset of the same split, pixels unchanged
    index = {int(i): k for k, i in enumerate(whole.train.ids)}
    rows = [index[int(i)] for i in s.train.ids]
    assert torch.equal(s.train.x, whole.train.x[rows].reshape(100, -1).float())


def test_modality_that_contradicts_the_data():
    with pytest.raises(ConfigError, match=r"\[data\] modality: 'text' was set, but the data hold images"):
        load_splits(DataConfig(modality="text"), "exp.toml")


def test_image_folder_split_and_separate_test(image_folder, tmp_path):
    s = load_splits(DataConfig(source="image_folder", path=str(image_folder), val_fraction=0.2,
                               test_fraction=0.2))
    assert sum(s.sizes().values()) == 30 and s.train.x.shape[1:] == (1, 10, 12)
    resized = load_splits(DataConfig(source="image_folder", path=str(image_folder), image_size=[8, 8],
                                     color="rgb", test_path=str(image_folder)))
    assert resized.train.x.shape[1:] == (3, 8, 8) and len(resized.test) == 30
    assert "test" in resized.notes[0]
    with pytest.raises(ConfigError, match="class_disjoint: cannot be combined with test_path"):
        load_splits(DataConfig(source="image_folder", path=str(image_folder), class_disjoint=True,
                               test_path=str(image_folder)))


def test_text_pairs_split_by_duplicate_group(pairs_csv):
    s = load_splits(DataConfig(source="text_pairs", path=str(pairs_csv)))
    assert s.modality == "text" and not s.labelled and sum(s.sizes().values()) == 40
    assert s.train.groups is not None
    check_no_leakage(s.train, s.val, s.test, by="groups")
    with pytest.raises(ConfigError, match="class_disjoint: needs samples with classes"):
        load_splits(DataConfig(source="text_pairs", path=str(pairs_csv), class_disjoint=True))


def test_labelled_texts_arrays_and_feature_tables(tmp_path):
    texts = tmp_path / "texts.csv"
    texts.write_text("text,label\n" + "".join(f"sentence {i},{i % 3}\n" for i in range(30)))
    s = load_splits(DataConfig(source="labelled_texts", path=str(texts)))
    assert s.modality == "text" and s.labelled
    np.savez(tmp_path / "xy.npz", x=np.random.default_rng(0).normal(size=(30, 5)), y=np.arange(30) % 3)
    assert load_splits(DataConfig(source="arrays", path=str(tmp_path / "xy.npz"))).modality == "vector"
    table = tmp_path / "table.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(30)))
    s = load_splits(DataConfig(source="feature_table", path=str(table)))
    assert s.modality == "vector" and s.train.x.shape[1] == 2
