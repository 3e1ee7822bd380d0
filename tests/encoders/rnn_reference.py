"""A packed-sequence reference for the RNN encoder's unpacked paths, and random padded ids.

torch's packed RNN is what the encoder computed before it ran unpacked (one-directional rows in
length-sorted chunks; each direction of a bidirectional RNN on its own); its pooling is written out
plainly here so that the tests of both paths compare against one reference.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def packed_reference(enc, ids: torch.Tensor) -> torch.Tensor:
    """Pooling over ``enc.rnn`` run on a packed sequence of ``ids`` (right-padded with 0)."""
    lengths = (ids != 0).sum(dim=1)
    packed = pack_padded_sequence(enc.embedding(ids), lengths, batch_first=True,
                                  enforce_sorted=False)
    out, hidden = enc.rnn(packed)
    if enc.pooling == "last":  # the last layer's final state of each direction
        h = hidden[0] if enc.cell == "lstm" else hidden
        return torch.cat([h[-2], h[-1]], dim=1) if enc.bidirectional else h[-1]
    out, _ = pad_packed_sequence(out, batch_first=True)
    rows = []
    for i, n in enumerate(lengths.tolist()):
        real = out[i, :n]
        rows.append(real.mean(0) if enc.pooling == "mean" else real.amax(0))
    return torch.stack(rows)


def random_ids(rows: int, seed: int) -> torch.Tensor:
    """``[rows, 12]`` ids in 2..29, right-padded with 0 to random lengths 1..11."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, 12, (rows,), generator=gen)
    ids = torch.randint(2, 30, (rows, 12), generator=gen)
    return ids * (torch.arange(12) < lengths.unsqueeze(1))
