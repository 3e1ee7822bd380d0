"""Episodes of N-way K-shot tasks (Snell et al. 2017): the layout, distinct classes and samples,
the classes that can take part, seeds and epochs, sharding, and the config errors."""

from __future__ import annotations

import pytest
import torch

from siamkit.data import EpisodeLoader, LabelledData, make_loader
from siamkit.errors import ConfigError, DataError


def _data(n_classes=6, per=7, extra_small=True):
    y = torch.arange(n_classes).repeat_interleave(per)
    if extra_small:  # a class too small to give k_shot + n_query samples never takes part
        y = torch.cat([y, torch.full((2,), n_classes)])
    x = torch.arange(len(y), dtype=torch.float32).unsqueeze(1).repeat(1, 3)
    return LabelledData(x, y)


def test_layout_distinct_classes_and_samples():
    data = _data()
    loader = make_loader("episodes", data, None, seed=3, n_way=4, k_shot=2, n_query=3)
    assert loader.batch_kind == "episodes" and loader.batch_size == 20
    batches = list(loader)
    assert len(batches) == len(loader) == 42 // 20
    for x, labels, query in batches:
        rows = x[:, 0].long()
        assert len(set(rows.tolist())) == 20  # no sample twice in an episode
        assert torch.equal(labels, data.y[rows])
        blocks = labels.view(4, 5)
        assert (blocks == blocks[:, :1]).all() and len(blocks[:, 0].unique()) == 4
        assert query.tolist() == ([False] * 2 + [True] * 3) * 4
        assert 6 not in labels.tolist()  # the class of two samples


def test_seeded_per_epoch_and_fixed_without_shuffle():
    data = _data()
    a = EpisodeLoader(data, seed=1, n_way=3, k_shot=1, n_query=2, episodes=5)
    b = EpisodeLoader(data, seed=1, n_way=3, k_shot=1, n_query=2, episodes=5)
    first = [t[1] for t in a]
    assert all(torch.equal(u, v[1]) for u, v in zip(first, b))
    a.set_epoch(1)
    assert not all(torch.equal(u, v[1]) for u, v in zip(first, a))
    fixed = EpisodeLoader(data, seed=1, n_way=3, k_shot=1, n_query=2, episodes=5, shuffle=False)
    one = [t[0] for t in fixed]
    fixed.set_epoch(4)
    assert all(torch.equal(u, v[0]) for u, v in zip(one, fixed))


def test_ranks_share_the_plan():
    data = _data()
    whole = [t[0] for t in EpisodeLoader(data, seed=2, n_way=3, episodes=6, n_query=1)]
    parts = [[t[0] for t in EpisodeLoader(data, seed=2, n_way=3, episodes=6, n_query=1, rank=r,
                                          world_size=2)] for r in (0, 1)]
    assert all(torch.equal(u, v) for u, v in zip(whole[0::2], parts[0]))
    assert all(torch.equal(u, v) for u, v in zip(whole[1::2], parts[1]))


def test_errors():
    data = _data()
    with pytest.raises(DataError, match="n_way=8"):
        make_loader("episodes", data, None, n_way=8, k_shot=1, n_query=1)
    with pytest.raises(ConfigError, match="batch_size"):
        make_loader("episodes", data, 64, n_way=3)
    with pytest.raises(ConfigError, match="k_shot"):
        make_loader("episodes", data, None, n_way=3, k_shot=0)
    with pytest.raises(ConfigError, match="unknown option"):
        make_loader("episodes", data, None, n_way=3, shots=1)


def test_augmentation_changes_the_images_only():
    from siamkit.data import AugmentedLoader, ImageAugment

    y = torch.arange(4).repeat_interleave(5)
    x = torch.randint(0, 255, (20, 1, 8, 8), dtype=torch.uint8)
    loader = EpisodeLoader(LabelledData(x, y), n_way=3, k_shot=1, n_query=2, episodes=2, seed=0)
    augmented = AugmentedLoader(loader, ImageAugment(rotation=20), seed=0)
    for (xa, la, qa), (xb, lb, qb) in zip(augmented, loader):
        assert torch.equal(la, lb) and torch.equal(qa, qb) and not torch.equal(xa, xb)
