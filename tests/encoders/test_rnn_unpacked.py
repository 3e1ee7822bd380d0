"""The one-directional RNN runs unpacked in length-sorted chunks: it must equal a packed reference."""

from __future__ import annotations

import pytest
import torch

from siamkit.encoders import create_encoder
from siamkit.encoders.rnn import CHUNK_ROWS

from rnn_reference import packed_reference, random_ids


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["mean", "max", "last"])
def test_matches_the_packed_computation_across_chunks(cell, pooling):
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=30, token_dim=6, hidden_dim=5, cell=cell,
                         pooling=pooling, num_layers=2).eval()
    ids = random_ids(2 * CHUNK_ROWS + 7, seed=1)  # three chunks, rows in no length order
    torch.testing.assert_close(enc(ids), packed_reference(enc, ids))


def test_gradients_match_the_packed_computation():
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=30, token_dim=6, hidden_dim=5)
    ids = random_ids(CHUNK_ROWS + 9, seed=2)
    weights = torch.randn(len(ids), 5)
    grads = []
    for fn in (enc, lambda x: packed_reference(enc, x)):
        enc.zero_grad()
        (fn(ids) * weights).sum().backward()
        grads.append([p.grad.clone() for p in enc.parameters()])
    for ours, ref in zip(*grads):
        torch.testing.assert_close(ours, ref)
