"""Seeded, batched image augmentation on tensors, and a loader wrapper that applies it.

:class:`ImageAugment` distorts every image of a ``[B, C, H, W]`` batch with its own random
parameters in one ``grid_sample`` call, so a batch of 128 MNIST digits costs about a millisecond:

* a random affine map (rotation, anisotropic scale, shear, translation), the distortions of
  LeCun et al. (1998) and of Koch, Zemel & Salakhutdinov (2015), "Siamese neural networks for
  one-shot image recognition" (their affine distortions of Omniglot pairs);
* an elastic distortion (Simard, Steinkraus & Platt 2003, "Best practices for convolutional neural
  networks applied to visual document analysis"): a random displacement field smoothed by a
  Gaussian of ``elastic_sigma`` pixels and scaled to ``elastic_alpha`` pixels;
* a stroke-width change (grey-scale dilation or erosion with a 3x3 window), with probability
  ``stroke``: pen width is the nuisance that most separates handwriting styles;
* random erasing of one rectangle (Zhong et al. 2017), with probability ``erase``.

uint8 images come back uint8, float images (``[0, 1]``) come back float. The same generator state
gives the same output. :class:`AugmentedLoader` wraps any loader of siamkit's batch formats and
augments the image inputs of each batch (each input of a pair or triplet independently, labels
untouched), seeded by ``(seed, epoch, batch index, rank)`` so that a resumed run sees the batches
an uninterrupted one would have seen.
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ...errors import ConfigError, DataError
from ..seeding import SeedLike, as_seed

# Which items of a batch are model inputs (the rest are labels or targets), per batch kind.
_INPUTS = {"pairs": 2, "scored_pairs": 2, "triplets": 3, "labelled": 1, "duplicates": 2,
           "episodes": 1}


def _pair(value: float | Sequence[float], what: str, centre: float = 0.0) -> tuple[float, float]:
    """``(low, high)`` from a symmetric half-width or an explicit range."""
    if isinstance(value, (int, float)):
        low, high = centre - float(value), centre + float(value)
    else:
        low, high = (float(v) for v in value)
    if not low <= high:
        raise ConfigError(f"{what}: expected low <= high, got {value!r}")
    return low, high


class ImageAugment:
    """Random geometric and stroke distortions of image batches (see the module docstring).

    Args:
        rotation: degrees, half-width (``15`` means uniform in [-15, 15]) or ``(low, high)``.
        scale: zoom factor range; each axis gets its own factor when ``anisotropic``.
        shear: degrees of horizontal shear, half-width or range.
        translate: shift as a fraction of the image size, half-width (per axis).
        elastic_alpha: elastic displacement in pixels (0 = none); ``elastic_sigma`` its smoothness.
        stroke: probability of a stroke-width change (half dilations, half erosions).
        erase: probability of erasing one rectangle of ``erase_size`` (fraction of each side).
        p: probability that an image is distorted at all (else returned unchanged).
        padding_mode: what lies outside the image: "zeros" (a dark background such as MNIST's),
            "border" or "reflection" (``torch.nn.functional.grid_sample``'s modes).
    """

    def __init__(self, rotation: float | Sequence[float] = 15.0,
                 scale: Sequence[float] = (0.85, 1.15), shear: float | Sequence[float] = 15.0,
                 translate: float = 0.1, anisotropic: bool = True, elastic_alpha: float = 0.0,
                 elastic_sigma: float = 4.0, stroke: float = 0.0, erase: float = 0.0,
                 erase_size: Sequence[float] = (0.2, 0.4), p: float = 1.0,
                 padding_mode: str = "zeros") -> None:
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.translate = translate
        self.anisotropic = anisotropic
        self.elastic_alpha = elastic_alpha
        self.elastic_sigma = elastic_sigma
        self.stroke = stroke
        self.erase = erase
        self.erase_size = erase_size
        self.p = p
        self.padding_mode = padding_mode
        self._check()

    def _check(self) -> None:
        self._rot = _pair(self.rotation, "rotation")
        self._shear = _pair(self.shear, "shear")
        self._scale = _pair(self.scale, "scale")
        self._erase_size = _pair(self.erase_size, "erase_size")
        if self._scale[0] <= 0:
            raise ConfigError(f"scale: factors must be > 0, got {self.scale!r}")
        for name in ("stroke", "erase", "p"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise ConfigError(f"{name}: a probability in [0, 1], got {getattr(self, name)!r}")
        if self.translate < 0 or self.elastic_alpha < 0 or self.elastic_sigma <= 0:
            raise ConfigError("translate and elastic_alpha must be >= 0 and elastic_sigma > 0")
        if not (0 < self._erase_size[0] and self._erase_size[1] <= 1):
            raise ConfigError(f"erase_size: fractions in (0, 1], got {self.erase_size!r}")
        if self.padding_mode not in ("zeros", "border", "reflection"):
            raise ConfigError(f"padding_mode: 'zeros', 'border' or 'reflection', got "
                              f"{self.padding_mode!r}")

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able), to record how a model was trained."""
        keys = ("rotation", "scale", "shear", "translate", "anisotropic", "elastic_alpha",
                "elastic_sigma", "stroke", "erase", "erase_size", "p", "padding_mode")
        values = {k: getattr(self, k) for k in keys}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}

    def __repr__(self) -> str:
        return "ImageAugment(" + ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()) + ")"

    @torch.no_grad()
    def __call__(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The batch ``images [B, C, H, W]`` (uint8, or float in [0, 1]) distorted, same dtype."""
        if not isinstance(images, Tensor) or images.dim() != 4:
            shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise DataError(f"images: expected a [B, C, H, W] tensor, got {shape}")
        if len(images) == 0:
            return images
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        b, _, h, w = x.shape
        u = lambda *shape: torch.rand(*shape, generator=gen)  # noqa: E731
        grid = F.affine_grid(self._theta(b, h, w, u), list(x.shape), align_corners=False)
        if self.elastic_alpha > 0:
            grid = grid + self._elastic(b, h, w, gen)
        out = F.grid_sample(x, grid, mode="bilinear", padding_mode=self.padding_mode,
                            align_corners=False)
        if self.stroke > 0:
            out = self._stroke(out, u(b), u(b))
        if self.erase > 0:
            out = self._erase(out, u(b), u(b, 4))
        keep = u(b) >= self.p  # images the augmentation leaves alone
        out = torch.where(keep[:, None, None, None], x, out)
        if images.dtype == torch.uint8:
            return (out * 255.0).round_().clamp_(0, 255).to(torch.uint8)
        return out.to(images.dtype)

    def _theta(self, b: int, h: int, w: int, u) -> Tensor:
        """``[B, 2, 3]`` maps from output to input coordinates (the inverse of the distortion)."""
        lerp = lambda r, t: r[0] + (r[1] - r[0]) * t  # noqa: E731
        angle = torch.deg2rad(lerp(self._rot, u(b)))
        shear = torch.tan(torch.deg2rad(lerp(self._shear, u(b))))
        # Zoom drawn on a log scale, so zooming in and out are equally likely.
        log_lo, log_hi = math.log(self._scale[0]), math.log(self._scale[1])
        sx = torch.exp(lerp((log_lo, log_hi), u(b)))
        sy = torch.exp(lerp((log_lo, log_hi), u(b))) if self.anisotropic else sx
        cos, sin, zero, one = torch.cos(angle), torch.sin(angle), torch.zeros(b), torch.ones(b)
        rot = torch.stack([cos, -sin, sin, cos], 1).view(b, 2, 2)
        shr = torch.stack([one, shear, zero, one], 1).view(b, 2, 2)
        scl = torch.stack([sx, zero, zero, sy], 1).view(b, 2, 2)
        forward = rot @ shr @ scl
        shift = (u(b, 2) * 2 - 1) * self.translate * 2  # normalised coordinates span 2
        theta = torch.empty(b, 2, 3)
        theta[:, :, :2] = torch.linalg.inv(forward)
        theta[:, :, 2] = -(theta[:, :, :2] @ shift.unsqueeze(2)).squeeze(2)
        return theta

    def _elastic(self, b: int, h: int, w: int, gen: torch.Generator) -> Tensor:
        """A smooth random displacement ``[B, H, W, 2]`` in normalised grid units."""
        field = torch.rand(b, 2, h, w, generator=gen) * 2 - 1
        sigma = float(self.elastic_sigma)
        radius = max(1, int(math.ceil(3 * sigma)))
        t = torch.arange(-radius, radius + 1, dtype=torch.float32)
        kernel = torch.exp(-0.5 * (t / sigma) ** 2)
        kernel = (kernel / kernel.sum()).view(1, 1, 1, -1).repeat(2, 1, 1, 1)
        field = F.conv2d(F.pad(field, (radius, radius, 0, 0), mode="reflect" if radius < w else
                               "replicate"), kernel, groups=2)
        field = F.conv2d(F.pad(field, (0, 0, radius, radius), mode="reflect" if radius < h else
                               "replicate"), kernel.transpose(2, 3), groups=2)
        # Rescale so the largest displacement of each image is elastic_alpha pixels.
        peak = field.abs().amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-8)
        field = field / peak * float(self.elastic_alpha)
        scale = torch.tensor([2.0 / w, 2.0 / h]).view(1, 2, 1, 1)
        return (field * scale).permute(0, 2, 3, 1)

    def _stroke(self, x: Tensor, pick: Tensor, kind: Tensor) -> Tensor:
        dilated = F.max_pool2d(x, 3, stride=1, padding=1)
        eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
        # A full 3x3 erosion wipes out one-pixel strokes: blend towards the dilated or eroded
        # image by a random strength instead (kind < 0.5 dilates, by 2 * kind; else erodes).
        strength = torch.where(kind < 0.5, 2 * kind, 2 * kind - 1)[:, None, None, None]
        target = torch.where((kind < 0.5)[:, None, None, None], dilated, eroded)
        changed = x + strength * (target - x)
        return torch.where((pick < self.stroke)[:, None, None, None], changed, x)

    def _erase(self, x: Tensor, pick: Tensor, box: Tensor) -> Tensor:
        b, _, h, w = x.shape
        lo, hi = self._erase_size
        bh = ((lo + (hi - lo) * box[:, 0]) * h).round().clamp(1, h)
        bw = ((lo + (hi - lo) * box[:, 1]) * w).round().clamp(1, w)
        top = (box[:, 2] * (h - bh + 1)).floor()
        left = (box[:, 3] * (w - bw + 1)).floor()
        rows = torch.arange(h).view(1, h, 1)
        cols = torch.arange(w).view(1, 1, w)
        inside = ((rows >= top.view(b, 1, 1)) & (rows < (top + bh).view(b, 1, 1))
                  & (cols >= left.view(b, 1, 1)) & (cols < (left + bw).view(b, 1, 1)))
        inside &= (pick < self.erase).view(b, 1, 1)
        return x.masked_fill(inside.unsqueeze(1), 0.0)


class AugmentedLoader:
    """``loader`` with ``augment`` applied to the image inputs of every batch.

    Works with any re-iterable loader of siamkit's batch formats (a siamkit loader, a list of
    batches, a DataLoader): the first 1, 2 or 3 items of a batch, as its ``batch_kind`` says, are
    inputs, and those that are 4-D image tensors are augmented, each independently; labels and
    targets pass through. ``batch_kind`` (needed when the loader has none) defaults to the
    loader's. Batch ``i`` of epoch ``e`` on rank ``r`` is augmented with a generator seeded from
    ``(seed, e, i, r)``: the same seed and epoch give the same batches, and a resumed run
    (``set_epoch``, then skipping the batches already trained on) sees what it would have seen.
    Use it for training data only; validation and test images are evaluated as they are.
    """

    def __init__(self, loader: Any, augment: Any, seed: SeedLike = 0,
                 batch_kind: str | None = None) -> None:
        kind = batch_kind or getattr(loader, "batch_kind", None)
        if kind not in _INPUTS:
            raise ConfigError(f"batch_kind: the loader does not say its batch kind; pass one of "
                              f"{', '.join(_INPUTS)} (got {kind!r})")
        if not callable(augment):
            raise ConfigError(f"augment: expected a callable (images, generator) -> images, got "
                              f"{type(augment).__name__}")
        self.loader, self.augment, self.seed = loader, augment, as_seed(seed)
        self.batch_kind = kind
        self.epoch = 0

    @property
    def sampler(self) -> Any:
        """The wrapped loader's sampler (the trainer reads its sharding from it)."""
        return getattr(self.loader, "sampler", None)

    def __len__(self) -> int:
        return len(self.loader)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)
        if callable(getattr(self.loader, "set_epoch", None)):
            self.loader.set_epoch(epoch)

    def shard(self, rank: int, world_size: int) -> "AugmentedLoader":
        """The same augmentation over the wrapped loader's shard (when it can shard itself)."""
        if not callable(getattr(self.loader, "shard", None)):
            raise ConfigError("loader: the wrapped loader cannot shard itself; build it with "
                              "rank/world_size instead")
        return AugmentedLoader(self.loader.shard(rank, world_size), self.augment, self.seed,
                               self.batch_kind)

    def _rank(self) -> int:
        return int(getattr(self.sampler, "rank", 0) or 0)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        n_inputs = _INPUTS[self.batch_kind]
        rank = self._rank()
        for i, batch in enumerate(self.loader):
            state = np.random.SeedSequence([self.seed, self.epoch, i, rank]).generate_state(2)
            gen = torch.Generator().manual_seed(int(state[0]) << 32 | int(state[1]))
            yield tuple(self.augment(item, gen)
                        if j < n_inputs and isinstance(item, Tensor) and item.dim() == 4 else item
                        for j, item in enumerate(batch))
