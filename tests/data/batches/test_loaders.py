"""Loaders: the batch formats, per-epoch reseeding, sharding, text trimming, clear misuse errors.

Samples are vectors ``[index, class]`` so every gathered row says which sample it is."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import (BATCH_KINDS, LabelledData, PairData, Tokenizer, duplicate_groups,
                          load_digits, make_loader, random_triplet_indices)
from siamkit.errors import ConfigError, SiamkitWarning


def _tagged(n=60, classes=5):
    y = torch.arange(n) % classes
    return LabelledData(torch.stack([torch.arange(n).float(), y.float()], dim=1), y, name="tagged")


def _rows(batch_x):
    return batch_x[:, 0].long()


def _epoch(loader):
    return [tuple(t.clone() for t in batch) for batch in loader]


def test_pairs_from_labelled_data():
    data = _tagged()
    loader = make_loader("pairs", data, 16, seed=0)
    assert loader.batch_kind == "pairs" and len(loader) == 8  # 120 pairs / 16
    batches = _epoch(loader)
    assert len(batches) == len(loader)
    x1 = torch.cat([b[0] for b in batches])
    x2 = torch.cat([b[1] for b in batches])
    y = torch.cat([b[2] for b in batches])
    assert y.dtype == torch.float32 and float(y.mean()) == 0.5
    assert torch.equal((x1[:, 1] == x2[:, 1]).float(), y)          # 1 = same class
    assert sorted(_rows(x1).tolist()) == sorted(list(range(60)) * 2)  # each sample anchors twice


def test_fresh_pairs_each_epoch_and_exact_resume():
    loader = make_loader("pairs", _tagged(), 16, seed=3)
    e0 = _epoch(loader)
    loader.set_epoch(1)
    e1 = _epoch(loader)
    assert not torch.equal(torch.cat([b[1] for b in e0]), torch.cat([b[1] for b in e1]))
    resumed = make_loader("pairs", _tagged(), 16, seed=3)
    resumed.set_epoch(1)
    assert all(torch.equal(a, b) for u, v in zip(e1, _epoch(resumed)) for a, b in zip(u, v))
    fixed = make_loader("pairs", _tagged(), 16, seed=3, shuffle=False)
    first = _epoch(fixed)
    fixed.set_epoch(4)
    assert all(torch.equal(a, b) for u, v in zip(first, _epoch(fixed)) for a, b in zip(u, v))


def test_pairs_and_scored_pairs_from_pair_data():
    pairs = PairData(torch.randn(10, 3), torch.randn(10, 3), torch.tensor([1.0, 0.0] * 5))
    x1, x2, y = next(iter(make_loader("pairs", pairs, 4, shuffle=False)))
    assert torch.equal(x1, pairs.x1[:4]) and torch.equal(y, pairs.y[:4])
    scored = PairData(pairs.x1, pairs.x2, torch.linspace(0, 5, 10))
    loader = make_loader("scored_pairs", scored, 4)
    assert loader.batch_kind == "scored_pairs"
    assert sorted(torch.cat([b[2] for b in loader]).tolist()) == scored.y.tolist()
    with pytest.raises(ConfigError, match="use batch kind 'scored_pairs'"):
        make_loader("pairs", scored, 4)


def test_triplets():
    loader = make_loader("triplets", _tagged(), 10, seed=1)
    assert loader.batch_kind == "triplets" and len(loader) == 6
    for a, p, n in loader:
        assert bool((a[:, 1] == p[:, 1]).all() and (a[:, 0] != p[:, 0]).all())
        assert bool((a[:, 1] != n[:, 1]).all())
    given = (torch.tensor([0, 1]), torch.tensor([5, 6]), torch.tensor([2, 3]))
    a, p, n = next(iter(make_loader("triplets", _tagged(), 2, triplets=given, shuffle=False)))
    assert _rows(p).tolist() == [5, 6]
    calls = []

    def per_epoch(epoch):  # e.g. mining by the current model
        calls.append(epoch)
        return random_triplet_indices(_tagged().y, seed=epoch)

    mined = make_loader("triplets", _tagged(), 30, triplets=per_epoch)
    with pytest.raises(ConfigError, match="expected \\(anchor, positive, negative\\)"):
        make_loader("triplets", _tagged(), 2, triplets=given[:2])
    mined.set_epoch(2)
    list(mined)
    assert calls == [0, 2]


def test_labelled_pk_batches():
    loader = make_loader("labelled", _tagged(), 8, seed=0, samples_per_class=4)
    assert loader.batch_kind == "labelled"
    for x, labels in loader:
        assert labels.dtype == torch.int64 and torch.equal(x[:, 1].long(), labels)
        assert torch.bincount(labels).max() == 4 and len(torch.unique(labels)) == 2
    rand = make_loader("labelled", _tagged(), 25, sampler="random", drop_last=True)
    assert [len(b[0]) for b in rand] == [25, 25]
    with pytest.raises(ConfigError, match="multiple of samples_per_class=4"):
        make_loader("labelled", _tagged(), 10)


def test_duplicates_with_texts_trimmed_and_groups_respected():
    x1 = ["the cat sat", "a dog", "the cat sat", "birds fly high above", "fish", "a cow"]
    x2 = ["cat sits", "dog", "feline rests", "birds", "fish swim", "cow"]
    data = PairData(x1, x2, torch.ones(6), name="toy")
    tok = Tokenizer().fit(x1 + x2)
    loader = make_loader("duplicates", data, 3, seed=0, tokenizer=tok)
    groups = duplicate_groups(x1, x2)
    assert groups[0] == groups[2]
    seen = []
    for e in range(5):
        loader.set_epoch(e)
        for a, b in loader:
            assert a.dtype == torch.int64 and a.shape[0] == b.shape[0]
            assert bool((a != 0).any(dim=0).all())  # trimmed: every column used by some row
            rows = [x2.index(text) for text in tok.decode(b)]
            assert len({int(groups[r]) for r in rows}) == len(rows)  # rows 0 and 2 never meet
            seen += rows
    assert sorted(seen) == sorted(list(range(6)) * 5)  # every row once per epoch


def test_duplicates_use_only_positive_rows():
    data = PairData(torch.randn(6, 2), torch.randn(6, 2), torch.tensor([1, 1, 0, 1, 0, 1.0]))
    with pytest.warns(SiamkitWarning, match="only the 4 rows labelled 1; 2 other rows left out"):
        loader = make_loader("duplicates", data, 2)
    assert sum(len(a) for a, _ in loader) == 4


def test_sharded_loaders_split_the_epoch():
    data = _tagged(64)
    parts = [make_loader("pairs", data, 16, seed=2, rank=r, world_size=2) for r in range(2)]
    assert [len(p) for p in parts] == [4, 4]
    anchors = torch.cat([_rows(b[0]) for p in parts for b in p])
    assert sorted(anchors.tolist()) == sorted(list(range(64)) * 2)


def test_misuse_is_explained():
    data, pairs = _tagged(), PairData(["a"], ["b"], [1.0])
    with pytest.raises(ConfigError, match="batch kind 'quads'"):
        make_loader("quads", data, 4)
    with pytest.raises(ConfigError, match="'duplicates' needs PairData, got LabelledData"):
        make_loader("duplicates", data, 4)
    with pytest.raises(ConfigError, match="unknown option\\(s\\) samples_per_class"):
        make_loader("pairs", data, 4, samples_per_class=2)
    with pytest.raises(ConfigError, match="holds texts: pass a fitted Tokenizer"):
        make_loader("pairs", pairs, 4)
    assert set(BATCH_KINDS) == {"pairs", "scored_pairs", "triplets", "labelled", "duplicates",
                                "episodes"}


def test_images_come_as_stored():
    digits = load_digits("train")
    x1, x2, y = next(iter(make_loader("pairs", digits, 32)))
    assert x1.dtype == torch.uint8 and x1.shape == (32, 1, 8, 8)


# ---- the real files (SIAMKIT_DATA) --------------------------------------------------------------
def test_real_mnist_pairs_epoch(real_mnist):
    from siamkit.data import load_dataset

    train = load_dataset("mnist", "train", real_mnist, download=False)
    loader = make_loader("pairs", train, 128, seed=0)
    assert len(loader) == 938
    count = 0
    for x1, x2, y in loader:
        count += len(y)
    assert count == 120_000 and x1.dtype == torch.uint8


def test_real_kjv_duplicates_epoch(real_kjv):
    from siamkit.data import load_dataset

    train = load_dataset("kjv-web", "train", real_kjv)
    tok = Tokenizer(max_vocab_size=20_000).fit(train.x1 + train.x2)
    loader = make_loader("duplicates", train, 64, seed=0, tokenizer=tok, max_length=64)
    rows = 0
    for batch in loader.sampler:
        g = train.groups[batch]
        assert len(torch.unique(g)) == len(g)  # the 71 "spake unto Moses" rows never meet
        rows += len(batch)
    assert rows == 23_145
    a, b = next(iter(loader))
    assert a.shape[1] <= 64 and a.dtype == torch.int64
