"""An exported ``hf_text`` model (a tiny random BERT written in the test, no download): a
format-2 folder with two graph inputs that describes itself and carries its tokenizer, so that
OnnxModel embeds texts with neither PyTorch weights nor the Hugging Face folder; its embeddings
agree with PyTorch's to 1e-4 on batches padded to different lengths; the graph takes what the
Hugging Face tokenizer itself returns; readers that know only format 1 refuse the folder."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

from hf_tiny import SENTENCES, write_tiny_bert  # noqa: E402

import siamkit as sk  # noqa: E402
from siamkit.errors import DataError, ModelFileError  # noqa: E402
from siamkit.runtime import onnx_folder, read_onnx_config  # noqa: E402

LONG = ["and the water was good; and the day was good " * 3, "light"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf-onnx")
    folder = write_tiny_bert(root / "hf", seed=3)
    torch.manual_seed(0)
    enc = sk.encoders.create_encoder("hf_text", path=str(folder), normalize=True, max_length=32)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter()).eval()
    model.set_threshold(0.4, rule="given", chosen_on="a test")
    path = model.save(root / "model")
    out = sk.export_onnx(model, root / "onnx")
    return sk.SiameseNetwork.load(path).eval(), folder, path, out


def test_the_folder_is_format_2_with_two_inputs_and_the_tokenizer(exported):
    model, _, _, out = exported
    config = json.loads((out / "siamkit_onnx.json").read_text())
    assert config["format_version"] == 2 and "input" not in config
    assert config["inputs"] == [{"name": "input_ids", "dtype": "int64", "shape": ["batch", "length"]},
                                {"name": "attention_mask", "dtype": "int64",
                                 "shape": ["batch", "length"]}]
    assert config["storage"] == {"dtype": "int64", "shape": ["batch", "length", 2], "split_axis": 2,
                                 "inputs": ["input_ids", "attention_mask"],
                                 "padding": {"side": "right", "mask": "attention_mask"}}
    assert config["model"] == model.to_config() and config["embedding_dim"] == 32
    tokenizer = config["model"]["adapter"]
    assert tokenizer["type"] == "hf_text" and (out / tokenizer["file"]).is_file()
    import hashlib

    assert hashlib.sha256((out / tokenizer["file"]).read_bytes()).hexdigest() == tokenizer["sha256"]
    assert config["max_abs_difference"]["embeddings"] <= 1e-4


def test_a_reader_of_format_1_refuses_the_folder(exported, monkeypatch):
    out = exported[3]
    config = json.loads((out / "siamkit_onnx.json").read_text())
    # what siamkit's format-1 reader checked, word for word: a version above its own is refused
    assert int(config.get("format_version", 0)) > 1
    monkeypatch.setattr(onnx_folder, "FORMAT_VERSION", 1)
    with pytest.raises(ModelFileError, match="newer format .2.; upgrade siamkit"):
        read_onnx_config(out)


def test_a_format_2_folder_without_its_storage_is_refused(exported, tmp_path):
    copy = shutil.copytree(exported[3], tmp_path / "copy")
    config = json.loads((copy / "siamkit_onnx.json").read_text())
    del config["storage"]
    (copy / "siamkit_onnx.json").write_text(json.dumps(config))
    with pytest.raises(ModelFileError, match="lacks storage"):
        sk.OnnxModel(copy)


@pytest.mark.parametrize("texts", [SENTENCES, SENTENCES[:2], LONG, ["light"], LONG + SENTENCES])
def test_embeddings_agree_on_batches_padded_to_different_lengths(exported, texts):
    model, _, _, out = exported
    runtime = sk.OnnxModel(out, threads=1)
    batch = model.prepare(texts)
    with torch.no_grad():
        want = model.embed(batch)
    torch.testing.assert_close(runtime.embed(batch), want, atol=1e-4, rtol=0)
    torch.testing.assert_close(runtime.embed(texts), want, atol=1e-4, rtol=0)
    # one long row in the batch pads the others: their embeddings do not move
    alone = runtime.embed(texts[-1:])
    torch.testing.assert_close(runtime.embed(LONG[:1] + texts)[-1:], alone, atol=1e-5, rtol=0)


def test_scores_and_decisions_agree(exported):
    model, _, _, out = exported
    runtime = sk.OnnxModel(out)
    with torch.no_grad():
        want = model.similarity(SENTENCES[:3], SENTENCES[3:6])
    torch.testing.assert_close(runtime.similarity(SENTENCES[:3], SENTENCES[3:6]), want,
                               atol=1e-4, rtol=0)
    assert runtime.threshold == model.threshold and runtime.fingerprint == sk.gallery.model_fingerprint(model)
    torch.testing.assert_close(runtime.encode(SENTENCES * 5, batch_size=8),
                               model.encode(SENTENCES * 5), atol=1e-4, rtol=0)


def test_the_graph_takes_what_the_hugging_face_tokenizer_returns(exported):
    """Fed by transformers' own tokenizer of the original folder (not siamkit's adapter), the
    graph gives the PyTorch model's embeddings: the two inputs are the usual ones."""
    from transformers import AutoTokenizer

    from siamkit.runtime import inference_session

    model, folder, _, out = exported
    hf = AutoTokenizer.from_pretrained(str(folder))
    feeds = hf(SENTENCES, padding=True, truncation=True, max_length=32, return_tensors="np",
               return_token_type_ids=False)
    session = inference_session(out / "model.onnx", threads=1)
    got = session.run(None, {k: v.astype(np.int64) for k, v in feeds.items()})[0]
    with torch.no_grad():
        want = model.encode(SENTENCES).numpy()
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_the_folder_alone_embeds_texts(exported, tmp_path):
    model, _, path, out = exported
    with torch.no_grad():
        want = model.encode(SENTENCES)
    alone = shutil.copytree(out, tmp_path / "alone")  # no model.safetensors, no HF folder beside it
    assert not any(p.name.endswith(".safetensors") for p in alone.rglob("*"))
    torch.testing.assert_close(sk.OnnxModel(alone).encode(SENTENCES), want, atol=1e-4, rtol=0)


