"""Square crops of frames, resampled to a fixed size: the exemplar and search inputs of SiamFC.

SiamFC (Bertinetto et al. 2016, section 2.4) crops a square around the target that adds a context
margin to the box, ``s = sqrt((w + p) * (h + p))`` with ``p = context * (w + h)``, resizes it to the
exemplar size, and crops a search square ``search_size / exemplar_size`` times larger around the
previous position. Parts of a crop that fall outside the frame take the frame's mean value.

Coordinates are continuous pixels: pixel ``k`` covers ``[k, k + 1)``, so a box ``(x, y, w, h)`` has
its centre at ``(x + w / 2, y + h / 2)``. Training and tracking both crop through this one function,
so what the network sees at training time is what it sees when tracking.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor


def context_size(w: float, h: float, context: float) -> float:
    """Side of the square exemplar crop of a ``w`` x ``h`` box with ``context`` margin (SiamFC)."""
    p = context * (w + h)
    return math.sqrt((w + p) * (h + p))


def crop_and_resize(frames: Tensor, centers: Tensor, sides: Tensor, out_size: int) -> Tensor:
    """Crops ``[N, C, out_size, out_size]`` of squares of side ``sides [N]`` centred at
    ``centers [N, 2]`` (x, y), bilinearly resampled.

    ``frames`` is ``[C, H, W]`` (one frame for all crops, e.g. the scales of one search) or
    ``[N, C, H, W]`` (one frame per crop, e.g. a training batch); float values.
    """
    if frames.dim() == 3:
        frames = frames.unsqueeze(0).expand(len(centers), -1, -1, -1)
    n, _, h, w = frames.shape
    centers = centers.to(frames.dtype)
    sides = sides.to(frames.dtype).reshape(-1, 1)
    # Output pixel j samples at cx + (j + 0.5 - out/2) * side/out, in continuous frame coordinates.
    steps = (
        torch.arange(out_size, dtype=frames.dtype, device=frames.device) + 0.5 - out_size / 2
    ) / out_size
    xs = centers[:, :1] + steps * sides
    ys = centers[:, 1:] + steps * sides
    # grid_sample with align_corners=False maps -1/+1 to the outer edges of the border pixels.
    gx = (2 * xs / w - 1).unsqueeze(1).expand(n, out_size, out_size)
    gy = (2 * ys / h - 1).unsqueeze(2).expand(n, out_size, out_size)
    grid = torch.stack([gx, gy], dim=3)
    mean = frames.mean(dim=(2, 3), keepdim=True)
    out = F.grid_sample(
        frames - mean, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )
    return out + mean
