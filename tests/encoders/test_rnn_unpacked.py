"""The one-directional RNN runs unpacked in length-sorted chunks: it must equal a packed reference."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from siamkit.encoders import create_encoder
from siamkit.encoders.rnn import CHUNK_ROWS


def packed_reference(enc, ids: torch.Tensor) -> torch.Tensor:
    """Pooling over a packed sequence, written out plainly (the encoder's former path)."""
    lengths = (ids != 0).sum(dim=1)
    packed = pack_padded_sequence(enc.embedding(ids), lengths, batch_first=True,
                                  enforce_sorted=False)
    out, hidden = enc.rnn(packed)
    if enc.pooling == "last":
        return (hidden[0] if enc.cell == "lstm" else hidden)[-1]
    out, _ = pad_packed_sequence(out, batch_first=True)
    rows = []
    for i, n in enumerate(lengths.tolist()):
        real = out[i, :n]
        rows.append(real.mean(0) if enc.pooling == "mean" else real.amax(0))
    return torch.stack(rows)


def random_ids(rows: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 12, (rows,), generator=gen)
    ids = torch.randint(2, 30, (rows, 12), generator=gen)
    return ids * (torch.arange(12) < lengths.unsqueeze(1))


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
