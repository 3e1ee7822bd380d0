"""Training pairs: the labels of every exemplar-search pair put the positive where the target is."""

from __future__ import annotations

import numpy as np
import torch

from siamkit.tracking import SiamFCTracker, TrackingSequence
from siamkit.tracking.loss import score_map_labels
from siamkit.tracking.training import _pair_batch

TARGET, DISTRACTOR = 240, 120  # grey levels of two flat squares on black


def two_squares(length: int = 12, canvas: int = 160) -> TrackingSequence:
    """A 20x20 target square drifting right and a 30x30 dimmer look-alike drifting left."""
    frames = np.zeros((length, canvas, canvas), dtype=np.uint8)
    boxes, others = np.zeros((length, 4)), np.zeros((length, 1, 4))
    for t in range(length):
        tx, dx = 30 + 2 * t, 110 - 2 * t
        frames[t, 40:60, tx : tx + 20] = TARGET
        frames[t, 90:120, dx : dx + 30] = DISTRACTOR
        boxes[t], others[t, 0] = (tx, 40, 20, 20), (dx, 90, 30, 30)
    return TrackingSequence(frames, boxes, distractors=others)


def test_every_pair_marks_the_target_and_only_the_target():
    # The search crop is resampled from the frame; the pixel at (centre + offset) must be the
    # target's whatever the crop is centred on, and a search centred on the look-alike must be
    # labelled positive only where the target is (all-negative when it is off the score map).
    model = SiamFCTracker()
    seq = two_squares()
    half = model.search_size / 2
    for fraction in (0.0, 1.0):
        rng = np.random.default_rng(0)
        # max_shift 6: the target (24 crop pixels wide) still covers the centre of plain pairs
        z, x, offsets = _pair_batch(model, [seq], rng, 64, 4, 6.0, 0.0, fraction)
        assert torch.allclose(z[:, 0, 24, 24], torch.tensor(TARGET / 255.0))  # exemplar = target
        labels = score_map_labels(model.score_size, model.total_stride, offsets, 6.0)
        for b in range(len(x)):
            cx, cy = (half + offsets[b]).tolist()
            if 0 <= cx < model.search_size and 0 <= cy < model.search_size:
                assert abs(x[b, 0, int(cy), int(cx)].item() - TARGET / 255.0) < 0.02, b
            centre = x[b, 0, int(half), int(half)].item()
            if fraction == 1.0:  # centred (within side / 8) on the look-alike, not on the target
                assert abs(centre - DISTRACTOR / 255.0) < 0.02, b
            else:
                assert abs(centre - TARGET / 255.0) < 0.02, b
            cells = (torch.arange(model.score_size) - (model.score_size - 1) / 2) * 4.0
            for i, j in torch.nonzero(labels[b, 0]).tolist():  # positives: within 6 px of it
                assert torch.hypot(cells[j] - offsets[b, 0], cells[i] - offsets[b, 1]) <= 6.0
        if fraction == 1.0:
            assert (labels.flatten(1).sum(1) == 0).any()  # some hard negatives have no positive
        else:
            assert (labels.flatten(1).sum(1) > 0).all()
