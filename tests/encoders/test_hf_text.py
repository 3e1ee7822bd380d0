"""The ``hf_text`` encoder and its tokenizer adapter on a tiny random BERT written in the test.

Oracles: ``transformers``' own ``BertModel`` outputs pooled by hand, row by row, and its own
``AutoTokenizer`` for the ids, padding and truncation."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from hf_tiny import SENTENCES, write_tiny_bert  # noqa: E402
from siamkit.hf_text_adapter import HFTextAdapter  # noqa: E402


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_tiny_bert(tmp_path_factory.mktemp("hf") / "tiny")


def reference_states(folder, texts, max_length=64):
    """Last hidden states and masks from transformers itself (tokenizer + BertModel)."""
    from transformers import AutoTokenizer, BertModel

    tok = AutoTokenizer.from_pretrained(str(folder))
    batch = tok(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    model = BertModel.from_pretrained(str(folder)).eval()
    with torch.no_grad():
        states = model(input_ids=batch["input_ids"],
                       attention_mask=batch["attention_mask"]).last_hidden_state
    return states, batch["attention_mask"], batch["input_ids"]


@pytest.mark.parametrize("pooling", ["mean", "cls", "max"])
def test_pooling_matches_a_hand_computation_over_transformers_outputs(tiny, pooling):
    states, mask, _ = reference_states(tiny, SENTENCES)
    expected = []
    for row in range(len(SENTENCES)):  # by hand: only the real tokens of each row
        real = states[row, : int(mask[row].sum())]
        expected.append({"mean": real.mean(0), "cls": real[0], "max": real.max(0).values}[pooling])
    expected = torch.stack(expected)
    enc = sk.encoders.create_encoder("hf_text", path=str(tiny), pooling=pooling).eval()
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.make_adapter())
    torch.testing.assert_close(model.encode(SENTENCES), expected, atol=1e-5, rtol=1e-5)
    normed = sk.encoders.create_encoder("hf_text", path=str(tiny), pooling=pooling,
                                        normalize=True).eval()
    out = sk.SiameseNetwork(normed, adapter=normed.make_adapter()).encode(SENTENCES)
    torch.testing.assert_close(out, torch.nn.functional.normalize(expected, dim=1), atol=1e-5,
                               rtol=1e-5)


@pytest.mark.parametrize("with_json", [True, False])
def test_ids_padding_and_truncation_match_autotokenizer(tmp_path, with_json):
    from transformers import AutoTokenizer

    folder = write_tiny_bert(tmp_path / "t", with_tokenizer_json=with_json)
    for max_length in (64, 6):
        enc = sk.encoders.create_encoder("hf_text", path=str(folder), max_length=max_length)
        x = enc.make_adapter().prepare(SENTENCES)
        ref = AutoTokenizer.from_pretrained(str(folder))(
            SENTENCES, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        torch.testing.assert_close(x[..., 0], ref["input_ids"])
        torch.testing.assert_close(x[..., 1], ref["attention_mask"])
    assert x.shape[1] == 6 and (x[x[..., 1].sum(1) == 6][:, -1, 0] == 3).all()  # [SEP] kept


def test_a_text_embeds_the_same_alone_or_padded_in_a_batch(tiny):
    enc = sk.encoders.create_encoder("hf_text", path=str(tiny)).eval()
    model = sk.SiameseNetwork(enc, adapter=enc.make_adapter())
    together = model.encode(SENTENCES)
    alone = torch.cat([model.encode([s]) for s in SENTENCES])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-5)
    # Sorted by length in chunks of 2 (model.encode's order), rows back in input order.
    torch.testing.assert_close(model.encode(SENTENCES, batch_size=2), alone, atol=1e-5, rtol=1e-5)
    prepared = model.adapter.prepare(SENTENCES)
    torch.testing.assert_close(model.encode(prepared, batch_size=3), alone, atol=1e-5, rtol=1e-5)


def test_storage_form_marks_a_literal_pad_token_as_a_real_token(tiny):
    adapter = sk.encoders.create_encoder("hf_text", path=str(tiny)).make_adapter()
    x = adapter.prepare(["light [PAD] light", "light"])
    assert x.shape == (2, 5, 2)
    assert x[0, :, 0].tolist() == [2, 13, 0, 13, 3] and x[0, :, 1].tolist() == [1] * 5
    assert x[1, :, 1].tolist() == [1, 1, 1, 0, 0]
    assert adapter(x[1:, :, :]).shape == (1, 3, 2)  # forward trims to the batch's longest


def test_save_and_load_need_neither_the_original_folder_nor_the_hub(tmp_path, monkeypatch):
    import shutil

    folder = write_tiny_bert(tmp_path / "orig")
    enc = sk.encoders.create_encoder("hf_text", path=str(folder), pooling="max", normalize=True,
                                     max_length=12)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.make_adapter())
    with torch.no_grad():  # weights unlike the folder's: the saved ones must be what comes back
        enc.backbone.encoder.layer[0].output.dense.bias.add_(0.5)
    before = model.encode(SENTENCES)
    model.save(tmp_path / "model")
    shutil.rmtree(folder)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    back = sk.SiameseNetwork.load(tmp_path / "model")
    assert isinstance(back.adapter, HFTextAdapter) and back.adapter.max_length == 12
    assert back.encoder.pooling == "max" and back.encoder.normalize
    torch.testing.assert_close(back.encode(SENTENCES), before, atol=1e-6, rtol=1e-6)
    assert (tmp_path / "model" / "backbone" / "config.json").is_file()
    assert (tmp_path / "model" / "tokenizer" / "tokenizer.json").is_file()
    assert not any(k.startswith("encoder.backbone.pooler") for k in back.state_dict())


def test_default_max_length_follows_sentence_transformers_then_the_tokenizer(tmp_path):
    import json

    folder = write_tiny_bert(tmp_path / "t")
    enc = sk.encoders.create_encoder("hf_text", path=str(folder))
    assert enc.make_adapter().max_length == 64  # tokenizer_config model_max_length, <= positions
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 9}))
    assert enc.make_adapter().max_length == 9
    with pytest.raises(sk.errors.ConfigError, match="exceeds the model's 64 positions"):
        sk.encoders.create_encoder("hf_text", path=str(folder), max_length=65)


def test_bad_arguments_are_named(tiny):
    with pytest.raises(sk.errors.ConfigError, match="unknown pooling 'sum'"):
        sk.encoders.create_encoder("hf_text", path=str(tiny), pooling="sum")
    enc = sk.encoders.create_encoder("hf_text", path=str(tiny))
    with pytest.raises(ValueError, match=r"\[B, L, 2\]"):
        enc(torch.ones(2, 5, dtype=torch.long))
    with pytest.raises(sk.errors.DataError, match="empty"):
        enc.make_adapter().prepare([])
