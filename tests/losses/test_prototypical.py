"""PrototypicalLoss: a brute-force computation (loops over classes and queries), a hand-worked
example, the metrics, checks of the episode, degenerate episodes and the direction of a step."""

from __future__ import annotations

import math

import pytest
import torch

from siamkit.errors import ConfigError, DataError, SiamkitWarning
from siamkit.losses import PrototypicalLoss


def _episode(n_way=4, k=3, q=2, dim=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n_way).repeat_interleave(k + q) * 7 + 3  # sparse class ids
    query = torch.tensor(([False] * k + [True] * q) * n_way)
    emb = torch.randn(len(labels), dim, generator=g, dtype=torch.float64)
    perm = torch.randperm(len(labels), generator=g)  # the loss must not rely on the layout
    return emb[perm].requires_grad_(), labels[perm], query[perm]


def _brute_force(emb, labels, query, metric="squared_euclidean", temperature=1.0):
    classes = sorted(set(labels[~query].tolist()))
    centres = [torch.stack([emb[i] for i in range(len(emb))
                            if not query[i] and labels[i] == c]).mean(0) for c in classes]
    total, n = 0.0, 0
    for i in range(len(emb)):
        if not query[i]:
            continue
        logits = []
        for c in centres:
            if metric == "squared_euclidean":
                d = ((emb[i] - c) ** 2).sum()
            elif metric == "euclidean":
                d = ((emb[i] - c) ** 2).sum().sqrt()
            else:
                d = 1 - (emb[i] @ c) / (emb[i].norm() * c.norm())
            logits.append(-d / temperature)
        logits = torch.stack(logits)
        total = total - torch.log_softmax(logits, 0)[classes.index(int(labels[i]))]
        n += 1
    return total / n


@pytest.mark.parametrize("metric", ["squared_euclidean", "euclidean", "cosine"])
@pytest.mark.parametrize("temperature", [1.0, 0.3])
def test_matches_brute_force_value_and_gradient(metric, temperature):
    emb, labels, query = _episode()
    ours = PrototypicalLoss(metric, temperature)(emb, labels, query)
    (g_ours,) = torch.autograd.grad(ours, emb)
    theirs = _brute_force(emb, labels, query, metric, temperature)
    (g_theirs,) = torch.autograd.grad(theirs, emb)
    assert float(ours.detach()) == pytest.approx(float(theirs.detach()), rel=1e-10)
    torch.testing.assert_close(g_ours, g_theirs, rtol=1e-9, atol=1e-12)


def test_hand_worked_example():
    # support: class 0 at (0, 0) and (2, 0) -> prototype (1, 0); class 1 at (0, 2) -> (0, 2);
    # query of class 0 at (1, 1): squared distances 1 and 2
    emb = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    labels = torch.tensor([0, 0, 1, 0])
    query = torch.tensor([False, False, False, True])
    want = -math.log(math.exp(-1) / (math.exp(-1) + math.exp(-2)))
    assert float(PrototypicalLoss()(emb, labels, query)) == pytest.approx(want, rel=1e-6)


def test_a_step_moves_queries_towards_their_prototype():
    emb, labels, query = _episode(seed=3)
    loss = PrototypicalLoss()
    before = loss(emb, labels, query)
    (grad,) = torch.autograd.grad(before, emb)
    after = loss(emb.detach() - 0.05 * grad, labels, query)
    assert float(after) < float(before.detach())


def test_bad_episodes():
    emb, labels, query = _episode()
    with pytest.raises(DataError, match="query"):
        PrototypicalLoss()(emb, labels, query[:-1])
    lonely = labels.clone()
    lonely[query.nonzero()[0]] = 999  # a query whose class has no support
    with pytest.raises(DataError, match="no support"):
        PrototypicalLoss()(emb, lonely, query)
    with pytest.raises(ConfigError, match="metric"):
        PrototypicalLoss("manhattan")
    with pytest.raises(ConfigError, match="temperature"):
        PrototypicalLoss(temperature=0)


def test_degenerate_episodes_give_a_zero_with_a_gradient():
    emb, labels, query = _episode()
    loss = PrototypicalLoss()
    with pytest.warns(SiamkitWarning, match="episode"):
        zero = loss(emb, labels, torch.zeros_like(query))
    zero.backward()
    assert float(zero.detach()) == 0 and loss.degenerate_batches == 1
    one_class = torch.zeros_like(labels)
    assert float(loss(emb, one_class, query).detach()) == 0 and loss.degenerate_batches == 2
