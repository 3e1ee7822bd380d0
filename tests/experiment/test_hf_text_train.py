"""``[encoder] name = "hf_text"`` from a TOML file through ``siamkit train``: the model's adapter is
the folder's own tokenizer (not one fitted on the training texts), its length the encoder's
``max_length``, and the saved model reloads with it; without the ``text`` extra, one line."""

from __future__ import annotations

import builtins
import json

import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from hf_tiny import write_tiny_bert  # noqa: E402
from siamkit.cli import main  # noqa: E402
from siamkit.errors import SiamkitWarning  # noqa: E402
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


# ---- [batches] length_buckets and [training] layer_lr_decay through a config -------------------

def _loaders(path, *overrides):
    from siamkit.config import load_config
    from siamkit.experiment.build import batch_kind, build_loaders, build_model
    from siamkit.experiment.data import load_splits

    cfg = load_config(path, list(overrides))
    splits = load_splits(cfg.data, cfg.source)
    kind = batch_kind(cfg, splits)
    model = build_model(cfg, splits, {})
    return build_loaders(cfg, splits, model, kind)


def test_length_buckets_are_on_by_default_for_pairs_with_a_hugging_face_tokenizer(config):
    from siamkit.data import LengthBucketBatchSampler, RandomBatchSampler

    train, val = _loaders(config("contrastive"))
    assert isinstance(train.sampler, LengthBucketBatchSampler)
    assert isinstance(val.sampler, LengthBucketBatchSampler) and not val.sampler.shuffle
    train, _ = _loaders(config("contrastive"), "batches.length_buckets=false")
    assert isinstance(train.sampler, RandomBatchSampler)
    # in-batch negatives: off by default, whatever the tokenizer
    with pytest.warns(SiamkitWarning) as caught:
        train, _ = _loaders(config("multiple_negatives_ranking"))
    said = " | ".join(str(w.message) for w in caught)
    assert "train: 'duplicates' batches use only the 18 rows" in said
    assert "val: 'duplicates' batches use only the 6 rows" in said
    assert train.batch_kind == "duplicates" and not isinstance(train.sampler, LengthBucketBatchSampler)


@pytest.mark.parametrize("loss", ["multiple_negatives_ranking", "cached_multiple_negatives_ranking",
                                  "hard_negative"])
def test_length_buckets_with_in_batch_negatives_are_one_line_naming_key_and_loss(
        tmp_path, config, loss, capsys):
    code = main(["train", str(config(loss)), "--out", str(tmp_path / "run"),
                 "--set", "batches.length_buckets=true"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("siamkit: error")]
    assert code != 0 and len(lines) == 1 and "Traceback" not in err, err
    assert "[batches] length_buckets" in lines[0] and repr(loss) in lines[0]


def test_length_buckets_of_labelled_batches_and_of_images_are_refused(tmp_path):
    from siamkit.config import load_config
    from siamkit.errors import ConfigError

    toml = tmp_path / "supcon.toml"
    toml.write_text('[loss]\nname = "supcon"\n[batches]\nlength_buckets = true\n')
    with pytest.raises(ConfigError, match=r"\[batches\] length_buckets: loss 'supcon' trains on "
                                          r"'labelled' batches"):
        load_config(toml)
    digits = tmp_path / "digits.toml"
    digits.write_text('[data]\nmax_train = 64\n[batches]\nlength_buckets = true\n')
    with pytest.raises(ConfigError, match=r"\[batches\] length_buckets: batches texts by their "
                                          r"length; these data are image data"):
        _loaders(digits)


def test_a_pretrained_run_with_buckets_and_layer_decay_trains_and_resumes_to_the_same_model(
        tmp_path, config, capsys):
    """Two epochs straight, and one epoch then --resume to two: the same saved weights."""
    from safetensors.torch import load_file

    path = config("contrastive")
    args = ["--set", "training.layer_lr_decay=0.7", "--set", "training.epochs=2"]
    assert main(["train", str(path), "--out", str(tmp_path / "a"), *args]) == 0, \
        capsys.readouterr().err
    assert main(["train", str(path), "--out", str(tmp_path / "b"), "--set",
                 "training.layer_lr_decay=0.7", "--set", "training.epochs=1"]) == 0
    assert main(["train", str(path), "--out", str(tmp_path / "b"), *args, "--resume"]) == 0, \
        capsys.readouterr().err
    a = load_file(str(tmp_path / "a" / "model" / "model.safetensors"))
    b = load_file(str(tmp_path / "b" / "model" / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
