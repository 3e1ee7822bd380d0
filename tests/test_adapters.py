from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.adapters import ImageAdapter, TensorAdapter, VectorAdapter, adapter_from_config
from siamkit.errors import ConfigError, DataError


def test_image_adapter_normalises_uint8_and_unit_floats_alike():
    a = ImageAdapter(1, 4, mean=[0.5], std=[0.25])
    x = torch.tensor([[[[0, 255], [51, 102]]]], dtype=torch.uint8)
    expected = (x.float() / 255 - 0.5) / 0.25
    torch.testing.assert_close(a(x), expected)
    torch.testing.assert_close(a(x.float() / 255), expected)


def test_image_adapter_fit_learns_channel_statistics():
    x = torch.randint(0, 256, (20, 3, 5, 5), dtype=torch.uint8)
    a = ImageAdapter(3, 5).fit(x)
    out = a(x)
    torch.testing.assert_close(out.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-4, rtol=0)


def test_image_prepare_from_arrays_converts_layout_colour_and_size():
    a = ImageAdapter(1, (6, 4))
    rgb = np.zeros((10, 8, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    out = a.prepare([rgb, np.ones((3, 10, 8)), np.full((10, 8), 7, dtype=np.uint8)])
    assert out.shape == (3, 1, 6, 4) and out.dtype == torch.uint8
    assert out[0].unique().tolist() == [76]  # ITU-R 601 luma of pure red
    assert out[1].unique().tolist() == [255]  # floats in [0, 1] scaled up
    assert out[2].unique().tolist() == [7]


def test_image_prepare_errors_name_the_file(tmp_path):
    a = ImageAdapter(1, 4)
    with pytest.raises(DataError, match="missing.png: no such file"):
        a.prepare([tmp_path / "missing.png"])
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(DataError, match="notes.png: not a readable image"):
        a.prepare([bad])
    with pytest.raises(DataError, match=r"\[B, 1, H, W\]"):
        a(torch.zeros(2, 3, 4, 4))


def test_vector_adapter_standardises_and_keeps_constant_columns_finite():
    x = torch.cat([torch.randn(30, 2) * 5 + 2, torch.full((30, 1), 4.0)], dim=1)
    a = VectorAdapter(3).fit(x)
    out = a(x)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[:, :2].mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    with pytest.raises(DataError, match="3 features"):
        a.prepare([[1.0, 2.0]])
    with pytest.raises(DataError, match="NaN"):
        a.prepare([[1.0, float("nan"), 2.0]])


@pytest.mark.parametrize("adapter", [TensorAdapter(), ImageAdapter(3, (5, 7), [0.1, 0.2, 0.3], [1, 2, 3]),
                                     VectorAdapter(2, [1.0, 2.0], [3.0, 4.0])])
def test_config_round_trip(adapter):
    assert adapter_from_config(adapter.to_config()).to_config() == adapter.to_config()


def test_unknown_adapter_type():
    with pytest.raises(ConfigError, match="unknown type 'audio'"):
        adapter_from_config({"type": "audio"})
