"""in_content_order: an order of labelled samples set by content and class names alone."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import LabelledData, balanced_pair_indices, content_order, in_content_order


def _images(n=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 1, 5, 5), generator=g, dtype=torch.uint8)
    return LabelledData(x, torch.arange(n) % 4, ["w", "x", "y", "z"], name="imgs")


def test_any_storage_order_gives_the_same_samples_in_the_same_order():
    data = _images()
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(3))
    a, b = in_content_order(data), in_content_order(data.subset(perm))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y) and a.classes == b.classes
    assert not torch.equal(data.subset(perm).x, data.x)  # the permutation did move samples
    # ids travel with their samples
    assert torch.equal(b.ids, perm[content_order(data.subset(perm))])


def test_class_ids_are_renumbered_by_class_name():
    data = _images()
    # the same samples with the class names listed in another order (ids swapped to match)
    swapped = LabelledData(data.x, 3 - data.y, ["z", "y", "x", "w"], name="imgs")
    a, b = in_content_order(data), in_content_order(swapped)
    assert b.classes == ["w", "x", "y", "z"]
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert [b.classes[c] for c in b.y.tolist()] == [swapped.classes[c] for c in
                                                    swapped.y[content_order(swapped)].tolist()]
    # and so the pairs a seeded draw makes are the same
    pa, pb = balanced_pair_indices(a.y, 5), balanced_pair_indices(b.y, 5)
    assert all(torch.equal(u, v) for u, v in zip(pa, pb))


def test_samples_are_sorted_by_class_name_first():
    out = in_content_order(_images())
    names = [out.classes[c] for c in out.y.tolist()]
    assert names == sorted(names)


def test_texts_are_ordered_by_their_text():
    data = LabelledData(["b", "a", "c", "d"], torch.tensor([0, 0, 1, 1]), name="t")
    flipped = data.subset(torch.tensor([3, 2, 1, 0]))
    assert in_content_order(data).x == in_content_order(flipped).x


@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_equal_contents_of_another_dtype_are_other_samples(dtype):
    data = _images()
    other = LabelledData(data.x.to(dtype), data.y, data.classes)
    order = content_order(other)
    assert len(order) == len(data) and sorted(order.tolist()) == list(range(len(data)))
