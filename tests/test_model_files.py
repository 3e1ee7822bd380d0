"""Encoders and adapters that keep state outside config.json: the model folder gives them a place
(``save_files``) and hands it back on load (``from_saved``), for any registered component."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import siamkit as sk
from siamkit.adapters import Adapter, adapter_from_config, register_adapter
from siamkit.encoders.base import Encoder, register_encoder
from siamkit.errors import ConfigError
from siamkit.registry import ADAPTERS, ENCODERS


class FileEncoder(Encoder):
    """A linear map whose width is kept in a file of its own, as a backbone keeps its config."""

    def __init__(self, width: int = 2) -> None:
        super().__init__()
        self.width = width
        self.embedding_dim = width
        self.lin = torch.nn.Linear(3, width)

    def encode(self, x):
        return self.lin(x)

    def get_config(self):
        return {}  # the width lives in arch.json

    def save_files(self, folder: Path) -> None:
        (folder / "arch.json").write_text(json.dumps({"width": self.width}))

    @classmethod
    def from_saved(cls, config, folder=None):
        return cls(**json.loads((folder / "arch.json").read_text()))


class ScaleAdapter(Adapter):
    type = "scale_from_file"

    def __init__(self, scale: float) -> None:
        super().__init__()
        self.scale = scale

    def prepare(self, raw):
        return torch.as_tensor(raw, dtype=torch.float32) * self.scale

    def forward(self, x):
        return x

    def to_config(self):
        return {"type": self.type}

    def save_files(self, folder: Path) -> None:
        (folder / "scale.txt").write_text(str(self.scale))

    @classmethod
    def from_saved(cls, config, folder=None):
        return cls(float((folder / "scale.txt").read_text()))


@pytest.fixture
def registered():
    register_encoder("file_encoder")(FileEncoder)
    register_adapter(ScaleAdapter)
    yield
    ENCODERS.remove("file_encoder")
    ADAPTERS.remove("scale_from_file")


def test_files_written_by_save_come_back_through_from_saved(registered, tmp_path):
    model = sk.SiameseNetwork(FileEncoder(width=5), adapter=ScaleAdapter(2.0))
    model.save(tmp_path / "m")
    assert (tmp_path / "m" / "arch.json").is_file() and (tmp_path / "m" / "scale.txt").is_file()
    back = sk.SiameseNetwork.load(tmp_path / "m")
    x = [[1.0, 2.0, 3.0]]
    assert back.encoder.width == 5 and back.adapter.scale == 2.0
    torch.testing.assert_close(back.encode(x), model.eval().encode(x))


def test_an_unknown_adapter_type_names_the_known_ones():
    with pytest.raises(ConfigError, match=r"unknown type 'imge'.*did you mean 'image'"):
        adapter_from_config({"type": "imge"})
