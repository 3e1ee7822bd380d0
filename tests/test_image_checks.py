"""Images that an image model's adapter converts are said (issue 18, item 7): colour or
transparency dropped, another aspect ratio squeezed; one readable line per batch of inputs, on
the command line and in the HTTP service's answer."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import siamkit as sk
from siamkit.adapters import ImageAdapter
from siamkit.cli import main
from siamkit.errors import SiamkitWarning
from siamkit.image_checks import image_warnings
from siamkit.inputs import read_inputs


def grey_model(size: int = 16, channels: int = 1) -> sk.SiameseNetwork:
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("convnet", in_channels=channels, channels=[4], embedding_dim=5)
    return sk.SiameseNetwork(enc, adapter=ImageAdapter(channels=channels, image_size=size),
                             threshold=-1.0).eval()


def image(path: Path, size=(40, 30), mode="RGB") -> Path:
    rng = np.random.default_rng(0)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.integers(0, 255, (size[1], size[0], channels), dtype=np.uint8)
    Image.fromarray(pixels[..., 0] if channels == 1 else pixels, mode).save(path)
    return path


def test_a_colour_photo_squeezed_into_a_grey_model(tmp_path):
    photo = image(tmp_path / "photo.png", (40, 30), "RGBA")
    [line] = image_warnings(grey_model(), [str(photo)], [str(photo)], "A")
    assert line == (f"A ({photo}): a 40x30 RGBA image, read as the model's 16x16 grayscale input: "
                    "colour dropped, transparency dropped, 40x30 squeezed to 16x16")


def test_what_passes_quietly(tmp_path):
    grey = image(tmp_path / "g.png", (32, 32), "L")  # same aspect ratio, same colour form
    colour = image(tmp_path / "c.png", (16, 16), "RGB")
    assert image_warnings(grey_model(), [str(grey)], ["g"]) == []
    assert image_warnings(grey_model(channels=3), [str(grey), str(colour)], ["g", "c"]) == []


def test_a_batch_gets_one_line(tmp_path):
    paths = [str(image(tmp_path / f"{i}.png", (16, 16), "L")) for i in range(3)]
    paths.append(str(image(tmp_path / "wide.png", (64, 16), "L")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_inputs(grey_model(), [str(tmp_path)])
    [said] = [str(w.message) for w in caught if issubclass(w.category, SiamkitWarning)]
    assert said == (f"inputs: 1 of 4 images do not match the model's 16x16 grayscale input and are "
                    f"converted (e.g. {paths[3]}, 64x16 L: 64x16 squeezed to 16x16)")


def test_verify_says_it_on_the_console(tmp_path, capsys):
    saved = grey_model().save(tmp_path / "model")
    a, b = image(tmp_path / "a.png", (40, 30), "RGB"), image(tmp_path / "b.png", (16, 16), "L")
    assert main(["verify", str(saved), str(a), str(b), "--json"]) == 0
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert lines == [f"siamkit: warning: A ({a}): a 40x30 RGB image, read as the model's 16x16 "
                     "grayscale input: colour dropped, 40x30 squeezed to 16x16"]
    assert json.loads(out.out)["same"] in (True, False)


def test_the_service_says_it_in_the_answer(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "serve_helpers", Path(__file__).parent / "serve" / "serve_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    client = helpers.make_client(grey_model(), with_gallery=False)
    colour = image(tmp_path / "c.png", (40, 30), "RGB").read_bytes()
    grey = image(tmp_path / "g.png", (16, 16), "L").read_bytes()
    b64 = base64.b64encode
    r = client.post("/api/similarity", json={"a": {"images": [b64(colour).decode()]},
                                             "b": {"images": [b64(grey).decode()]}})
    assert r.status_code == 200
    assert r.json()["warnings"] == ["a (images[0]): a 40x30 RGB image, read as the model's 16x16 "
                                    "grayscale input: colour dropped, 40x30 squeezed to 16x16"]
    r = client.post("/api/similarity/upload", files={"a": ("g.png", io.BytesIO(grey)),
                                                     "b": ("c.png", io.BytesIO(colour))})
    assert r.status_code == 200 and r.json()["warnings"][0].startswith("b (images[0]): a 40x30")
