"""The row-block multiple negatives ranking loss of the cached loss (GradCache, Gao et al. 2021):
value and embedding gradients equal the plain MultipleNegativesRankingLoss and PML's NTXentLoss
(temperature = 1 / scale, the pairs as query and reference sets) for block sizes that do and do
not divide the batch, a property test over random shapes and options, and no [N, N] tensor kept."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from loss_helpers import assert_same, value_and_grad
from pytorch_metric_learning import losses as pml_losses

from siamkit.errors import ConfigError
from siamkit.losses import CachedMultipleNegativesRankingLoss, MultipleNegativesRankingLoss

N = 22


def _pairs(n=N, dim=6, dtype=torch.float32, seed=3):
    gen = torch.Generator().manual_seed(seed)
    a = torch.randn(n, dim, generator=gen, dtype=dtype)
    return a, a + torch.randn(n, dim, generator=gen, dtype=dtype)


@pytest.mark.parametrize("similarity", ["cosine", "dot"])
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("block", [1, 3, 5, 11, 22, 64])  # 3, 5: do not divide 22; 64 > N
def test_equals_the_plain_loss(block, symmetric, similarity, dtype):
    a, p = _pairs(dtype=dtype)
    if similarity == "dot":
        a, p = a * 0.3, p * 0.3  # logits of a few units: a softmax that is not one-hot
    ours = value_and_grad(CachedMultipleNegativesRankingLoss(
        7.0, symmetric, similarity, block_size=block), a, p)
    plain = value_and_grad(MultipleNegativesRankingLoss(7.0, symmetric, similarity), a, p)
    assert_same(ours, plain, dtype)
    assert ours[0] > 0 and all(g.abs().sum() > 0 for g in ours[1])


@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("block", [1, 4, 9, 30])
def test_equals_pml_ntxent(block, symmetric):
    ntxent = pml_losses.NTXentLoss(temperature=1.0 / 20.0)

    def pml(a, p):
        ids = torch.arange(a.shape[0])
        # a distinct ref_labels object: PML drops the diagonal when labels is ref_labels
        forward = ntxent(a, ids, ref_emb=p, ref_labels=ids.clone())
        return 0.5 * (forward + ntxent(p, ids, ref_emb=a, ref_labels=ids.clone())) \
            if symmetric else forward

    a, p = _pairs(n=30, dtype=torch.float64, seed=5)
    ours = value_and_grad(CachedMultipleNegativesRankingLoss(
        20.0, symmetric, block_size=block), a, p)
    assert_same(ours, value_and_grad(pml, a, p), torch.float64)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 40), dim=st.integers(1, 8), block=st.integers(1, 50),
       scale=st.floats(0.1, 50.0), symmetric=st.booleans(),
       similarity=st.sampled_from(["cosine", "dot"]), seed=st.integers(0, 2**16))
def test_property_any_block_gives_the_plain_loss(n, dim, block, scale, symmetric, similarity,
                                                 seed):
    a, p = _pairs(n, dim, torch.float64, seed)
    ours = value_and_grad(CachedMultipleNegativesRankingLoss(
        scale, symmetric, similarity, block_size=block), a, p)
    plain = value_and_grad(MultipleNegativesRankingLoss(scale, symmetric, similarity), a, p)
    torch.testing.assert_close(ours[0], plain[0], rtol=0, atol=1e-5)
    for g_ours, g_plain in zip(ours[1], plain[1]):
        torch.testing.assert_close(g_ours, g_plain, rtol=0, atol=1e-5)


def _largest_saved(loss, a, p):
    """The most elements of any tensor the loss's graph keeps for its backward."""
    sizes = []

    def pack(t):
        sizes.append(t.numel())
        return t

    a, p = a.clone().requires_grad_(), p.clone().requires_grad_()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss(a, p).backward()
    return max(sizes)


def test_keeps_no_batch_by_batch_tensor():
    a, p = _pairs(n=40, dim=3)
    # the plain loss keeps its [40, 40] logits (so the check can fail); the block loss keeps
    # [40, 3] embeddings and gradients only
    assert _largest_saved(MultipleNegativesRankingLoss(), a, p) >= 40 * 40
    assert _largest_saved(CachedMultipleNegativesRankingLoss(block_size=8), a, p) <= 40 * 3


def test_a_step_along_the_gradient_lowers_the_loss():
    a, p = (x.requires_grad_() for x in _pairs(dtype=torch.float64))
    loss = CachedMultipleNegativesRankingLoss(block_size=5)
    before = loss(a, p)
    ga, gp = torch.autograd.grad(before, [a, p])
    assert loss(a - 1e-2 * ga, p - 1e-2 * gp) < before


def test_no_gradient_asked_gives_the_value_and_a_batch_of_one_the_zero_loss():
    a, p = _pairs()
    loss = CachedMultipleNegativesRankingLoss(block_size=4)
    torch.testing.assert_close(loss(a, p), MultipleNegativesRankingLoss()(a, p))
    one = torch.randn(1, 6, requires_grad=True)
    with pytest.warns(UserWarning, match="no in-batch negative"):
        assert loss(one, one).item() == 0.0


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_block_size_is_refused(bad):
    with pytest.raises(ConfigError, match="block_size"):
        CachedMultipleNegativesRankingLoss(block_size=bad)
