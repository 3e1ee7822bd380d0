"""Cached multiple negatives ranking loss: GradCache (Gao, Zhang, Han & Callan, 2021).

"Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup", arXiv:2101.06983. An
in-batch softmax loss (:class:`MultipleNegativesRankingLoss`, Henderson et al. 2017) couples every
pair of the batch, so its batch cannot simply be cut into gradient-accumulation steps. GradCache
splits the work at the embeddings instead:

1. embed the batch chunk by chunk **without** a graph, keeping each chunk's random state;
2. compute the loss on all the embeddings, and its gradient with respect to them (cheap: the
   embeddings are ``[B, D]``), the "cached" gradient;
3. embed each chunk again **with** a graph, under the random state it had in step 1 (so dropout
   draws the same masks and the embeddings are those of step 1), and backpropagate the chunk's
   cached gradient through the encoder.

The parameter gradients are those of the whole batch's loss, while at most one chunk's
activations are held at a time. The loss of step 2 is itself computed in row blocks of
``block_size`` anchors (:mod:`._blockwise_ranking`), never as the whole ``[B, B]`` similarity
matrix with its softmax and gradient: a batch of 4,096 pairs trains in the memory of ``chunk_size``
pairs plus ``O(B x D + block_size x B)`` (see ``benchmarks/gradcache_memory.py``). The cost is a
second forward pass. Layers whose output depends on the other rows of a batch (BatchNorm in train
mode) see chunks, not the batch, and differ.

The Trainer lets this loss own its backward: a loss with ``cached_backward(model, inputs,
amp_dtype)`` embeds the inputs itself and leaves the gradients in the parameters; the Trainer
then skips its own ``backward`` (:mod:`siamkit.training.steps`). Not under torchrun (each chunk's
backward would synchronise DDP's gradients separately) and not with float16 autocast (the
GradScaler scales a loss whose backward it does not run): both are refused with a ConfigError.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch
from torch import Tensor, nn

from ..errors import ConfigError
from ..registry import LOSSES
from ._base import check_same_shape
from ._blockwise_ranking import blockwise_ranking_loss, check_block_size
from .ranking import MultipleNegativesRankingLoss


class RandomState:
    """The CPU generator's state and, where used, the CUDA generators' states: replayed so that
    a chunk embedded twice draws the same dropout masks."""

    def __init__(self, device: torch.device) -> None:
        self.cpu = torch.get_rng_state()
        self.cuda = torch.cuda.get_rng_state_all() if device.type == "cuda" else None

    @contextlib.contextmanager
    def replayed(self) -> Iterator[None]:
        devices = list(range(torch.cuda.device_count())) if self.cuda is not None else []
        with torch.random.fork_rng(devices=devices):
            torch.set_rng_state(self.cpu)
            if self.cuda is not None:
                torch.cuda.set_rng_state_all(self.cuda)
            yield


def _chunks(x: Any, size: int) -> list[Any]:
    return [x[i:i + size] for i in range(0, len(x), size)]


@LOSSES.register("cached_multiple_negatives_ranking", input_kind="duplicates",
                 inputs="a [B, D], p [B, D]; embeds the batch itself in chunks",
                 paper="Gao et al. 2021; Henderson et al. 2017")
class CachedMultipleNegativesRankingLoss(MultipleNegativesRankingLoss):
    """The multiple negatives ranking loss with GradCache: the loss and the gradients of one big
    batch, in the memory of ``chunk_size`` pairs (see the module docstring).

    Inputs as :class:`MultipleNegativesRankingLoss` (``a``, ``p`` ``[B, D]``; row i of each a
    positive pair, label 1 = same, the other rows negatives); called on embeddings it is that
    loss. In the Trainer it embeds the batch itself through :meth:`cached_backward`.
    ``chunk_size``: pairs embedded at once. ``block_size``: anchors whose scores against all ``B``
    candidates are held at once in the loss (default: ``chunk_size``); it changes memory, not the
    result. ``input_kind = "duplicates"``.
    Papers: Gao et al. (2021), Henderson et al. (2017).
    """

    def __init__(self, scale: float = 20.0, symmetric: bool = False, similarity: str = "cosine",
                 chunk_size: int = 64, block_size: int | None = None) -> None:
        super().__init__(scale, symmetric, similarity)
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ConfigError(f"chunk_size: must be an int >= 1, got {chunk_size!r}")
        if block_size is not None:
            check_block_size(block_size)
        self.chunk_size = chunk_size
        self.block_size = block_size

    def forward(self, a: Tensor, p: Tensor) -> Tensor:
        """The plain loss's value and gradients, computed in row blocks (module docstring)."""
        check_same_shape(a, p, ("a", "p"))
        if a.shape[0] < 2:
            return super().forward(a, p)  # the zero loss of a batch without a negative
        return blockwise_ranking_loss(a, p, self.scale, self.symmetric, self.similarity,
                                      self.block_size or self.chunk_size)

    def cached_backward(self, model: nn.Module, inputs: list[Any],
                        amp_dtype: torch.dtype | None = None) -> Tensor:
        """Embed ``inputs`` (the batch's ``[a, p]``) in chunks, backpropagate the loss into the
        model's parameters (accumulating into ``.grad``), return the loss value (no graph)."""
        if amp_dtype is torch.float16:
            raise ConfigError("cached_multiple_negatives_ranking: float16 autocast is not "
                              "supported (its GradScaler cannot scale a cached backward); use "
                              "amp = \"bf16\" or \"off\"")
        device = next(model.parameters()).device
        autocast = (torch.autocast(device_type=device.type, dtype=amp_dtype) if amp_dtype
                    else contextlib.nullcontext())
        parts = [_chunks(x, self.chunk_size) for x in inputs]
        # 1. every chunk without a graph, remembering the random state each one started from
        states, reps = [], []
        with torch.no_grad():
            for side in parts:
                side_reps = []
                for chunk in side:
                    states.append(RandomState(device))
                    with autocast:
                        side_reps.append(model(chunk)[0].float())
                reps.append(torch.cat(side_reps))
        # 2. the loss on all embeddings, and its gradient with respect to them, in row blocks
        leaves = [r.detach().requires_grad_() for r in reps]
        value = self(*leaves)
        cached = torch.autograd.grad(value, leaves)
        # 3. each chunk again with a graph, from its first-pass random state; its cached gradient
        # goes back through the encoder, and the chunk's activations are freed before the next
        state = iter(states)
        for side, grad in zip(parts, cached):
            for chunk, g in zip(side, grad.split(self.chunk_size)):
                with next(state).replayed(), autocast:
                    emb = model(chunk)[0].float()
                emb.backward(g)
        # each replay ran in a forked generator: the state is now that after one pass (step 1)
        return value.detach()

    def extra_repr(self) -> str:
        return (f"{super().extra_repr()}, chunk_size={self.chunk_size}, "
                f"block_size={self.block_size}")
