from __future__ import annotations

import pytest
import torch

from siamkit.encoders import create_encoder
from siamkit.errors import ConfigError


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("pooling", ["mean", "max", "last"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_the_embedding(cell, pooling, bidirectional):
    enc = create_encoder("rnn", vocab_size=20, token_dim=6, hidden_dim=5, cell=cell, pooling=pooling,
                         bidirectional=bidirectional, num_layers=2).eval()
    ids = torch.tensor([[4, 5, 6], [7, 8, 0]])
    padded = torch.cat([ids, torch.zeros(2, 6, dtype=torch.long)], dim=1)
    torch.testing.assert_close(enc(ids), enc(padded))
    # and the same text alone, without a longer neighbour in its batch
    torch.testing.assert_close(enc(ids[1:, :2]), enc(ids)[1:])


def test_mean_pooling_matches_a_manual_loop():
    enc = create_encoder("rnn", vocab_size=10, token_dim=4, hidden_dim=3, pooling="mean").eval()
    ids = torch.tensor([[2, 3, 4, 0, 0]])
    out, _ = enc.rnn(enc.embedding(ids[:, :3]))
    torch.testing.assert_close(enc(ids), out.mean(dim=1))


def test_projection_when_embedding_dim_differs():
    enc = create_encoder("rnn", vocab_size=10, hidden_dim=4, bidirectional=True)
    assert enc.embedding_dim == 8
    enc = create_encoder("rnn", vocab_size=10, hidden_dim=4, embedding_dim=3)
    assert enc(torch.tensor([[1, 2]])).shape == (1, 3)


def test_bad_inputs():
    enc = create_encoder("rnn", vocab_size=10)
    with pytest.raises(ValueError, match="vocab_size 10"):
        enc(torch.tensor([[11]]))
    with pytest.raises(ValueError, match="integer token ids"):
        enc(torch.rand(2, 3))
    with pytest.raises(ConfigError, match="unknown cell"):
        create_encoder("rnn", vocab_size=10, cell="transformer")
