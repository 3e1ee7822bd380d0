"""The ``hf_text`` encoder as a graph for ONNX export: ``(input_ids, attention_mask) -> [B, D]``.

The same arithmetic as :meth:`siamkit.encoders.hf_text.HFTextEncoder.encode` (the backbone's last
hidden states, pooled over the real tokens, optionally L2-normalised), written without what a
traced graph cannot keep: the eager encoder checks the ids against the vocabulary and, when no row
has padding, calls the backbone without a mask and pools with a plain mean (the attention
kernels' fast path). Those are choices on the *values* of a batch, which ``torch.export`` would
freeze at the traced batch; here the mask is always passed and pooling is always masked, which
gives the same embeddings (a mask of ones masks nothing) to float rounding. The two inputs are
the two halves of the adapter's ``[B, L, 2]`` storage form, so that ONNX Runtime users outside
siamkit feed what every Hugging Face tokenizer returns.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

INPUTS = ("input_ids", "attention_mask")


class HFTextGraph(nn.Module):
    """``forward(input_ids [B, L], attention_mask [B, L]) -> embeddings [B, D]``; shares the
    encoder's backbone (no copy of the weights)."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.backbone = encoder.backbone
        self.pooling = encoder.pooling
        self.normalize = bool(encoder.normalize)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        states = self.backbone(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        if self.pooling == "cls":
            z = states[:, 0]
        else:
            keep = attention_mask.unsqueeze(2).to(states.dtype)
            if self.pooling == "mean":
                z = (states * keep).sum(dim=1) / keep.sum(dim=1).clamp_min(1.0)
            else:
                z = states.masked_fill(keep == 0, float("-inf")).amax(dim=1)
        return F.normalize(z, dim=1) if self.normalize else z


def split_inputs(x: Tensor) -> tuple[Tensor, Tensor]:
    """The adapter's ``[B, L, 2]`` storage form as the graph's two int64 inputs."""
    return x[..., 0].long().contiguous(), x[..., 1].long().contiguous()


__all__ = ["HFTextGraph", "INPUTS", "split_inputs"]
