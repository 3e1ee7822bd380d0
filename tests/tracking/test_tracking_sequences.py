"""Synthetic sequences: deterministic, boxes that hold the target, same-class distractors."""

from __future__ import annotations

import numpy as np
import pytest

from siamkit.errors import DataError
from siamkit.tracking import make_sequence, make_sequences, shape_glyphs


@pytest.fixture(scope="module")
def glyphs():
    return shape_glyphs(4, seed=0)


def test_same_seed_same_sequence(glyphs):
    a, b = make_sequence(*glyphs, seed=3, length=8), make_sequence(*glyphs, seed=3, length=8)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.boxes, b.boxes)
    c = make_sequence(*glyphs, seed=4, length=8)
    assert not np.array_equal(a.frames, c.frames)


def test_sequence_i_does_not_depend_on_how_many(glyphs):
    short, long = (
        make_sequences(*glyphs, n=2, seed=1, length=5),
        make_sequences(*glyphs, n=3, seed=1, length=5),
    )
    np.testing.assert_array_equal(short[1].frames, long[1].frames)


@pytest.mark.parametrize("preset", ["distractors", "hard"])
def test_boxes_hold_the_target_alone(glyphs, preset):
    # Render the target alone (no distractors, occluder, clutter, noise) with the same motion: the
    # box must be the tight box of its bright pixels.
    seq = make_sequences(
        *glyphs,
        n=1,
        seed=5,
        length=20,
        preset=preset,
        n_distractors=0,
        occluder_probability=0.0,
        clutter=0.0,
        noise=0.0,
    )[0]
    for frame, (x, y, w, h) in zip(seq.frames, seq.boxes.astype(int)):
        ink = np.argwhere(frame >= 0.3 * frame.max())
        assert ink[:, 1].min() >= x and ink[:, 1].max() < x + w
        assert ink[:, 0].min() >= y and ink[:, 0].max() < y + h
        assert frame[y : y + h, x : x + w].sum() >= 0.95 * frame.sum()
    np.testing.assert_array_equal(seq.visible, 1.0)


def test_first_frame_shows_the_target_and_a_same_class_distractor(glyphs):
    for seq in make_sequences(*glyphs, n=6, seed=2, length=3):
        assert seq.visible[0] == 1.0
        assert seq.info["distractor_labels"][0] == seq.info["target_label"]
        assert seq.frames.dtype == np.uint8 and seq.frames.shape == (3, 128, 128)


def test_targets_move_and_stay_inside(glyphs):
    seq = make_sequence(*glyphs, seed=0, length=60)
    assert np.abs(np.diff(seq.boxes[:, :2], axis=0)).max() > 0.5
    assert seq.boxes[:, :2].min() >= 0 and (seq.boxes[:, :2] + seq.boxes[:, 2:]).max() <= 128


def test_bad_input_is_named(glyphs):
    with pytest.raises(DataError, match="preset"):
        make_sequences(*glyphs, n=1, preset="easy")
    with pytest.raises(DataError, match="glyphs"):
        make_sequence(glyphs[0][:1], glyphs[1][:1])


def test_a_users_sequence_needs_one_box_per_frame():
    from siamkit.tracking import TrackingSequence

    seq = TrackingSequence([np.zeros((40, 40), np.uint8)] * 3, [[1, 2, 3, 4]] * 3)
    np.testing.assert_array_equal(seq.visible, 1.0)
    with pytest.raises(DataError, match="3 frames but boxes"):
        TrackingSequence([np.zeros((40, 40), np.uint8)] * 3, [[1, 2, 3, 4]] * 2)


def test_mnist_sequences_are_fixed_by_the_seed(shared_data):
    from siamkit.tracking import mnist_glyphs

    x, y = mnist_glyphs("test", shared_data, limit=500)
    assert x.shape == (500, 28, 28) and x.dtype == np.uint8 and set(np.unique(y)) == set(range(10))
    a = make_sequences(x, y, n=2, seed=2016, length=5, preset="hard")
    b = make_sequences(x, y, n=2, seed=2016, length=5, preset="hard")
    np.testing.assert_array_equal(a[1].frames, b[1].frames)
    assert a[0].info["distractor_labels"][0] == a[0].info["target_label"]
