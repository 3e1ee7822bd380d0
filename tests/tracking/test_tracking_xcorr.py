"""Cross-correlation against scipy's correlate (an independent implementation)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import correlate

from siamkit.tracking import cross_correlation


def reference(z: np.ndarray, x: np.ndarray) -> np.ndarray:
    # Sum over channels of the 2-D "valid" correlation of each channel.
    return sum(correlate(x[c], z[c], mode="valid") for c in range(z.shape[0]))


def test_batched_pairs_match_scipy():
    gen = torch.Generator().manual_seed(0)
    z, x = torch.randn(3, 4, 3, 3, generator=gen), torch.randn(3, 4, 9, 11, generator=gen)
    out = cross_correlation(z, x)
    assert out.shape == (3, 1, 7, 9)
    for i in range(3):
        np.testing.assert_allclose(
            out[i, 0].numpy(), reference(z[i].numpy(), x[i].numpy()), rtol=1e-5, atol=1e-5
        )


def test_one_exemplar_is_correlated_with_every_search_map():
    gen = torch.Generator().manual_seed(1)
    z, x = torch.randn(1, 2, 3, 3, generator=gen), torch.randn(4, 2, 8, 8, generator=gen)
    out = cross_correlation(z, x)
    for i in range(4):
        np.testing.assert_allclose(
            out[i, 0].numpy(), reference(z[0].numpy(), x[i].numpy()), rtol=1e-5, atol=1e-5
        )


@pytest.mark.parametrize(
    "zs,xs",
    [((2, 3, 3, 3), (3, 3, 8, 8)), ((1, 3, 3, 3), (1, 2, 8, 8)), ((1, 1, 9, 9), (1, 1, 8, 8))],
)
def test_mismatched_shapes_are_refused(zs, xs):
    with pytest.raises(ValueError):
        cross_correlation(torch.zeros(zs), torch.zeros(xs))
