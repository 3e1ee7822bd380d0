"""ImageAugment against scipy.ndimage (an affine oracle nobody here wrote) and by its properties;
AugmentedLoader: what it augments, what it leaves alone, seeding per epoch and batch, training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

import siamkit as sk
from siamkit.data import AugmentedLoader, ImageAugment, LabelledData, PairData, make_loader
from siamkit.errors import ConfigError, DataError

NONE = dict(rotation=0.0, shear=0.0, scale=(1.0, 1.0), translate=0.0)


def _blob(n=2, size=21, seed=0):
    """Smooth random images (bilinear sampling of smooth images is close to exact)."""
    g = torch.Generator().manual_seed(seed)
    x = F.avg_pool2d(torch.rand(n, 1, size + 4, size + 4, generator=g), 5, stride=1)
    x = (x - x.amin()) / (x.amax() - x.amin())
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    r = ((yy - size // 2) ** 2 + (xx - size // 2) ** 2).float().sqrt()
    return x * (r < size / 2 - 3).float()  # zero border, so padding never matters


def _scipy_affine(img: np.ndarray, forward_xy: np.ndarray) -> np.ndarray:
    """``img`` under the map ``forward_xy`` (2x2, acting on (x=col, y=row) about the centre)."""
    # scipy indexes (row, col) and maps output coords to input coords: the inverse, axes swapped.
    inv_xy = np.linalg.inv(forward_xy)
    inv_rc = inv_xy[::-1, ::-1]
    c = (np.array(img.shape) - 1) / 2.0
    return ndimage.affine_transform(img, inv_rc, offset=c - inv_rc @ c, order=1, mode="constant")


def test_identity_settings_return_the_images_exactly():
    x = (torch.rand(4, 1, 28, 28) * 255).to(torch.uint8)
    out = ImageAugment(**NONE)(x, torch.Generator().manual_seed(0))
    assert out.dtype == torch.uint8 and torch.equal(out, x)
    xf = x.float() / 255
    assert torch.allclose(ImageAugment(**NONE)(xf), xf, atol=1e-5)  # float32 grid rounding


@pytest.mark.parametrize("angle,shear,zoom", [(30.0, 0.0, 1.0), (0.0, 20.0, 1.0),
                                              (0.0, 0.0, 1.4), (-25.0, 10.0, 0.8)])
def test_fixed_affine_matches_scipy(angle, shear, zoom):
    x = _blob()
    aug = ImageAugment(rotation=(angle, angle), shear=(shear, shear), scale=(zoom, zoom),
                       translate=0.0)
    out = aug(x)
    a, s = math.radians(angle), math.tan(math.radians(shear))
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    forward = rot @ np.array([[1.0, s], [0.0, 1.0]]) @ np.diag([zoom, zoom])
    for i in range(len(x)):
        want = _scipy_affine(x[i, 0].numpy().astype(np.float64), forward)
        assert np.abs(out[i, 0].numpy() - want).max() < 1e-4


def test_translation_stays_within_its_range():
    x = torch.zeros(64, 1, 21, 21)
    x[:, :, 10, 10] = 1.0
    out = ImageAugment(rotation=0.0, shear=0.0, scale=(1.0, 1.0), translate=0.1)(x)
    rows = torch.arange(21).float()
    centre_y = (out.sum(3)[:, 0] * rows).sum(1) / out.sum((1, 2, 3))
    centre_x = (out.sum(2)[:, 0] * rows).sum(1) / out.sum((1, 2, 3))
    shift = torch.stack([centre_y, centre_x], 1) - 10
    assert shift.abs().max() <= 0.1 * 21 + 1e-4
    assert shift.abs().max() > 0.5  # it does move things
    assert torch.allclose(out.sum((1, 2, 3)), torch.ones(64), atol=1e-4)  # mass kept


def test_elastic_displacement_is_bounded_by_alpha():
    x = torch.zeros(32, 1, 28, 28)
    x[:, :, 14, 14] = 1.0
    out = ImageAugment(**NONE, elastic_alpha=2.0, elastic_sigma=3.0)(x, torch.Generator().manual_seed(3))
    ys, xs = torch.meshgrid(torch.arange(28), torch.arange(28), indexing="ij")
    lit = out[:, 0] > 1e-6
    far = ((ys - 14).abs().maximum((xs - 14).abs()))[None].expand_as(lit)[lit]
    assert far.max() <= 3  # alpha pixels, plus one for the bilinear footprint
    assert not torch.allclose(out, x)


def test_stroke_change_lies_between_erosion_and_dilation():
    x = _blob(8)
    out = ImageAugment(**NONE, stroke=1.0)(x, torch.Generator().manual_seed(1))
    dil = torch.from_numpy(ndimage.grey_dilation(x.numpy(), size=(1, 1, 3, 3)))
    ero = torch.from_numpy(ndimage.grey_erosion(x.numpy(), size=(1, 1, 3, 3)))
    assert (out >= torch.minimum(x, ero) - 1e-6).all() and (out <= torch.maximum(x, dil) + 1e-6).all()
    thicker = (out.sum((1, 2, 3)) > x.sum((1, 2, 3))).sum()
    assert 0 < thicker < 8  # some images dilated, some eroded


def test_erase_zeroes_one_rectangle_and_leaves_the_rest():
    x = torch.full((16, 1, 20, 20), 0.5)
    out = ImageAugment(**NONE, erase=1.0, erase_size=(0.2, 0.4))(x)
    for img in out[:, 0]:
        rows, cols = (img == 0).nonzero(as_tuple=True)
        h, w = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == h * w and 4 <= h <= 8 and 4 <= w <= 8  # a filled box of 20% - 40%
        assert torch.all(img[img != 0] == 0.5)


def test_seeded_and_per_image():
    x = (torch.rand(8, 1, 28, 28) * 255).to(torch.uint8)
    aug = ImageAugment(elastic_alpha=2.0, stroke=0.5, erase=0.3)
    a = aug(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, aug(x, torch.Generator().manual_seed(5)))
    assert not torch.equal(a, aug(x, torch.Generator().manual_seed(6)))
    same = x[:1].expand(8, -1, -1, -1).contiguous()
    out = aug(same, torch.Generator().manual_seed(5))
    assert len({bytes(o.numpy()) for o in out}) == 8  # every image gets its own distortion
    assert torch.equal(ImageAugment(p=0.0)(x), x)


def test_bad_settings_and_inputs_raise():
    with pytest.raises(ConfigError, match="scale"):
        ImageAugment(scale=(0.0, 1.0))
    with pytest.raises(ConfigError, match="stroke"):
        ImageAugment(stroke=1.5)
    with pytest.raises(ConfigError, match="padding_mode"):
        ImageAugment(padding_mode="wrap")
    with pytest.raises(ConfigError, match="rotation"):
        ImageAugment(rotation=(10, -10))
    with pytest.raises(DataError, match="B, C, H, W"):
        ImageAugment()(torch.zeros(28, 28))
    assert ImageAugment(stroke=0.2).get_config()["stroke"] == 0.2


def _digits_like(n=40, classes=4):
    y = torch.arange(n) % classes
    x = torch.zeros(n, 1, 12, 12, dtype=torch.uint8)
    for i in range(n):
        x[i, 0, 2 + int(y[i]) * 2:5 + int(y[i]) * 2, 3:9] = 200
    return LabelledData(x, y)


def test_loader_augments_inputs_not_labels():
    data = _digits_like()
    inner = make_loader("labelled", data, 8, seed=0, samples_per_class=2)
    loader = AugmentedLoader(inner, ImageAugment(), seed=1)
    assert loader.batch_kind == "labelled" and len(loader) == len(inner)
    for (xa, ya), (xb, yb) in zip(loader, inner):
        assert torch.equal(ya, yb) and xa.dtype == torch.uint8 and xa.shape == xb.shape
        assert not torch.equal(xa, xb)


def test_loader_views_of_a_pair_are_independent():
    x = _digits_like().x
    pairs = PairData(x, x, torch.ones(len(x)), groups=torch.arange(len(x)))
    loader = AugmentedLoader(make_loader("duplicates", pairs, 8, seed=0), ImageAugment(), seed=0)
    x1, x2 = next(iter(loader))
    assert not torch.equal(x1, x2)


def test_loader_is_seeded_by_epoch_and_batch():
    data = _digits_like()
    loader = AugmentedLoader(make_loader("pairs", data, 8, seed=0), ImageAugment(), seed=3)
    first = [b[0].clone() for b in loader]
    assert all(torch.equal(a, b[0]) for a, b in zip(first, loader))  # re-iterating: same batches
    loader.set_epoch(1)
    second = [b[0].clone() for b in loader]
    assert not torch.equal(first[0], second[0])
    loader.set_epoch(0)
    assert torch.equal(next(iter(loader))[0], first[0])
    other = AugmentedLoader(make_loader("pairs", data, 8, seed=0), ImageAugment(), seed=4)
    assert not torch.equal(next(iter(other))[0], first[0])


def test_loader_needs_a_batch_kind():
    with pytest.raises(ConfigError, match="batch kind"):
        AugmentedLoader([(torch.zeros(2, 1, 4, 4), torch.zeros(2))], ImageAugment())
    batches = [(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.tensor([0, 1]))]
    wrapped = AugmentedLoader(batches, ImageAugment(), batch_kind="labelled")
    assert torch.equal(next(iter(wrapped))[1], torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="callable"):
        AugmentedLoader(batches, "rotate", batch_kind="labelled")


def test_trainer_trains_on_augmented_batches(tmp_path):
    data = _digits_like()
    enc = sk.encoders.create_encoder("convnet", in_channels=1, embedding_dim=8, channels=(4, 8))
    model = sk.SiameseNetwork(enc)
    loader = AugmentedLoader(make_loader("labelled", data, 8, seed=0, samples_per_class=2),
                             ImageAugment(), seed=0)
    trainer = sk.Trainer(model, sk.losses.BatchHardTripletLoss(), epochs=2, progress=False,
                         checkpoint_dir=tmp_path / "run")
    history = trainer.fit(loader)
    assert len(history) == 2 and trainer.step_ == 2 * len(loader)
