"""``[encoder] name = "hf_text"`` from a TOML file through ``siamkit train``: the model's adapter is
the folder's own tokenizer (not one fitted on the training texts), its length the encoder's
``max_length``, and the saved model reloads with it; without the ``text`` extra, one line."""

from __future__ import annotations

import builtins
import json

import pytest

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from hf_tiny import write_tiny_bert  # noqa: E402
from siamkit.cli import main  # noqa: E402
from siamkit.hf_text_adapter import HFTextAdapter  # noqa: E402

TOML = """
name = "hf-pairs"
[data]
source = "text_pairs"
path = "{pairs}"
[encoder]
name = "hf_text"
args = {{ path = "{folder}", pooling = "cls", normalize = true, max_length = 12 }}
[model]
distance = "cosine"
[loss]
name = "{loss}"
[batches]
batch_size = 8
[training]
epochs = 1
lr = 0.0001
"""


@pytest.fixture
def config(tmp_path, pairs_csv):
    folder = write_tiny_bert(tmp_path / "hf")

    def write(loss: str = "contrastive"):
        path = tmp_path / f"{loss}.toml"
        path.write_text(TOML.format(pairs=pairs_csv, folder=folder, loss=loss))
        return path

    return write


@pytest.mark.parametrize("loss", ["contrastive", "multiple_negatives_ranking"])
def test_siamkit_train_uses_the_folders_tokenizer(tmp_path, config, loss, capsys):
    out = tmp_path / f"run-{loss}"
    assert main(["train", str(config(loss)), "--out", str(out)]) == 0, capsys.readouterr().err
    model = sk.SiameseNetwork.load(out / "model")
    assert isinstance(model.adapter, HFTextAdapter) and model.adapter.max_length == 12
    assert model.encoder.pooling == "cls" and model.embedding_dim == 32
    saved = json.loads((out / "model" / "config.json").read_text())
    assert saved["adapter"]["type"] == "hf_text" and saved["encoder"]["name"] == "hf_text"
    ids = model.adapter.prepare(["how do I cook dish 3 " * 10])
    assert ids.shape[1] == 12  # cut at the encoder's max_length, not [text] max_length (64)


def test_without_the_text_extra_siamkit_train_says_which_extra(config, tmp_path, monkeypatch,
                                                                capsys):
    real_import = builtins.__import__

    def without_transformers(name, *args, **kwargs):
        if name.split(".")[0] in ("transformers", "tokenizers"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    path = config()
    monkeypatch.setattr(builtins, "__import__", without_transformers)
    code = main(["train", str(path), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("siamkit: error")]
    assert code != 0 and len(lines) == 1 and "Traceback" not in err, err
    assert "pip install siamkit[text]" in lines[0]
