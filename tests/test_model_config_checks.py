"""Tampered model configs (and gallery and checkpoint headers) are refused in one line naming the
file, the field and the problem, before anything is allocated."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import siamkit as sk
from siamkit.cli import main
from siamkit.encoders import create_encoder
from siamkit.errors import DataError, ModelFileError
from siamkit.model_checks import build_on_meta
from siamkit.registry import ENCODERS


def _model(tmp_path, distance="euclidean", head=None, hidden=(16,)):
    torch.manual_seed(0)
    enc = create_encoder("mlp", input_dim=6, embedding_dim=4, hidden_dims=list(hidden))
    model = sk.SiameseNetwork(enc, distance=distance, head=head, threshold=-0.5 if head is None
                              and distance != "cosine" else 0.5)
    return model.save(tmp_path / "m")


def _tamper(folder, edit):
    file = folder / "config.json"
    cfg = json.loads(file.read_text())
    edit(cfg)
    file.write_text(json.dumps(cfg))


def _set(path, value):
    def edit(cfg):
        node = cfg
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return edit


@pytest.mark.parametrize("path,value,message", [
    (("threshold", "value"), "-inf", r"threshold.value: expected a finite number, got '-inf'"),
    (("threshold", "value"), "NaN", r"threshold.value: expected a finite number, got 'NaN'"),
    (("threshold", "value"), float("-inf"), r"threshold.value: expected a finite number"),
    (("threshold", "value"), float("nan"), r"threshold.value: expected a finite number"),
    (("threshold", "value"), 3.0, r"threshold.value: 3.0 is outside the range"),
    (("format_version",), "abc", r"format_version: expected a whole number >= 1, got 'abc'"),
    (("format_version",), 99, r"format_version: saved with a newer format \(99\)"),
    (("encoder", "config", "hidden_dims"), [-16], r"encoder.config.hidden_dims: must not be neg"),
    (("encoder", "config", "hidden_dims"), "abc", r"encoder.config.hidden_dims: expected a list"),
    (("encoder", "config", "input_dim"), 6.5, r"encoder.config.input_dim: expected a whole num"),
    (("encoder", "config", "dropout"), "x", r"encoder.config.dropout: expected a number"),
    (("encoder", "config", "embedding_dim"), 10**7,
     r"wrong shape: builds encoder.net.2.bias of shape \[10000000\] but model.safetensors"),
    (("embedding_dim",), -3, r"embedding_dim: expected a whole number >= 1, got -3"),
    (("embedding_dim",), 5, r"embedding_dim: 5, but the encoder gives 4-dim embeddings"),
    (("adapter",), {"type": "vector", "input_dim": -6},
     r"adapter.input_dim: must not be negative"),
    (("head",), "l1", r"head: expected an object or null"),
])
def test_a_tampered_config_is_one_clear_line(tmp_path, path, value, message):
    folder = _model(tmp_path)
    _tamper(folder, _set(path, value))
    with pytest.raises(ModelFileError, match=message) as info:
        sk.SiameseNetwork.load(folder)
    text = str(info.value)
    assert text.startswith(f"model {folder}: config.json: ") and "\n" not in text


def test_a_cosine_threshold_outside_minus_one_to_one_is_refused(tmp_path):
    folder = _model(tmp_path, distance="cosine")
    _tamper(folder, _set(("threshold", "value"), -1.5))
    with pytest.raises(ModelFileError, match=r"outside the range .*cosine_similarity: -1.0 to 1.0"):
        sk.SiameseNetwork.load(folder)


def test_the_cli_answers_a_nan_threshold_with_one_line_and_status_1(tmp_path, capsys):
    folder = _model(tmp_path)
    _tamper(folder, _set(("threshold", "value"), "NaN"))
    assert main(["verify", str(folder), "1,2,3,4,5,6", "1,2,3,4,5,6"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "threshold.value: expected a finite number" in err[0]


def test_a_huge_embedding_dim_is_refused_before_it_is_allocated(tmp_path):
    folder = _model(tmp_path, hidden=(64,))
    _tamper(folder, _set(("encoder", "config", "embedding_dim"), 10**7))  # 2.6 GB of weights
    script = textwrap.dedent(f"""
        import resource, siamkit as sk
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            sk.SiameseNetwork.load({str(folder)!r})
        except sk.ModelFileError as exc:
            print("refused", str(exc)[:60])
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120).stdout.split("\n")
    assert out[0].startswith("refused") and int(out[1]) < 200  # MiB of extra peak memory


def _encoder_examples() -> dict:
    """The encoder contract test's one example per registered encoder."""
    import importlib.util

    file = Path(__file__).parent / "encoders" / "test_contract.py"
    spec = importlib.util.spec_from_file_location("encoder_contract_examples", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXAMPLES


@pytest.mark.parametrize("name", ENCODERS.names())
def test_every_registered_encoder_builds_on_meta_with_the_real_shapes(name):
    if name in {"timm", "torchvision"}:
        pytest.importorskip("timm", reason=f"{name} needs the vision extra (make test-vision)")
        pytest.importorskip("torchvision", reason=f"{name} needs the vision extra")
    if name == "hf_text":
        pytest.skip("transformers refuses to build under a meta device; hf_text bounds every size "
                    "of the backbone's config before building (tests/encoders/test_hf_safety.py)")
    config = _encoder_examples()[name][0]
    real = create_encoder(name, **config)
    meta = build_on_meta(lambda: create_encoder(name, **config), "test")
    assert meta is not None, f"{name} cannot be built on the meta device: its shapes go unchecked"
    assert {k: tuple(v.shape) for k, v in meta.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in real.state_dict().items()}


def test_tampered_checkpoint_headers(tmp_path):
    from siamkit.training.checkpoint import load_checkpoint, save_checkpoint

    for field, value, message in (("format_version", "abc", "format_version: expected a whole"),
                                  ("epoch", -1, "epoch: expected a whole number >= 0"),
                                  ("step", 1.5, "step: expected a whole number >= 0")):
        save_checkpoint(tmp_path / "last.pt", {"epoch": 1, "batch": 0, "step": 3})
        state = torch.load(tmp_path / "last.pt", weights_only=True)
        state[field] = value
        torch.save(state, tmp_path / "last.pt")
        with pytest.raises(ModelFileError, match=message):
            load_checkpoint(tmp_path)


@pytest.mark.parametrize("key,value,message", [
    ("schema_version", '"abc"', "meta schema_version: expected a whole number"),
    ("index", '"bogus"', "meta index: gallery index 'bogus': FAISS cannot build it"),
    ("dim", "7", "meta dim is 7"),
    ("index", "{not json", "meta index: not valid JSON"),
])
def test_tampered_gallery_settings(tmp_path, key, value, message):
    model = sk.SiameseNetwork.load(_model(tmp_path))
    sk.Gallery(model, tmp_path / "g").close()
    with sqlite3.connect(tmp_path / "g" / "gallery.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    with pytest.raises(DataError, match=message):
        sk.Gallery(model, tmp_path / "g")
