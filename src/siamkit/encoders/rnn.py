"""Recurrent encoder for token id sequences: embedding -> LSTM or GRU -> pooling over time.

The recipe of the duplicate-questions exercise (embedding, LSTM, mean over time, L2 normalisation,
cosine) is ``create_encoder("rnn", vocab_size=V, cell="lstm", pooling="mean", normalize=True)``.

Padding is id 0 and is never seen by the pooling: an input padded to any length gives the
embedding of the unpadded input. Sequences are right-padded (what :class:`siamkit.data.Tokenizer`
produces). A one-directional RNN's output at a real position cannot depend on the padding after it,
so it runs unpacked on rows sorted by length, in chunks trimmed to their longest row: on CPU the
unpacked kernel is several times faster than a packed sequence and the chunks waste little on
padding. A bidirectional RNN's backward direction would read the padding first, so each direction
runs as a one-directional RNN (the same weights, through ``torch.func.functional_call``): the
backward one on every row reversed within its length, its outputs reversed back; layer by layer,
as the packed bidirectional RNN computes (measured about 10 times faster on CPU than packing).

Ids ``[B, L, 1 + K]`` (a :class:`~siamkit.data.Tokenizer` with ``subword_ngrams``) are a word id and
its character n-gram ids per position, padded with 0; the token vector is the mean of their
vectors, fastText's word representation (Bojanowski et al. 2017), and a position is padding where
its word id is 0.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import functional_call
from torch.nn import functional as F

from ..errors import ConfigError
from .base import Encoder, register_encoder

PAD_ID = 0
CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}
POOLINGS = ("mean", "max", "last")
CHUNK_ROWS = 64  # rows per length-sorted chunk of the unpacked path


@register_encoder("rnn", modality="text", output="embedding", data_args=("vocab_size",), auto=True)
class RNNEncoder(Encoder):
    """``[B, L]`` int64 token ids (pad 0) -> ``[B, embedding_dim]``.

    ``embedding_dim`` defaults to ``hidden_dim`` x directions (the pooled state itself); a different
    value adds a linear projection.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int | None = None,
        token_dim: int = 128,
        hidden_dim: int = 128,
        cell: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        pooling: str = "mean",
        dropout: float = 0.0,
        normalize: bool = False,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ConfigError(f"rnn: unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
        if pooling not in POOLINGS:
            raise ConfigError(f"rnn: unknown pooling {pooling!r}; choose one of {', '.join(POOLINGS)}")
        if int(vocab_size) < 2:
            raise ConfigError(f"rnn: vocab_size must be >= 2 (pad and unknown), got {vocab_size}")
        self.vocab_size = int(vocab_size)
        self.token_dim = int(token_dim)
        self.hidden_dim = int(hidden_dim)
        self.cell = cell
        self.num_layers = int(num_layers)
        self.bidirectional = bool(bidirectional)
        self.pooling = pooling
        self.dropout = float(dropout)
        self.normalize = bool(normalize)
        state_dim = self.hidden_dim * (2 if self.bidirectional else 1)
        self.embedding_dim = state_dim if embedding_dim is None else int(embedding_dim)

        self.embedding = nn.Embedding(self.vocab_size, self.token_dim, padding_idx=PAD_ID)
        self.rnn = CELLS[cell](
            self.token_dim, self.hidden_dim, num_layers=self.num_layers, batch_first=True,
            bidirectional=self.bidirectional, dropout=self.dropout if self.num_layers > 1 else 0.0,
        )
        self.project = nn.Identity() if self.embedding_dim == state_dim else nn.Linear(state_dim, self.embedding_dim)
        # One-directional RNNs of each layer's shape: templates that run one direction of self.rnn
        # with its weights (their own are never used). A plain list, not submodules: they hold no
        # state of the model. Only the bidirectional path needs them.
        self._one_way = [CELLS[cell](self.token_dim if k == 0 else state_dim, self.hidden_dim,
                                     batch_first=True) for k in range(self.num_layers)
                         ] if self.bidirectional else []

    def encode(self, ids: Tensor) -> Tensor:
        if ids.dim() not in (2, 3) or ids.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"rnn encoder expects [B, L] (or subword [B, L, 1 + K]) integer token "
                             f"ids, got {tuple(ids.shape)} {ids.dtype}")
        if ids.numel() and int(ids.max()) >= self.vocab_size:
            raise ValueError(f"rnn encoder: token id {int(ids.max())} >= vocab_size {self.vocab_size}")
        mask = (ids[..., 0] if ids.dim() == 3 else ids) != PAD_ID
        # Right padding: the length is the position after the last real token. An all-padding row
        # gets length 1 and so the embedding of a single pad token.
        positions = torch.arange(1, ids.shape[1] + 1, device=ids.device)
        lengths = (mask * positions).amax(dim=1).clamp_min(1)
        tokens = self._token_vectors(ids.long())
        return self.project(self._chunked_pooled(tokens, lengths))

    def export_graph(self) -> nn.Module:
        """The same embeddings in one pass without length-sorted chunks (:mod:`.rnn_graph`), which
        an exporter can trace with a dynamic batch and sequence length."""
        from .rnn_graph import RNNGraph

        return RNNGraph(self).eval()

    def _token_vectors(self, ids: Tensor) -> Tensor:
        if ids.dim() == 2:
            return self.embedding(ids)
        # One bag per position: the mean over its non-padding ids (word and n-grams), zeros at padding.
        bags = F.embedding_bag(ids.reshape(-1, ids.shape[2]), self.embedding.weight, mode="mean",
                               padding_idx=PAD_ID)
        return bags.view(ids.shape[0], ids.shape[1], -1)

    def _chunked_pooled(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """Pooled states, unpacked, in length-sorted chunks."""
        order = lengths.argsort(descending=True)
        parts = []
        for rows in order.split(CHUNK_ROWS):
            n = lengths[rows]
            x = tokens[rows, : int(n.max())]
            out = self._bidirectional(x, n) if self.bidirectional else self.rnn(x)[0]
            if self.pooling != "last":
                parts.append(self._pool(out, n))
                continue
            # The last real position's output; a backward direction's last state is at position 0.
            last = out[torch.arange(len(rows), device=out.device), n - 1]
            if self.bidirectional:
                last = torch.cat([last[:, : self.hidden_dim], out[:, 0, self.hidden_dim:]], dim=1)
            parts.append(last)
        pooled = torch.cat(parts)
        return torch.empty_like(pooled).index_copy(0, order, pooled)

    def _bidirectional(self, x: Tensor, lengths: Tensor) -> Tensor:
        """Outputs ``[b, l, 2H]`` of the bidirectional RNN at the real positions of ``x``."""
        # Position t of a reversed row reads position n - 1 - t; padding stays where it is. The
        # permutation is its own inverse, so it also puts the backward outputs back in order.
        t = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
        n = lengths.unsqueeze(1)
        flip = torch.where(t < n, n - 1 - t, t)
        for k, one_way in enumerate(self._one_way):
            if k:
                x = F.dropout(x, self.dropout, self.training)
            ways = []
            for suffix in ("", "_reverse"):
                params = {name: getattr(self.rnn, f"{name}_l{k}{suffix}")
                          for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
                params = {f"{name}_l0": value for name, value in params.items()}
                index = flip.unsqueeze(2).expand(-1, -1, x.shape[2])
                inp = x if not suffix else x.gather(1, index)
                out = functional_call(one_way, params, (inp,))[0]
                ways.append(out if not suffix else out.gather(1, flip.unsqueeze(2).expand_as(out)))
            x = torch.cat(ways, dim=2)
        return x

    def _pool(self, out: Tensor, lengths: Tensor) -> Tensor:
        """Mean or max over the real positions of right-padded outputs ``[B, L, H]``."""
        positions = torch.arange(1, out.shape[1] + 1, device=out.device)
        valid = (positions.unsqueeze(0) <= lengths.unsqueeze(1)).unsqueeze(2)
        if self.pooling == "mean":
            return (out * valid).sum(dim=1) / lengths.unsqueeze(1).to(out.dtype)
        return out.masked_fill(~valid, float("-inf")).amax(dim=1)
