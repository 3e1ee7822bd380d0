"""Word tokenizer: learned vocabulary, padding, never-empty rows, plain JSON round trips."""

from __future__ import annotations

import json

import pytest
import torch

from siamkit.data import Tokenizer
from siamkit.errors import ConfigError, DataError, ModelFileError

TEXTS = ["The cat sat.", "the dog sat!", "A cat, a dog."]


def test_fit_vocabulary_by_frequency_then_alphabet():
    tok = Tokenizer().fit(TEXTS)
    # counts: a 2, cat 2, dog 2, sat 2, the 2, "." 2, "," 1, "!" 1
    assert tok.vocab_ == ["<pad>", "<unk>", ".", "a", "cat", "dog", "sat", "the", "!", ","]
    assert tok.vocab_size == 10


def test_encode_pads_with_zero_and_maps_unknowns():
    tok = Tokenizer().fit(TEXTS)
    ids = tok.encode(["the cat", "A zebra sat ."])
    assert ids.dtype == torch.int64 and ids.shape == (2, 4)
    assert ids.tolist() == [[7, 4, 0, 0], [3, 1, 6, 2]]
    assert tok.decode(ids) == ["the cat", "a <unk> sat ."]


def test_never_an_empty_row_and_lengths():
    tok = Tokenizer().fit(TEXTS)
    ids, lengths = tok.encode(["", "   ", "cat"], return_lengths=True)
    assert ids.tolist() == [[1], [1], [4]] and lengths.tolist() == [1, 1, 1]


def test_max_length_cuts_and_caps_width():
    tok = Tokenizer().fit(TEXTS)
    ids, lengths = tok.encode(["the cat sat .", "a"], max_length=2, return_lengths=True)
    assert ids.tolist() == [[7, 4], [3, 0]] and lengths.tolist() == [2, 1]
    with pytest.raises(ConfigError, match="max_length"):
        tok.encode(["a"], max_length=0)


def test_caps_and_options():
    assert Tokenizer(max_vocab_size=4).fit(TEXTS).vocab_ == ["<pad>", "<unk>", ".", "a"]
    assert "!" not in Tokenizer(min_freq=2).fit(TEXTS).vocab_
    cased = Tokenizer(lowercase=False).fit(TEXTS)
    assert "The" in cased.vocab_ and "the" in cased.vocab_
    assert Tokenizer().fit(["ﬁne Ｃａｔ"]).vocab_[2:] == ["cat", "fine"]  # NFKC then casefold
    assert Tokenizer().tokenize("don't stop—now") == ["don", "'", "t", "stop", "—", "now"]


def test_json_round_trip_is_plain_and_identical(tmp_path):
    tok = Tokenizer(max_vocab_size=50, min_freq=1).fit(TEXTS)
    config = json.loads(json.dumps(tok.to_dict()))
    again = Tokenizer.from_dict(config)
    assert again.vocab_ == tok.vocab_ and torch.equal(again.encode(TEXTS), tok.encode(TEXTS))
    path = tok.save(tmp_path / "tok.json")
    assert torch.equal(Tokenizer.load(path).encode(TEXTS), tok.encode(TEXTS))


@pytest.mark.parametrize("change, message", [
    ({"extra": 1}, "unknown key"),
    ({"vocab": ["a", "b"]}, "must be a list of distinct strings"),
    ({"vocab": ["<pad>", "<unk>", "x", "x"]}, "distinct"),
    ({"type": "bpe"}, "is not 'word'"),
    ({"normalization": "NFX"}, "normalization"),
])
def test_from_dict_errors(change, message):
    config = Tokenizer().fit(TEXTS).to_dict() | change
    with pytest.raises(ConfigError, match=message):
        Tokenizer.from_dict(config)


def test_misuse(tmp_path):
    with pytest.raises(ConfigError, match="not fitted"):
        Tokenizer().encode(["a"])
    with pytest.raises(DataError, match="item 1 is a int"):
        Tokenizer().fit(["a", 3])
    with pytest.raises(DataError, match="no texts"):
        Tokenizer().fit([])
    with pytest.raises(ModelFileError, match="not found"):
        Tokenizer.load(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not a tokenizer JSON"):
        Tokenizer.load(tmp_path / "bad.json")
    with pytest.raises(DataError, match="row 0 holds id 99"):
        Tokenizer().fit(TEXTS).decode([[99]])
