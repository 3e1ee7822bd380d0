"""Crops: exact pixels where no resampling is needed, the frame mean outside the frame."""

from __future__ import annotations

import math

import torch

from siamkit.tracking import context_size, crop_and_resize


def test_unscaled_crop_copies_the_pixels():
    frame = torch.arange(20 * 30, dtype=torch.float32).reshape(1, 20, 30)
    # A 6x6 square centred at (10, 8) covers columns 7..12 and rows 5..10.
    out = crop_and_resize(frame, torch.tensor([[10.0, 8.0]]), torch.tensor([6.0]), 6)
    torch.testing.assert_close(out[0, 0], frame[0, 5:11, 7:13])


def test_outside_the_frame_is_the_frame_mean():
    frame = torch.rand(1, 10, 10)
    out = crop_and_resize(frame, torch.tensor([[-50.0, -50.0]]), torch.tensor([8.0]), 4)
    torch.testing.assert_close(out, frame.mean().expand(1, 1, 4, 4))


def test_downscaled_crop_averages_neighbours():
    frame = torch.zeros(1, 8, 8)
    frame[0, ::2, ::2] = 1.0  # a checkerboard of period 2, mean 1/4 per 2x2 block
    out = crop_and_resize(frame, torch.tensor([[4.0, 4.0]]), torch.tensor([8.0]), 4)
    torch.testing.assert_close(out, torch.full((1, 1, 4, 4), 0.25))


def test_batch_of_frames_one_crop_each():
    frames = torch.stack([torch.full((1, 5, 5), float(i)) for i in range(3)])
    out = crop_and_resize(frames, torch.tensor([[2.5, 2.5]] * 3), torch.tensor([2.0, 3.0, 4.0]), 2)
    assert out.shape == (3, 1, 2, 2)
    assert [float(o.mean()) for o in out] == [0.0, 1.0, 2.0]


def test_context_size_of_siamfc():
    # w=20, h=10, context 0.5: p = 15, side = sqrt(35 * 25)
    assert math.isclose(context_size(20, 10, 0.5), math.sqrt(35 * 25))
    assert context_size(7, 7, 0.0) == 7
