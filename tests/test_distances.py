"""Distances against SciPy/scikit-learn (independent references) and their edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from sklearn.metrics.pairwise import paired_distances

from siamkit import distances as D
from siamkit.errors import ConfigError

SCIPY = {
    "euclidean": ("euclidean", D.euclidean_distance, D.pairwise_euclidean_distance),
    "squared_euclidean": ("sqeuclidean", D.squared_euclidean_distance, D.pairwise_squared_euclidean_distance),
    "cosine": ("cosine", D.cosine_distance, D.pairwise_cosine_distance),
    "manhattan": ("cityblock", D.manhattan_distance, D.pairwise_manhattan_distance),
}


@pytest.mark.parametrize("name", SCIPY)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_pairwise_matches_scipy(name, dtype):
    metric, _, pairwise = SCIPY[name]
    a, b = torch.randn(7, 5, dtype=dtype), torch.randn(4, 5, dtype=dtype)
    expected = cdist(a.double().numpy(), b.double().numpy(), metric=metric)
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    np.testing.assert_allclose(pairwise(a, b).double().numpy(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", SCIPY)
def test_paired_is_the_diagonal_of_pairwise(name):
    _, paired, pairwise = SCIPY[name]
    a, b = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    torch.testing.assert_close(paired(a, b), torch.diagonal(pairwise(a, b)))


@pytest.mark.parametrize("name,metric", [("euclidean", "euclidean"), ("manhattan", "manhattan"), ("cosine", "cosine")])
def test_paired_matches_sklearn(name, metric):
    a, b = np.random.default_rng(1).normal(size=(2, 9, 4))
    got = D.get_distance(name).paired(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(got, paired_distances(a, b, metric=metric), rtol=1e-10)


def test_self_pairwise_has_exact_zero_diagonal_and_is_symmetric():
    # Large offsets make |a|^2 + |b|^2 - 2ab lose precision; the self case must still be exact.
    a = torch.randn(50, 16) * 0.01 + 100.0
    d = D.pairwise_euclidean_distance(a)
    assert torch.all(torch.diagonal(d) == 0)
    torch.testing.assert_close(d, d.T)


@pytest.mark.parametrize("fn", [D.euclidean_distance, D.cosine_distance, D.manhattan_distance, D.squared_euclidean_distance])
def test_gradient_is_finite_for_identical_and_zero_inputs(fn):
    for a in (torch.ones(3, 4), torch.zeros(3, 4)):
        x = a.clone().requires_grad_(True)
        y = a.clone().requires_grad_(True)
        fn(x, y).sum().backward()
        assert torch.isfinite(x.grad).all() and torch.isfinite(y.grad).all()


def test_pairwise_euclidean_gradient_finite_on_duplicates():
    a = torch.randn(4, 3)
    x = torch.cat([a, a]).requires_grad_(True)
    D.pairwise_euclidean_distance(x).sum().backward()
    assert torch.isfinite(x.grad).all()


def test_euclidean_value_at_nonzero_is_exact():
    a = torch.tensor([[0.0, 0.0]])
    b = torch.tensor([[3.0, 4.0]])
    assert D.euclidean_distance(a, b).item() == 5.0


def test_scores_are_higher_for_more_similar():
    a = torch.tensor([[1.0, 0.0]])
    near, far = torch.tensor([[0.9, 0.1]]), torch.tensor([[-1.0, 0.2]])
    for name in ("euclidean", "squared_euclidean", "cosine", "manhattan", "cosine_similarity"):
        dist = D.get_distance(name)
        assert dist.to_score(dist.paired(a, near)) > dist.to_score(dist.paired(a, far)), name
    cos = D.get_distance("cosine")
    torch.testing.assert_close(cos.to_score(cos.paired(a, near)), D.cosine_similarity(a, near))


def test_shape_errors_and_unknown_name():
    with pytest.raises(ValueError, match="same shape"):
        D.euclidean_distance(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"\[B', D\]"):
        D.pairwise_euclidean_distance(torch.zeros(3, 2), torch.zeros(3, 3))
    with pytest.raises(ConfigError, match="unknown name 'hamming'"):
        D.get_distance("hamming")
