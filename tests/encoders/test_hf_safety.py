"""Hostile Hugging Face folders, made in the tests: ``hf_text`` refuses each with a clear error
before running code from it, unpickling anything or allocating what its config asks for; and the
two lines a user without the ``text`` extra, or without the network, gets."""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from hf_tiny import SENTENCES, write_tiny_bert  # noqa: E402
from siamkit.errors import ConfigError, ModelFileError  # noqa: E402

SRC = Path(__file__).resolve().parents[2] / "src"


def edit_json(file: Path, **changes) -> None:
    data = json.loads(file.read_text())
    data.update(changes)
    file.write_text(json.dumps(data))


@pytest.fixture
def folder(tmp_path):
    return write_tiny_bert(tmp_path / "tiny")


def make(folder):
    enc = sk.encoders.create_encoder("hf_text", path=str(folder))
    return enc, enc.make_adapter()


def test_auto_map_in_the_config_is_refused(folder):
    edit_json(folder / "config.json", auto_map={"AutoModel": "modeling_evil.EvilModel"})
    (folder / "modeling_evil.py").write_text("raise SystemExit('ran code from the folder')\n")
    with pytest.raises(ModelFileError, match="auto_map.*never runs code"):
        make(folder)


def test_auto_map_in_the_tokenizer_config_is_refused(folder):
    edit_json(folder / "tokenizer_config.json", auto_map={"AutoTokenizer": ["evil.Tok", None]})
    with pytest.raises(ModelFileError, match="tokenizer_config.json asks for code"):
        sk.encoders.get_encoder_class("hf_text").own_adapter({"path": str(folder)})


def test_an_unknown_model_type_is_refused(folder):
    edit_json(folder / "config.json", model_type="evil-bert")
    with pytest.raises(ModelFileError, match="model_type 'evil-bert' is not an architecture"):
        make(folder)


@pytest.mark.parametrize("changes, message", [
    ({"hidden_size": 10**9}, "hidden_size = 1000000000 exceeds"),
    ({"vocab_size": 10**12}, "vocab_size = 1000000000000 exceeds"),
    ({"num_hidden_layers": -1}, "num_hidden_layers must be a positive integer"),
    ({"max_position_embeddings": True}, "max_position_embeddings must be a positive integer"),
    ({"hidden_size": 16384, "num_hidden_layers": 256, "intermediate_size": 65536,
      "num_attention_heads": 128}, "parameters, more than siamkit's limit"),
])
def test_sizes_are_bounded_before_anything_is_allocated(folder, monkeypatch, changes, message):
    import transformers

    edit_json(folder / "config.json", **changes)

    def no_allocation(*args, **kwargs):
        raise AssertionError("a model was built from a config that should have been refused")

    monkeypatch.setattr(transformers.AutoModel, "from_pretrained", no_allocation)
    monkeypatch.setattr(transformers.AutoModel, "from_config", no_allocation)
    with pytest.raises(ModelFileError, match=message):
        make(folder)


def test_pickle_weights_are_refused_and_never_unpickled(folder, monkeypatch):
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04not really a pickle")

    def no_unpickling(*args, **kwargs):
        raise AssertionError("torch.load was called on a model folder")

    monkeypatch.setattr(torch, "load", no_unpickling)
    with pytest.raises(ModelFileError, match=r"pytorch_model.bin \(pickle\).*never loads"):
        make(folder)


@pytest.mark.parametrize("content", ["{not json", '{"model": {"type": "NoSuchModel"}}', "[]"])
def test_a_bad_tokenizer_json_is_refused(folder, content):
    (folder / "tokenizer.json").write_text(content)
    with pytest.raises(ModelFileError, match="not a readable tokenizer.json"):
        make(folder)


def test_a_bad_config_json_is_refused(folder):
    (folder / "config.json").write_text("{\"model_type\": \"bert\",")
    with pytest.raises(ModelFileError, match="config.json is not valid JSON"):
        make(folder)


def saved(folder, tmp_path):
    enc, adapter = make(folder)
    return sk.SiameseNetwork(enc, adapter=adapter).save(tmp_path / "model")


def test_a_saved_model_folder_is_checked_the_same_way(folder, tmp_path):
    model_dir = saved(folder, tmp_path)
    edit_json(model_dir / "backbone" / "config.json", auto_map={"AutoModel": "x.Y"})
    with pytest.raises(ModelFileError, match="auto_map"):
        sk.SiameseNetwork.load(model_dir)
    edit_json(model_dir / "backbone" / "config.json", auto_map=None)
    data = json.loads((model_dir / "backbone" / "config.json").read_text())
    del data["auto_map"]
    data["hidden_size"] = 10**8
    (model_dir / "backbone" / "config.json").write_text(json.dumps(data))
    with pytest.raises(ModelFileError, match="hidden_size = 100000000 exceeds"):
        sk.SiameseNetwork.load(model_dir)


def test_a_swapped_tokenizer_file_is_refused(folder, tmp_path):
    model_dir = saved(folder, tmp_path)
    tok = model_dir / "tokenizer" / "tokenizer.json"
    tok.write_text(tok.read_text().replace('"[UNK]": 1', '"[UNK]": 2'))
    with pytest.raises(ModelFileError, match="sha256 differs"):
        sk.SiameseNetwork.load(model_dir)


def test_without_the_text_extra_one_line_names_it(folder, monkeypatch):
    real_import = builtins.__import__

    def without_transformers(name, *args, **kwargs):
        if name.split(".")[0] in ("transformers", "tokenizers"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_transformers)
    for build in (lambda: sk.encoders.create_encoder("hf_text", path=str(folder)),
                  lambda: sk.encoders.get_encoder_class("hf_text").own_adapter({"path": str(folder)})):
        with pytest.raises(ConfigError) as info:
            build()
        assert "pip install siamkit[text]" in str(info.value)
        assert "\n" not in str(info.value)


def hub_attempt(tmp_path, **env):
    code = ("import siamkit as sk\n"
            "from siamkit.errors import ConfigError\n"
            "try:\n"
            "    sk.encoders.create_encoder('hf_text', path='sentence-transformers/all-MiniLM-L6-v2')\n"
            "except ConfigError as exc:\n"
            "    print('ERROR', exc)\n")
    env = {**os.environ, "PYTHONPATH": str(SRC), "HF_HOME": str(tmp_path / "hf-home"),
           "HF_HUB_DISABLE_TELEMETRY": "1", **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.mark.parametrize("env", [{"HF_HUB_OFFLINE": "1"},
                                 {"HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:9",
                                  "HF_HUB_ETAG_TIMEOUT": "2", "HF_HUB_DOWNLOAD_TIMEOUT": "2"}],
                         ids=["offline", "unreachable"])
def test_a_hub_id_without_the_network_is_one_line_asking_for_a_folder(tmp_path, env):
    done = hub_attempt(tmp_path, **env)
    lines = [line for line in done.stdout.splitlines() if line.startswith("ERROR")]
    assert len(lines) == 1, done.stdout + done.stderr
    assert "'sentence-transformers/all-MiniLM-L6-v2'" in lines[0]
    assert lines[0].endswith("pass a local folder")


def test_a_missing_local_folder_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no such folder"):
        sk.encoders.create_encoder("hf_text", path=str(tmp_path / "nowhere"))
    assert SENTENCES  # the shared sentences exist for the other tests
