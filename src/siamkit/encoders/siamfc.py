"""The fully-convolutional encoder of a SiamFC tracker: images -> feature maps (no global pooling).

Bertinetto, Valmadre, Henriques, Vedaldi & Torr (2016), "Fully-Convolutional Siamese Networks for
Object Tracking" (SiamFC). The network has no padding and no fully connected layer, so it commutes
with translation: shifting the input by ``total_stride`` pixels shifts the feature map by one cell.
That is what lets one pass over a large search region score every position of the target at once,
by cross-correlating it with the features of a small exemplar
(:func:`siamkit.tracking.cross_correlation`).

Layers (a small version of SiamFC's AlexNet-like tower, sized for 48x48 exemplars and 96x96 search
regions): conv 5x5 stride 2 -> BN -> ReLU -> max-pool 2, conv 3x3 -> BN -> ReLU, conv 3x3. Total
stride 4, receptive field 23 pixels; a 48x48 exemplar gives a 7x7 map and a 96x96 search region a
19x19 map (13x13 scores). The strided first layer, like AlexNet's, keeps a three-scale search well
within real time on two CPU cores. The last convolution has no BN and no ReLU (as in SiamFC), so
features may take either sign.

BatchNorm is on by default (as in SiamFC); ``batch_norm=False`` drops it. In training, exemplars
and search regions pass through the encoder as two batches with their own statistics, while a
tracker in eval mode normalises both with one running average, so the two modes differ; still, on
validation sequences of held-out MNIST digits (benchmarks/tracking.py's setting, 1500 steps, one
seed) trackers with BatchNorm tracked better: success AUC 0.732 / 0.662 ('distractors' / 'hard')
against 0.711 / 0.535 without it (distractor-aware training), 0.733 / 0.636 against 0.687 / 0.581
without hard negatives.
"""

from __future__ import annotations

from typing import Sequence

from torch import Tensor, nn

from ..errors import ConfigError, ExportError
from .base import Encoder, register_encoder


@register_encoder("siamfc", modality="image", output="feature-map", data_args=("in_channels",))
class SiamFCEncoder(Encoder):
    """``[B, in_channels, H, W]`` -> feature maps ``[B, embedding_dim, h, w]``,
    ``h = output_size(H)``.

    ``embedding_dim`` is the number of output channels (the feature depth the cross-correlation
    sums over). ``widths`` are the channels of the two hidden convolutions. Unlike the other
    encoders this one returns feature maps, not ``[B, D]`` vectors (``returns_feature_map`` is
    True), so it is used by :class:`siamkit.tracking.SiamFCTracker` rather than
    :class:`siamkit.SiameseNetwork`. ``normalize`` L2-normalises each location's feature vector;
    ``batch_norm`` adds BatchNorm after the hidden convolutions (see the module docstring).
    """

    returns_feature_map = True
    total_stride = 4

    def __init__(
        self,
        in_channels: int = 1,
        embedding_dim: int = 64,
        widths: Sequence[int] = (32, 64),
        normalize: bool = False,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        widths = tuple(int(w) for w in widths)
        if int(in_channels) < 1 or int(embedding_dim) < 1:
            raise ConfigError(
                "siamfc: in_channels and embedding_dim must be >= 1, "
                f"got {in_channels}, {embedding_dim}"
            )
        if len(widths) != 2 or min(widths) < 1:
            raise ConfigError(
                f"siamfc: widths must be two positive channel counts, got {list(widths)}"
            )
        self.in_channels = int(in_channels)
        self.embedding_dim = int(embedding_dim)
        self.widths = widths
        self.normalize = bool(normalize)
        self.batch_norm = bool(batch_norm)
        w1, w2 = widths

        def hidden(conv: nn.Conv2d, width: int) -> list[nn.Module]:
            norm = [nn.BatchNorm2d(width)] if self.batch_norm else []
            return [conv, *norm, nn.ReLU(inplace=True)]

        bias = not self.batch_norm  # BatchNorm's shift makes a conv bias redundant
        self.features = nn.Sequential(
            *hidden(nn.Conv2d(self.in_channels, w1, 5, stride=2, bias=bias), w1),
            nn.MaxPool2d(2),
            *hidden(nn.Conv2d(w1, w2, 3, bias=bias), w2),
            nn.Conv2d(w2, self.embedding_dim, 3),
        )

    @classmethod
    def output_size(cls, size: int) -> int:
        """Cells of the feature map for an input side of ``size`` pixels."""
        return ((size - 5) // 2 + 1) // 2 - 4

    def export_graph(self) -> nn.Module:
        raise ExportError("siamfc: a SiamFC tracker's encoder returns feature maps for the "
                          "tracker's cross-correlation search, which runs in Python; siamkit "
                          "export writes embedding models ([B, D] vectors)")

    def encode(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"siamfc encoder expects [B, {self.in_channels}, H, W] images, got {tuple(x.shape)}"
            )
        if min(x.shape[2:]) < 24:
            raise ValueError(
                f"siamfc encoder needs images of at least 24x24 pixels, got {tuple(x.shape[2:])}"
            )
        return self.features(x.float())
