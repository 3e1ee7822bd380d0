"""`siamkit track`: tracking a folder of frames, training, and errors without tracebacks."""

from __future__ import annotations

import argparse
import csv

import numpy as np
import pytest
from PIL import Image

from siamkit.cli.track import add_parser
from siamkit.encoders import create_encoder
from siamkit.errors import ConfigError, DataError, ModelFileError
from siamkit.tracking import SiamFCTracker, make_sequence, shape_glyphs


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="siamkit")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["track", *argv])
    return args.func(args)


@pytest.fixture
def folder(tmp_path):
    seq = make_sequence(*shape_glyphs(3), seed=0, length=5)
    for i, frame in enumerate(seq.frames):
        Image.fromarray(frame).save(tmp_path / f"{i}.png")
    SiamFCTracker(create_encoder("siamfc", embedding_dim=8, widths=[4, 8])).save(tmp_path / "model")
    return tmp_path, seq


def test_track_writes_boxes_and_gif(folder, capsys):
    path, seq = folder
    box = ",".join(str(v) for v in seq.boxes[0])
    assert (
        cli(
            str(path / "model"),
            "--frames",
            str(path),
            "--box",
            box,
            "--out",
            str(path / "out"),
            "--set",
            "window_influence=0.3",
            "--json",
        )
        == 0
    )
    assert '"frames": 5' in capsys.readouterr().out
    rows = list(csv.reader((path / "out" / "boxes.csv").read_text().splitlines()))
    assert len(rows) == 6 and rows[1][0] == "0.png"
    np.testing.assert_allclose([float(v) for v in rows[1][1:]], seq.boxes[0], atol=0.01)
    with Image.open(path / "out" / "track.gif") as gif:
        assert gif.n_frames == 5


def test_track_errors(folder):
    path, _ = folder
    with pytest.raises(ConfigError, match="--frames DIR and --box"):
        cli(str(path / "model"))
    with pytest.raises(DataError, match="outside the first frame"):
        cli(str(path / "model"), "--frames", str(path), "--box", "500,500,10,10")
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        cli(str(path / "model"), "--frames", str(path), "--box", "1,1,10,10", "--set", "oops")
    with pytest.raises(ModelFileError):
        cli(str(path / "missing"), "--frames", str(path), "--box", "1,1,10,10")


@pytest.mark.slow  # seconds on a quiet machine; oneDNN's first-call set-up is slow on a busy one
def test_train_on_shapes(tmp_path, capsys):
    assert (
        cli(
            str(tmp_path / "m"),
            "--train",
            "--shapes",
            "--steps",
            "2",
            "--sequences",
            "2",
            "--length",
            "4",
            "--batch-size",
            "4",
            "--tune-sequences",
            "0",
        )
        == 0
    )
    model = SiamFCTracker.load(tmp_path / "m")
    assert model.metadata["trained_on"] == "shapes" and model.metadata["training"]["steps"] == 2
    with pytest.raises(ConfigError, match="--batch-size is too small"):
        cli(str(tmp_path / "m2"), "--train", "--shapes", "--batch-size", "0")
