"""Duplicate groups: normalisation, transitive merging, identical tensor rows."""

from __future__ import annotations

import torch

from siamkit.data import duplicate_groups, normalize_for_groups


def test_normalisation():
    assert normalize_for_groups("  And the LORD spake, saying:") == "and the lord spake saying"
    assert normalize_for_groups("ﬁne  Ｆｉｎｅ") == "fine fine"  # NFKC: ligature, full width
    assert normalize_for_groups("God's") != normalize_for_groups("Gods")


def test_merges_are_transitive_and_ids_dense():
    x1 = ["a", "b", "c", "d", "e"]
    x2 = ["p", "q", "B!", "r", "q"]    # row 2 shares "b" with row 1; row 4 shares "q" with row 1
    assert duplicate_groups(x1, x2).tolist() == [0, 1, 1, 2, 1]


def test_text_in_either_column():
    # row 1's first text equals row 0's second text: one is a duplicate of the other's pair
    assert duplicate_groups(["x", "Y."], ["y", "z"]).tolist() == [0, 0]


def test_each_row_its_own_group_by_default():
    assert duplicate_groups([f"t{i}" for i in range(5)], [f"u{i}" for i in range(5)]).tolist() == \
        list(range(5))


def test_tensors_by_exact_content():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [1.0, 2.5]])
    assert duplicate_groups(x).tolist() == [0, 1, 0, 2]
