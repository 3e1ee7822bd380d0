"""Tiny saved models and a helper that runs the command line in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from cli_helpers import Result

from siamkit import SiameseNetwork
from siamkit.adapters import ImageAdapter, VectorAdapter
from siamkit.cli import main
from siamkit.encoders import create_encoder


@pytest.fixture
def cli(capsys):
    """``cli("verify", model, a, b)`` -> Result(code, stdout, stderr)."""
    def run(*argv: object) -> Result:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run


@pytest.fixture
def vector_model(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = SiameseNetwork(create_encoder("mlp", input_dim=4, embedding_dim=3, hidden_dims=[8]),
                           adapter=VectorAdapter(4))
    model.set_threshold(-1.0, rule="given", chosen_on="a test")
    return model.save(tmp_path / "vector_model")


@pytest.fixture
def image_model(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = SiameseNetwork(create_encoder("convnet", in_channels=1, channels=[4], embedding_dim=5),
                           adapter=ImageAdapter(channels=1, image_size=8))
    return model.save(tmp_path / "image_model")


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "images"
    folder.mkdir()
    paths = []
    for i in range(3):
        path = folder / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (12, 10), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths
