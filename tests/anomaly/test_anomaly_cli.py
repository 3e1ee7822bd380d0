"""`siamkit anomaly`: build a detector from image folders and vector files, score, errors."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest
import torch
from PIL import Image

import siamkit as sk
from siamkit.adapters import ImageAdapter, VectorAdapter
from siamkit.cli.anomaly import add_parser
from siamkit.errors import ConfigError, DataError, SiamkitWarning


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="siamkit")
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["anomaly", *map(str, argv)])
    return args.func(args)


@pytest.fixture
def image_setup(tmp_path):
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("convnet", embedding_dim=8, channels=[4, 8])
    sk.SiameseNetwork(enc, adapter=ImageAdapter(1, 12)).save(tmp_path / "model")
    rng = np.random.default_rng(0)
    for folder, n, bright in (("normal", 30, False), ("val", 20, False), ("odd", 2, True)):
        (tmp_path / folder).mkdir()
        for i in range(n):
            img = np.zeros((12, 12), np.uint8)
            if bright:
                img[:] = 255 - rng.integers(0, 5, (12, 12))  # all white: unlike any normal sample
            else:
                img[3:9, 3:9] = rng.integers(100, 140, (6, 6))  # a grey square in the middle
            Image.fromarray(img).save(tmp_path / folder / f"{i}.png")
    return tmp_path


def test_fit_then_score_images(image_setup, capsys):
    d = image_setup
    assert (
        cli(
            d / "model",
            "--gallery",
            d / "det",
            "--fit",
            d / "normal",
            "--val",
            d / "val",
            "-k",
            "3",
            "--false-alarm-rate",
            "0.1",
        )
        == 0
    )
    assert "30 normal references" in capsys.readouterr().out
    assert cli(d / "model", "--gallery", d / "det", d / "odd", d / "val" / "0.png", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["score"] == "higher = more anomalous"
    flags = {
        r["input"].split("/")[-2] + "/" + r["input"].split("/")[-1]: r["anomaly"]
        for r in out["results"]
    }
    assert flags["odd/0.png"] and flags["odd/1.png"]
    scores = [r["anomaly_score"] for r in out["results"]]
    assert min(scores[:2]) > scores[2]
    assert cli(d / "model", "--gallery", d / "det", d / "odd" / "0.png") == 0
    assert "ANOMALY" in capsys.readouterr().out


def test_vectors_from_npy(tmp_path, capsys):
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("mlp", input_dim=3, embedding_dim=3, hidden_dims=[8])
    sk.SiameseNetwork(enc, adapter=VectorAdapter(3)).save(tmp_path / "m")
    rng = np.random.default_rng(0)
    np.save(tmp_path / "normal.npy", rng.normal(size=(100, 3)).astype(np.float32))
    np.savetxt(tmp_path / "q.csv", [[0, 0, 0], [50, 50, 50]], delimiter=",")
    assert (
        cli(
            tmp_path / "m",
            "--gallery",
            tmp_path / "g",
            "--fit",
            tmp_path / "normal.npy",
            tmp_path / "q.csv",
            "--json",
            "--false-alarm-rate",
            "0.1",
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().split("\n", 1)
    results = json.loads(lines[1])["results"]
    assert [r["input"] for r in results] == ["#0", "#1"] and [r["anomaly"] for r in results] == [
        False,
        True,
    ]


def test_errors(image_setup):
    d = image_setup
    with pytest.raises(ConfigError, match="name inputs"):
        cli(d / "model", "--gallery", d / "det")
    with pytest.raises(DataError, match="no such file"):
        cli(d / "model", "--gallery", d / "det", "--fit", d / "missing.png")
    with pytest.warns(SiamkitWarning, match="cannot resolve"):  # 6 held-out samples for a 5 % rate
        cli(d / "model", "--gallery", d / "det", "--fit", d / "normal")
    with pytest.raises(ConfigError, match="already holds a detector"):
        cli(d / "model", "--gallery", d / "det", "--fit", d / "normal")
