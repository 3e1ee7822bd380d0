"""A text model given nonsense says so (issue 18, item 2): an empty text is an error; a text none
of whose words the model knows, or a file path, is scored with a warning; `siamkit verify` gives
no decision for a text it cannot read; the HTTP service runs the same checks."""

from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pytest
import torch

import siamkit as sk
from siamkit.adapters import TextAdapter
from siamkit.cli import main
from siamkit.data.text import Tokenizer
from siamkit.errors import DataError, SiamkitWarning
from siamkit.inputs import read_inputs
from siamkit.text_checks import knows_no_word, looks_like_path, text_warnings

TEXTS = ["how do i learn python", "what is the best way to learn python", "hello world"]


def text_model(**tokenizer) -> sk.SiameseNetwork:
    torch.manual_seed(0)
    tok = Tokenizer(**tokenizer).fit(TEXTS)
    enc = sk.encoders.create_encoder("rnn", vocab_size=tok.vocab_size, embedding_dim=8,
                                     token_dim=8, hidden_dim=8)
    return sk.SiameseNetwork(enc, distance="cosine", adapter=TextAdapter(tok),
                             threshold=0.5).eval()


@pytest.fixture
def saved(tmp_path) -> Path:
    return text_model().save(tmp_path / "text_model")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("empty", ["", "   ", "\t"])
def test_an_empty_text_is_an_error(capsys, saved, empty):
    code, out, err = run(capsys, "verify", saved, empty, "hello")
    lines = err.strip().splitlines()
    assert code == 1 and out == "" and len(lines) == 1 and "Traceback" not in err
    assert lines[0] == f"siamkit: error: A ({empty!r}): empty text; a text model needs at least one word to compare"
    with pytest.raises(DataError, match="empty text"):
        read_inputs(text_model(), ["hello", empty])


def test_unknown_words_score_one_and_get_no_decision(capsys, saved):
    # Both texts become one <unk> row of length 2: identical to the model, whatever they say.
    code, out, err = run(capsys, "verify", saved, "zebra quantum", "violin asparagus", "--json")
    data = json.loads(out)
    assert code == 0 and data["score"] == pytest.approx(1.0)
    assert data["same"] is None and data["no_decision"] == "A and B: no word the model knows"
    said = [line for line in err.splitlines() if line.startswith("siamkit: warning:")]
    assert len(said) == 2 and "A ('zebra quantum'): none of its words is in the model's" in said[0]
    code, out, err = run(capsys, "verify", saved, "zebra quantum", "hello world")
    assert "decision   none: A: no word the model knows (the score is not evidence)" in out


def test_known_words_are_decided_quietly(capsys, saved):
    code, out, err = run(capsys, "verify", saved, "how do i learn python", "learn python")
    assert code == 0 and err == "" and ("decision   same" in out or "decision   different" in out)


def test_paths_given_to_a_text_model_are_flagged(capsys, saved, tmp_path):
    existing = tmp_path / "photo"
    existing.write_bytes(b"\x89PNG")
    code, out, err = run(capsys, "verify", saved, "a.png", existing, "--json")
    said = [line for line in err.splitlines() if line.startswith("siamkit: warning:")]
    assert code == 0 and len(said) == 2
    assert "A ('a.png'): looks like a file path, but this is a text model" in said[0]
    assert f"B ({str(existing)[:60]!r}): looks like a file path" in said[1]
    assert "none of its words" in said[1]  # the words of a temporary path are unknown too


def test_what_looks_like_a_path():
    assert looks_like_path("faces/alice_1.jpg") and looks_like_path("x.NPY")
    assert not looks_like_path("see photo.jpg please") and not looks_like_path("version 3.14")
    assert not looks_like_path("Dr. Smith")


def test_subwords_and_foreign_tokenizers_are_not_judged():
    assert not knows_no_word(text_model(subword_ngrams=(3, 4), subword_buckets=50), "zebra")
    assert knows_no_word(text_model(oov_buckets=10), "zebra")
    model = text_model()
    model.adapter.tokenizer = object()  # a user's tokenizer that does not expose its vocabulary
    assert text_warnings(model, ["zebra"], ["A"]) == []


def test_warnings_are_siamkit_warnings_in_python():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        texts, _ = read_inputs(text_model(), ["hello world", "zebra"])
    assert texts == ["hello world", "zebra"]
    assert [w.category for w in caught] == [SiamkitWarning]
    assert str(caught[0].message).startswith("inputs[1] ('zebra'): none of its words")


def _client(model):
    spec = importlib.util.spec_from_file_location(
        "serve_helpers", Path(__file__).parent / "serve" / "serve_helpers.py")
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    return helpers.make_client(model, with_gallery=False)


def test_the_service_runs_the_same_checks():
    client = _client(text_model())
    r = client.post("/api/similarity", json={"a": {"texts": [""]}, "b": {"texts": ["hello"]}})
    assert r.status_code == 422 and "a: texts[0] (''): empty text" in r.text
    r = client.post("/api/verify", json={"a": {"texts": ["zebra", "hello world"]},
                                         "b": {"texts": ["hello", "cat.png"]}})
    body = r.json()
    assert r.status_code == 200 and len(body["warnings"]) == 2
    assert body["warnings"][0].startswith("a: texts[0] ('zebra'): none of its words")
    assert body["warnings"][1].startswith("b: texts[1] ('cat.png'): looks like a file path")
    r = client.post("/api/similarity", json={"a": {"texts": ["hello"]}, "b": {"texts": ["world"]}})
    assert r.json()["warnings"] == []


def test_the_service_gives_no_decision_for_a_text_of_unknown_words():
    # as `siamkit verify` does: the score of "zebra" compares placeholders, not texts
    client = _client(text_model())
    r = client.post("/api/verify", json={"a": {"texts": ["zebra", "hello world", "learn python"]},
                                         "b": {"texts": ["hello", "violin", "how do i learn"]}})
    body = r.json()
    assert r.status_code == 200 and body["same"][:2] == [None, None]
    assert isinstance(body["same"][2], bool)
    assert [w.split(":")[0] for w in body["warnings"]] == ["a", "b"]
