"""Cross-correlation of exemplar features with search-region features: the SiamFC score map.

Bertinetto et al. (2016), "Fully-Convolutional Siamese Networks for Object Tracking", eq. (2):
``f(z, x) = phi(z) * phi(x) + b``. The exemplar's feature map is used as a convolution kernel over
the search region's feature map; every output cell is the inner product of the exemplar features
with the search features at one displacement. A batch of different exemplars, each with its own
search region, is one grouped convolution (one group per pair) instead of a Python loop.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def cross_correlation(z: Tensor, x: Tensor) -> Tensor:
    """Score maps ``[B, 1, hx - hz + 1, wx - wz + 1]`` of exemplar features
    ``z [B or 1, C, hz, wz]`` over search features ``x [B, C, hx, wx]``.

    With one exemplar (``z.shape[0] == 1``) every search map is correlated with it (the tracker's
    case: one target, several scales); otherwise pair ``i`` of ``z`` goes with pair ``i`` of ``x``.
    """
    if z.dim() != 4 or x.dim() != 4 or z.shape[1] != x.shape[1]:
        raise ValueError(
            "cross_correlation: need [B, C, h, w] maps with equal C, "
            f"got {tuple(z.shape)} and {tuple(x.shape)}"
        )
    if z.shape[2] > x.shape[2] or z.shape[3] > x.shape[3]:
        raise ValueError(
            f"cross_correlation: exemplar map {tuple(z.shape[2:])} is larger than "
            f"search map {tuple(x.shape[2:])}"
        )
    if z.shape[0] == 1:
        return F.conv2d(x, z)
    b, c, h, w = x.shape
    if z.shape[0] != b:
        raise ValueError(f"cross_correlation: {z.shape[0]} exemplars for {b} search regions")
    # [1, B*C, h, w] with B groups of C channels: group i sees only pair i's search features,
    # and output channel i uses kernel z[i].
    out = F.conv2d(x.reshape(1, b * c, h, w), z, groups=b)
    return out.reshape(b, 1, out.shape[2], out.shape[3])
