"""The tracking loop: displacement geometry with a hand-made encoder, then a trained tiny model."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from siamkit.errors import ConfigError, DataError
from siamkit.tracking import (
    SiamFCTracker,
    Tracker,
    make_sequences,
    sequence_scores,
    shape_glyphs,
    track,
    train_tracker,
)


class PoolEncoder(nn.Module):
    """Features = 4x4 average pooling: no learning, so any tracking error is the loop's geometry."""

    total_stride = 4
    in_channels = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 4)


def blob_frames(
    centres: list[tuple[float, float]], size: int = 96, sigma: float = 3.0
) -> list[np.ndarray]:
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    return [
        (255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))).astype(np.uint8)
        for cx, cy in centres
    ]


def test_follows_a_moving_blob_to_the_pixel():
    centres = [(30.0 + 4 * t, 40.0 + 2.5 * t) for t in range(10)]
    frames = blob_frames(centres)
    model = SiamFCTracker(PoolEncoder())
    result = track(model, frames, (24.0, 34.0, 12.0, 12.0))
    assert result.boxes.shape == (10, 4) and result.fps > 0
    found = result.boxes[:, :2] + result.boxes[:, 2:] / 2
    np.testing.assert_allclose(found, np.array(centres), atol=1.0)


def test_the_cosine_window_holds_the_tracker_back_in_proportion_to_its_weight():
    frames = blob_frames([(48.0, 48.0), (57.0, 44.0)])
    model = SiamFCTracker(PoolEncoder())
    centres = {}
    for influence in (0.0, 0.5, 1.0):
        box = track(
            model, frames, (42.0, 42.0, 12.0, 12.0), window_influence=influence, num_scales=1
        ).boxes[1]
        centres[influence] = box[:2] + box[2:] / 2
    np.testing.assert_allclose(centres[0.0], [57.0, 44.0], atol=1.0)  # the match alone
    np.testing.assert_allclose(centres[1.0], [48.0, 48.0])  # the window alone: stay put
    assert 48.0 < centres[0.5][0] <= centres[0.0][0]


def test_update_before_init_and_bad_settings():
    model = SiamFCTracker(PoolEncoder())
    with pytest.raises(DataError, match="init"):
        Tracker(model).update(np.zeros((64, 64), np.uint8))
    with pytest.raises(ConfigError, match="unknown setting.*colour"):
        Tracker(model, colour=1)
    with pytest.raises(DataError, match="width and height"):
        track(model, blob_frames([(30, 30)]), (1, 2, 0, 5))


@pytest.mark.slow
def test_a_briefly_trained_tracker_beats_chance_on_shapes():
    glyphs = shape_glyphs(6, seed=0)
    train = make_sequences(*glyphs, n=12, seed=0, length=30, n_distractors=1)
    model = train_tracker(train, steps=60, batch_size=16, seed=0, log_every=10)
    assert (
        model.metadata["training"]["loss_history"][-1][1]
        < model.metadata["training"]["loss_history"][0][1]
    )
    test = make_sequences(*shape_glyphs(6, seed=1), n=3, seed=7, length=25, n_distractors=1)
    auc = np.mean(
        [
            sequence_scores(track(model, s.frames, s.boxes[0]).boxes, s.boxes)["success_auc"]
            for s in test
        ]
    )
    assert auc > 0.5


def test_training_is_deterministic_for_a_seed():
    glyphs = shape_glyphs(2, seed=0)
    train = make_sequences(*glyphs, n=2, seed=0, length=6, n_distractors=0)
    a = train_tracker(train, steps=2, batch_size=4, seed=3)
    b = train_tracker(train, steps=2, batch_size=4, seed=3)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values()):
        torch.testing.assert_close(p, q, msg=name)


def test_hard_negative_pairs_centre_the_search_on_a_distractor():
    from siamkit.tracking.training import _pair_batch

    seqs = make_sequences(*shape_glyphs(3, seed=0), n=3, seed=0, length=8)
    assert seqs[0].distractors.shape == (8, 3, 4)
    model = SiamFCTracker()
    rng = np.random.default_rng(0)
    _, _, plain = _pair_batch(model, seqs, rng, 16, 3, 12.0, 0.0, distractor_fraction=0.0)
    assert plain.abs().max() <= 12.0  # the target within max_shift of the centre
    z, x, hard = _pair_batch(model, seqs, rng, 16, 3, 12.0, 0.0, distractor_fraction=1.0)
    assert z.shape == (16, 1, 48, 48) and x.shape == (16, 1, 96, 96)
    assert hard.abs().max() > 24.0  # the target is elsewhere: often outside the score map
