"""The bidirectional RNN runs each direction unpacked (the backward one on rows reversed within their
length): it must equal a packed bidirectional reference, outputs and gradients."""

from __future__ import annotations

import pytest
import torch

from siamkit.encoders import create_encoder
from siamkit.encoders.rnn import CHUNK_ROWS

from rnn_reference import packed_reference, random_ids


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["mean", "max", "last"])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_matches_the_packed_bidirectional_rnn(cell, pooling, num_layers):
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=30, token_dim=6, hidden_dim=5, cell=cell,
                         pooling=pooling, num_layers=num_layers, bidirectional=True,
                         dropout=0.3).eval()
    ids = random_ids(2 * CHUNK_ROWS + 7, seed=1)  # three chunks, rows in no length order
    assert enc(ids).shape == (len(ids), 10)
    torch.testing.assert_close(enc(ids), packed_reference(enc, ids))


def test_gradients_match_the_packed_bidirectional_rnn():
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=30, token_dim=6, hidden_dim=5, num_layers=2,
                         bidirectional=True)
    ids = random_ids(CHUNK_ROWS + 9, seed=2)
    weights = torch.randn(len(ids), 10)
    grads = []
    for fn in (enc, lambda x: packed_reference(enc, x)):
        enc.zero_grad()
        (fn(ids) * weights).sum().backward()
        grads.append([p.grad.clone() for p in enc.parameters()])
    for ours, ref in zip(*grads):
        torch.testing.assert_close(ours, ref)


def test_state_dict_is_torchs_bidirectional_rnn():
    enc = create_encoder("rnn", vocab_size=30, token_dim=6, hidden_dim=5, bidirectional=True)
    names = {k for k in enc.state_dict() if k.startswith("rnn.")}
    assert names == {f"rnn.{w}_l0{s}" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
                     for s in ("", "_reverse")}
