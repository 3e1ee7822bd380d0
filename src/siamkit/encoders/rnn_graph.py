"""The :class:`~siamkit.encoders.RNNEncoder` as one fixed graph, for ONNX export.

The encoder's own forward sorts rows by length and runs them in chunks trimmed to their longest
row: Python loops over data-dependent sizes that a traced graph cannot hold. This module computes
the same embeddings in one pass over the whole padded batch, which an exporter can trace with a
dynamic batch and a dynamic sequence length:

* a one-directional RNN runs over every position; its outputs at the real positions of a
  right-padded row cannot depend on the padding after them, and the pooling reads only those;
* a bidirectional RNN runs each direction of each layer as a one-directional RNN with the
  encoder's weights, the backward one on every row reversed within its length (the encoder's own
  method, without the chunks);
* subword ids ``[B, L, 1 + K]`` become the mean of the vectors of their non-padding ids, which is
  what ``F.embedding_bag(mode="mean", padding_idx=0)`` computes (zeros where a bag is all padding).

Embeddings agree with the encoder's forward to float rounding (tests/runtime/test_onnx_encoders.py
checks every pooling, cell, direction and the subword form against ONNX Runtime).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn
from torch.nn import functional as F

PAD_ID = 0


class RNNGraph(nn.Module):
    """``ids [B, L]`` (or ``[B, L, 1 + K]``) -> ``[B, embedding_dim]``, as ``encoder`` computes."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.embedding = encoder.embedding
        self.rnn = encoder.rnn
        self.project = encoder.project
        self.pooling = encoder.pooling
        self.hidden_dim = encoder.hidden_dim
        self.bidirectional = encoder.bidirectional
        self.normalize = encoder.normalize
        self.directions = nn.ModuleList()
        if self.bidirectional:
            # Each layer's two directions as one-directional RNNs holding copies of its weights:
            # the graph is a snapshot of the encoder, as an exported file is.
            for k, template in enumerate(encoder._one_way):
                pair = nn.ModuleList()
                for suffix in ("", "_reverse"):
                    one_way = copy.deepcopy(template)
                    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                        getattr(one_way, f"{name}_l0").data.copy_(
                            getattr(self.rnn, f"{name}_l{k}{suffix}").data)
                    pair.append(one_way)
                self.directions.append(pair)

    def forward(self, ids: Tensor) -> Tensor:
        word = ids[:, :, 0] if ids.dim() == 3 else ids
        positions = torch.arange(1, ids.shape[1] + 1, device=ids.device)
        lengths = ((word != PAD_ID) * positions).amax(dim=1).clamp_min(1)
        tokens = self._token_vectors(ids)
        out = self._bidirectional(tokens, lengths) if self.bidirectional else self.rnn(tokens)[0]
        z = self.project(self._pool(out, lengths, positions))
        return F.normalize(z, dim=1) if self.normalize else z

    def _token_vectors(self, ids: Tensor) -> Tensor:
        vectors = self.embedding(ids)
        if ids.dim() == 2:
            return vectors
        real = (ids != PAD_ID).unsqueeze(3).to(vectors.dtype)
        return (vectors * real).sum(dim=2) / real.sum(dim=2).clamp_min(1.0)

    def _bidirectional(self, x: Tensor, lengths: Tensor) -> Tensor:
        t = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
        n = lengths.unsqueeze(1)
        flip = torch.where(t < n, n - 1 - t, t)  # its own inverse
        for forward_rnn, backward_rnn in self.directions:
            index = flip.unsqueeze(2).expand(-1, -1, x.shape[2])
            ahead = forward_rnn(x)[0]
            back = backward_rnn(x.gather(1, index))[0]
            back = back.gather(1, flip.unsqueeze(2).expand(-1, -1, back.shape[2]))
            x = torch.cat([ahead, back], dim=2)
        return x

    def _pool(self, out: Tensor, lengths: Tensor, positions: Tensor) -> Tensor:
        if self.pooling == "last":
            rows = torch.arange(out.shape[0], device=out.device)
            last = out[rows, lengths - 1]
            if self.bidirectional:  # the backward direction ends at position 0
                last = torch.cat([last[:, : self.hidden_dim], out[:, 0, self.hidden_dim:]], dim=1)
            return last
        valid = (positions.unsqueeze(0) <= lengths.unsqueeze(1)).unsqueeze(2)
        if self.pooling == "mean":
            return (out * valid).sum(dim=1) / lengths.unsqueeze(1).to(out.dtype)
        return out.masked_fill(~valid, float("-inf")).amax(dim=1)
