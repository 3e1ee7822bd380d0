"""CachedMultipleNegativesRankingLoss (GradCache, Gao et al. 2021): the loss and the parameter
gradients of the plain multiple negatives ranking loss on one big batch (to 1e-5), with dropout
masks replayed per chunk, in the Trainer (the same weights as the plain loss), and its refusals."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.errors import ConfigError
from siamkit.losses import CachedMultipleNegativesRankingLoss, MultipleNegativesRankingLoss

DIM = 6


def _model(dropout=0.0, seed=0):
    torch.manual_seed(seed)
    enc = sk.encoders.create_encoder("mlp", input_dim=DIM, hidden_dims=[16], embedding_dim=5,
                                     dropout=dropout)
    return sk.SiameseNetwork(enc, distance="cosine")


def _pairs(n=22, seed=1):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, DIM, generator=g)
    return a, a + 0.3 * torch.randn(n, DIM, generator=g)


def _grads(model):
    return {k: p.grad.clone() for k, p in model.named_parameters()}


@pytest.mark.parametrize("block", [None, 3, 8])  # the loss's row blocks; 3 and 8 do not divide 22
@pytest.mark.parametrize("symmetric", [False, True])
@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_same_loss_and_gradients_as_one_big_batch(symmetric, chunk, block):
    a, p = _pairs()
    plain_model, cached_model = _model(), _model()
    plain = MultipleNegativesRankingLoss(symmetric=symmetric)(*plain_model(a, p))
    plain.backward()
    cached = CachedMultipleNegativesRankingLoss(symmetric=symmetric, chunk_size=chunk,
                                                block_size=block)
    value = cached.cached_backward(cached_model, [a, p])
    assert not value.requires_grad
    torch.testing.assert_close(value, plain.detach(), rtol=0, atol=1e-5)
    for name, g in _grads(plain_model).items():
        torch.testing.assert_close(_grads(cached_model)[name], g, rtol=0, atol=1e-5)


def test_text_pairs_through_an_rnn():
    g = torch.Generator().manual_seed(0)
    a, p = torch.randint(1, 50, (12, 7), generator=g), torch.randint(1, 50, (12, 7), generator=g)

    def rnn():
        torch.manual_seed(0)
        return sk.SiameseNetwork(sk.encoders.create_encoder("rnn", vocab_size=50, token_dim=8,
                                                            hidden_dim=8), distance="cosine")
    plain_model, cached_model = rnn(), rnn()
    plain = MultipleNegativesRankingLoss()(*plain_model(a, p))
    plain.backward()
    value = CachedMultipleNegativesRankingLoss(chunk_size=4).cached_backward(cached_model, [a, p])
    torch.testing.assert_close(value, plain.detach(), rtol=0, atol=1e-5)
    for name, grad in _grads(plain_model).items():
        torch.testing.assert_close(_grads(cached_model)[name], grad, rtol=0, atol=1e-5)


def test_dropout_masks_are_replayed_per_chunk():
    # The reference: the same chunks embedded once, with a graph, from the same seed; the cached
    # second pass must draw the masks of its first pass to reach the same gradients.
    a, p = _pairs()
    ref_model, cached_model = _model(dropout=0.5), _model(dropout=0.5)
    torch.manual_seed(7)
    reps = [torch.cat([ref_model(c)[0] for c in x.split(4)]) for x in (a, p)]
    MultipleNegativesRankingLoss()(*reps).backward()
    torch.manual_seed(7)
    CachedMultipleNegativesRankingLoss(chunk_size=4).cached_backward(cached_model, [a, p])
    for name, g in _grads(ref_model).items():
        torch.testing.assert_close(_grads(cached_model)[name], g, rtol=0, atol=1e-5)
    after = torch.rand(1)
    torch.manual_seed(7)
    [ref_model(c) for x in (a, p) for c in x.split(4)]
    assert torch.equal(torch.rand(1), after)  # the generator ends where one pass leaves it


def test_the_trainer_gives_the_weights_of_the_plain_loss():
    batches = [_pairs(16, seed=s) for s in range(3)]
    results = []
    for loss in (MultipleNegativesRankingLoss(), CachedMultipleNegativesRankingLoss(chunk_size=3)):
        model = _model()
        trainer = sk.Trainer(model, loss, batch_kind="duplicates", optimizer="sgd", lr=0.1,
                             epochs=2, progress=False, seed=0)
        history = trainer.fit(batches, batches[:1])
        results.append((model.state_dict(), history.epochs[-1]["train_loss"]))
    (plain, plain_loss), (cached, cached_loss) = results
    assert cached_loss == pytest.approx(plain_loss, abs=1e-5)
    for key, value in plain.items():
        torch.testing.assert_close(cached[key], value, rtol=0, atol=1e-5)


def test_refusals_and_the_plain_call():
    with pytest.raises(ConfigError, match="chunk_size"):
        CachedMultipleNegativesRankingLoss(chunk_size=0)
    with pytest.raises(ConfigError, match="float16"):
        CachedMultipleNegativesRankingLoss().cached_backward(_model(), list(_pairs()),
                                                             torch.float16)
    emb = [torch.randn(8, 5), torch.randn(8, 5)]  # on embeddings, it is the plain loss
    torch.testing.assert_close(CachedMultipleNegativesRankingLoss()(*emb),
                               MultipleNegativesRankingLoss()(*emb))
