"""N-way K-shot accuracy: perfect on separated clusters, chance on noise, equal to a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.errors import ConfigError, DataError
from siamkit.evaluation import one_shot_accuracy, one_shot_accuracy_from_embeddings
from siamkit.evaluation.episodes import draw_episodes


def _clusters(n_classes=12, per_class=8, dim=16, spread=0.05, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim)) * 5
    y = np.repeat(np.arange(n_classes), per_class)
    return (centres[y] + spread * rng.normal(size=(len(y), dim))).astype(np.float32), y


@pytest.mark.parametrize(
    "n_way, k_shot, aggregate", [(5, 1, "mean_score"), (10, 3, "mean_score"), (10, 3, "prototype")]
)
def test_separated_clusters_are_always_right(n_way, k_shot, aggregate):
    x, y = _clusters()
    r = one_shot_accuracy_from_embeddings(
        x, y, n_way=n_way, k_shot=k_shot, episodes=300, aggregate=aggregate
    )
    assert r["accuracy"] == 1.0
    assert (r["n_way"], r["k_shot"], r["episodes"], r["chance"]) == (n_way, k_shot, 300, 1 / n_way)


@pytest.mark.parametrize("n_way", [2, 5, 20])
def test_random_embeddings_are_at_chance(n_way):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 8))
    y = rng.integers(0, 40, 2000)
    r = one_shot_accuracy_from_embeddings(x, y, n_way=n_way, episodes=1000, seed=2)
    half = (r["ci95"][1] - r["ci95"][0]) / 2
    assert abs(r["accuracy"] - 1 / n_way) < 2 * half  # ~4 standard errors
    lo, hi = r["ci95_wilson"]
    assert lo < r["accuracy"] < hi


def test_ties_are_broken_at_random():
    x = np.zeros((100, 4))  # every score ties
    y = np.repeat(np.arange(10), 10)
    r = one_shot_accuracy_from_embeddings(x, y, n_way=5, episodes=2000)
    assert abs(r["accuracy"] - 0.2) < 0.03


def _plain_loop(x, y, n_way, k_shot, n_query, episodes, seed, prototype, nearest=False):
    members = {c: np.flatnonzero(y == c) for c in np.unique(y)}
    ep = draw_episodes(members, n_way, k_shot, n_query, episodes, np.random.default_rng(seed))
    correct = []
    for e in range(episodes):
        for w in range(n_way):
            for q in ep.query[e, w]:
                best, best_score = None, -np.inf
                for c in range(n_way):
                    sup = x[ep.support[e, c]]
                    if prototype:
                        score = -np.linalg.norm(x[q] - sup.mean(axis=0))
                    else:
                        scores = [-np.linalg.norm(x[q] - s) for s in sup]
                        score = np.max(scores) if nearest else np.mean(scores)
                    if score > best_score:
                        best, best_score = c, score
                correct.append(best == w)
    return float(np.mean(correct))


@pytest.mark.parametrize("aggregate", ["mean_score", "prototype", "nearest"])
def test_equals_a_plain_loop(aggregate):
    x, y = _clusters(n_classes=8, per_class=6, spread=10.0, seed=3)  # overlapping: not trivial
    kw = dict(n_way=4, k_shot=2, n_query=2, episodes=60, seed=5)
    r = one_shot_accuracy_from_embeddings(x, y, aggregate=aggregate, **kw)
    expected = _plain_loop(x.astype(np.float64), y, prototype=aggregate == "prototype",
                           nearest=aggregate == "nearest", **kw)
    assert 0.3 < expected < 0.95
    assert r["accuracy"] == pytest.approx(expected, abs=1e-9)


def test_nearest_mean_score_and_prototype_on_a_hand_worked_episode():
    """1-D, 2-way 2-shot, 2 queries a way, one episode. A's supports at 0 and 9 (prototype 4.5),
    B's at 4 and 6 (prototype 5). Distances (A vs B), and who wins:

    query       nearest        mean_score               prototype
    A at 1      1 vs 3    A    (1+8)/2=4.5 vs 4    B    3.5 vs 4    A
    A at 1.5    1.5 vs 2.5 A   (1.5+7.5)/2=4.5 vs 3.5 B 3 vs 3.5    A
    B at 8      1 vs 2    A    (8+1)/2=4.5 vs 3    B    3.5 vs 3    B
    B at 5.5    3.5 vs .5 B    (5.5+3.5)/2=4.5 vs 1 B   1 vs .5     B

    so nearest 3/4, mean_score 2/4, prototype 4/4."""
    y = np.repeat([0, 1], 4)
    members = {c: np.flatnonzero(y == c) for c in (0, 1)}
    # the function draws its episodes first from default_rng(seed): place the values on that draw
    ep = draw_episodes(members, 2, 2, 2, 1, np.random.default_rng(0))
    x = np.zeros((8, 1), dtype=np.float32)
    values = {0: ([0.0, 9.0], [1.0, 1.5]), 1: ([4.0, 6.0], [8.0, 5.5])}
    for way, c in enumerate(ep.classes[0]):
        support, query = values[int(c)]
        x[ep.support[0, way], 0] = support
        x[ep.query[0, way], 0] = query
    got = {agg: one_shot_accuracy_from_embeddings(x, y, n_way=2, k_shot=2, n_query=2, episodes=1,
                                                  seed=0, aggregate=agg)["accuracy"]
           for agg in ("nearest", "mean_score", "prototype")}
    assert got == {"nearest": 0.75, "mean_score": 0.5, "prototype": 1.0}


def test_the_aggregates_agree_with_one_shot():
    x, y = _clusters(n_classes=8, per_class=6, spread=10.0, seed=3)
    runs = [one_shot_accuracy_from_embeddings(x, y, n_way=4, episodes=100, seed=1, aggregate=agg)
            for agg in ("nearest", "mean_score", "prototype")]
    assert runs[0]["accuracy"] == runs[1]["accuracy"] == runs[2]["accuracy"] < 1.0


def test_episodes_are_well_formed():
    y = np.repeat(np.arange(7), [5, 6, 7, 8, 9, 10, 11])
    members = {c: np.flatnonzero(y == c) for c in range(7)}
    ep = draw_episodes(members, 5, 2, 3, 500, np.random.default_rng(0))
    assert ep.support.shape == (500, 5, 2) and ep.query.shape == (500, 5, 3)
    for e in range(500):
        assert len(set(ep.classes[e])) == 5
        for w in range(5):
            rows = np.concatenate([ep.support[e, w], ep.query[e, w]])
            assert len(set(rows)) == 5 and set(y[rows]) == {ep.classes[e, w]}
    # each sample of a class is used about equally often
    counts = np.bincount(ep.support[ep.classes == 6].ravel(), minlength=len(y))[members[6]]
    assert counts.min() > 0.6 * counts.mean()


def test_seeded_and_class_restricted():
    x, y = _clusters(n_classes=10)
    noise = np.random.default_rng(0).normal(size=(40, 16)).astype(np.float32)
    x = np.concatenate([x, noise])
    y = np.concatenate([y, np.repeat([100, 101, 102, 103, 104], 8)])
    a = one_shot_accuracy_from_embeddings(x, y, episodes=200, seed=1)
    b = one_shot_accuracy_from_embeddings(x, y, episodes=200, seed=1)
    c = one_shot_accuracy_from_embeddings(x, y, episodes=200, seed=2)
    assert a == b and a["accuracy"] != c["accuracy"] and a["accuracy"] < 1.0
    held_out = one_shot_accuracy_from_embeddings(x, y, episodes=200, classes=range(10))
    assert held_out["accuracy"] == 1.0 and held_out["n_classes"] == 10


def test_small_classes_are_skipped_and_counted():
    x, y = _clusters(n_classes=6, per_class=3)
    y[:2] = 99  # class 99 has 2 samples; class 0 keeps 1
    r = one_shot_accuracy_from_embeddings(x, y, n_way=3, k_shot=1, n_query=1, episodes=10)
    assert r["classes_skipped"] == 1 and r["n_classes"] == 6
    with pytest.raises(DataError, match="need 6 classes with at least 3 samples"):
        one_shot_accuracy_from_embeddings(x, y, n_way=6, k_shot=2, episodes=10)


def test_input_errors():
    x, y = _clusters()
    with pytest.raises(DataError, match="y: has 5 labels"):
        one_shot_accuracy_from_embeddings(x, y[:5])
    with pytest.raises(DataError, match="classes: 1 class"):
        one_shot_accuracy_from_embeddings(x, y, classes=[0, 1, 2, 3, 4, 77])
    with pytest.raises(ConfigError, match="n_way"):
        one_shot_accuracy_from_embeddings(x, y, n_way=1)
    with pytest.raises(ConfigError, match="aggregate"):
        one_shot_accuracy_from_embeddings(x, y, aggregate="max")
    bad = x.copy()
    bad[3, 2] = np.nan
    with pytest.raises(DataError, match="emb: 1 value"):
        one_shot_accuracy_from_embeddings(bad, y)


def test_raw_pixel_baseline_with_a_distance_name():
    x, y = _clusters()
    pixels = torch.from_numpy(x).reshape(len(x), 4, 4)  # "images"
    r = one_shot_accuracy_from_embeddings(pixels.reshape(len(x), -1), y, "cosine", episodes=100)
    assert r["accuracy"] > 0.9


def test_model_version_embeds_once_in_eval_mode(stand_in):
    x, y = _clusters(n_classes=10, per_class=6, dim=4)
    x = torch.from_numpy(x)
    stand_in.train()
    r = one_shot_accuracy(stand_in, x, y, n_way=5, episodes=200, batch_size=16)
    assert stand_in.training
    assert sum(int(c.split(":")[1]) for c in stand_in.calls) == len(x)
    assert all(c.endswith(":eval") for c in stand_in.calls) and not any(stand_in.grad_seen)
    with torch.no_grad():
        emb = stand_in.encoder(x)
    expected = one_shot_accuracy_from_embeddings(emb, y, n_way=5, episodes=200)
    assert r["accuracy"] == expected["accuracy"] and r["scoring"] == "auto"
    distance = one_shot_accuracy(stand_in, x, y, n_way=5, episodes=200, scoring="distance")
    assert distance["accuracy"] == expected["accuracy"]


def test_model_version_head_scoring_and_class_subset(stand_in_cls):
    StandInModel = stand_in_cls  # noqa: N806
    x, y = _clusters(n_classes=10, per_class=6, dim=4)
    model = StandInModel(head=True)
    r = one_shot_accuracy(model, x, y, n_way=5, episodes=100, scoring="head", classes=range(5))
    assert sum(int(c.split(":")[1]) for c in model.calls) == 30  # only classes 0-4 embedded
    assert r["n_classes"] == 5 and r["scoring"] == "head"
    with pytest.raises(ConfigError, match="head"):
        one_shot_accuracy(StandInModel(), x, y, scoring="head")
