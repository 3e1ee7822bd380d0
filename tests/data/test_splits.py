"""Splits (stratified, by group, class-disjoint) and the leakage guard that raises."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import (LabelledData, PairData, check_no_leakage, class_disjoint_split,
                          load_digits, train_val_split, train_val_test_split)
from siamkit.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def digits():
    return load_digits("all")


def test_stratified_split(digits):
    train, val = train_val_split(digits, 0.25, seed=0)
    assert len(train) + len(val) == len(digits)
    assert torch.equal(train.ids, torch.sort(train.ids).values)  # original order kept
    share = val.class_counts().double() / digits.class_counts().double()
    assert float((share - 0.25).abs().max()) < 0.02
    check_no_leakage(train, val)


def test_three_way(digits):
    parts = train_val_test_split(digits, 0.1, 0.3, seed=4)
    assert [p.name for p in parts] == ["digits/train", "digits/val", "digits/test"]
    assert abs(len(parts[2]) - 0.3 * 1797) < 2 and abs(len(parts[1]) - 0.1 * 1797) < 2
    check_no_leakage(*parts)


def test_pairs_split_by_group():
    groups = torch.arange(60) // 3  # 20 groups of 3 rows
    pairs = PairData([f"a{i}" for i in range(60)], [f"b{i}" for i in range(60)], torch.ones(60),
                     groups=groups)
    train, val = train_val_split(pairs, 0.25, seed=1)
    assert len(val) == 15 and len(train) == 45
    check_no_leakage(train, val, by="groups")


def test_class_disjoint(digits):
    train, test = class_disjoint_split(digits, 3, seed=0)
    assert train.n_classes == 7 and test.n_classes == 3
    assert not set(train.classes) & set(test.classes)
    assert int(test.y.max()) == 2  # renumbered
    check_no_leakage(train, test, by="classes")
    check_no_leakage(train, test)
    named_train, named_test = class_disjoint_split(digits, ["8", "9"])
    assert named_test.classes == ["8", "9"] and len(named_test) == 174 + 180
    assert class_disjoint_split(digits, 0.5)[1].n_classes == 5


def test_class_disjoint_errors(digits):
    with pytest.raises(ConfigError, match="between 1 and 9"):
        class_disjoint_split(digits, 10)
    with pytest.raises(DataError, match="test class 'cat' has no samples"):
        class_disjoint_split(digits, ["cat"])


@pytest.mark.parametrize("by", ["ids", "content", "classes"])
def test_leakage_detected(digits, by):
    a, b = digits.subset(range(0, 100)), digits.subset(range(90, 200))
    with pytest.raises(DataError, match=f"leakage: .* {by} shared by 'digits/all' and"):
        check_no_leakage(a, b, by=by)


def test_content_leakage_between_separately_loaded_data():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = LabelledData(x, [0, 1], name="train")
    b = LabelledData(torch.tensor([[5.0, 6.0], [3.0, 4.0]]), [0, 1], name="test")
    with pytest.raises(DataError, match="1 content shared by 'train' and 'test'"):
        check_no_leakage(a, b, by="content")
    texts = [PairData(["Hello  world"], ["x"], [1], name="p"),
             PairData(["hello world"], ["y"], [1], name="q")]
    with pytest.raises(DataError, match="content"):
        check_no_leakage(*texts, by="content")


def test_bad_fraction(digits):
    with pytest.raises(ConfigError, match="val_fraction"):
        train_val_split(digits, 1.5)
    tiny = LabelledData(torch.zeros(3, 2), [0, 0, 1], name="tiny")
    with pytest.raises(DataError, match="tiny: cannot split"):
        train_val_split(tiny, 0.5)
