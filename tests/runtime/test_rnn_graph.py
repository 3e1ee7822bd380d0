"""The RNN encoder's export graph (one pass, no length-sorted chunks) computes the encoder's own
embeddings, for every cell, pooling, direction count, depth and the subword id layout."""

from __future__ import annotations

import itertools

import pytest
import torch

from siamkit.encoders import create_encoder

VOCAB = 40


def padded_ids(rows: int, length: int, seed: int, subwords: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    shape = (rows, length, 1 + subwords) if subwords else (rows, length)
    ids = torch.randint(1, VOCAB, shape, generator=gen)
    lengths = torch.randint(1, length + 1, (rows,), generator=gen)
    lengths[0] = length  # one row without padding
    for i, n in enumerate(lengths.tolist()):
        ids[i, n:] = 0
    if subwords:  # some n-gram slots are padding too, as the tokenizer pads short words
        ids[..., 1:] = torch.where(torch.rand(ids[..., 1:].shape, generator=gen) < 0.3, 0,
                                   ids[..., 1:])
        ids[..., 1:] = torch.where(ids[..., :1] == 0, 0, ids[..., 1:])
    return ids


@pytest.mark.parametrize("cell,pooling,bidirectional",
                         list(itertools.product(("lstm", "gru"), ("mean", "max", "last"),
                                                (False, True))))
def test_graph_matches_the_encoder(cell, pooling, bidirectional):
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=VOCAB, token_dim=6, hidden_dim=5, cell=cell,
                         pooling=pooling, bidirectional=bidirectional, num_layers=2,
                         normalize=True).eval()
    ids = padded_ids(9, 8, seed=1)
    with torch.no_grad():
        torch.testing.assert_close(enc.export_graph()(ids), enc(ids), atol=1e-6, rtol=1e-5)


def test_more_rows_than_one_chunk_and_a_projection():
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=VOCAB, token_dim=6, hidden_dim=5,
                         embedding_dim=7).eval()
    ids = padded_ids(150, 12, seed=2)  # the encoder splits 150 rows into length-sorted chunks
    with torch.no_grad():
        torch.testing.assert_close(enc.export_graph()(ids), enc(ids), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_subword_ids_match_embedding_bag(bidirectional):
    torch.manual_seed(0)
    enc = create_encoder("rnn", vocab_size=VOCAB, token_dim=6, hidden_dim=5,
                         bidirectional=bidirectional, pooling="max").eval()
    ids = padded_ids(6, 7, seed=3, subwords=3)
    with torch.no_grad():
        torch.testing.assert_close(enc.export_graph()(ids), enc(ids), atol=1e-6, rtol=1e-5)