def test_a_batch_of_the_wrong_form_is_refused(exported):
    runtime = sk.OnnxModel(exported[3])
    with pytest.raises(DataError, match=r"\[B, L, 2\] batches \(input_ids \+ attention_mask\)"):
        runtime.run(np.zeros((2, 5), dtype=np.int64))


def test_encode_of_many_texts_in_length_chunks_equals_one_text_at_a_time(exported, monkeypatch):
    """Both engines' ``encode`` sort and chunk by tokens (siamkit.length_chunks) and give each row
    back in input order: equal to embedding each text alone, whatever the chunking."""
    model, _, _, out = exported
    runtime = sk.OnnxModel(out)
    texts = [LONG[i % 2] if i % 5 == 0 else SENTENCES[i % len(SENTENCES)] for i in range(37)]
    alone = torch.cat([model.embed([t]) for t in texts]).detach()
    for max_rows in (1, 4, 256):
        torch.testing.assert_close(model.encode(texts, batch_size=max_rows), alone,
                                   atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(runtime.encode(texts, batch_size=max_rows), alone,
                                   atol=1e-4, rtol=1e-4)
    calls = []
    real_embed = model.embed
    monkeypatch.setattr(model, "embed", lambda part: calls.append(len(part)) or real_embed(part))
    many = texts * 5
    sizes = model.adapter.sizes(many)
    model.encode(many, batch_size=256)
    assert sum(calls) == len(many) and len(calls) > 1
    # the longest texts come first, 2048 // their length to a chunk; shorter ones more to a chunk
    assert calls[0] == 2048 // int(max(sizes)) < len(many)
    assert max(calls) <= 2048 // int(min(sizes))
