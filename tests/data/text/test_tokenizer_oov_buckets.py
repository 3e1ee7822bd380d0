"""Tokenizer OOV buckets (the hashing trick): stable hashed ids for words outside the vocabulary."""

from __future__ import annotations

import json
import zlib

import pytest
import torch

from siamkit.adapters import TextAdapter, adapter_from_config
from siamkit.data import Tokenizer
from siamkit.errors import ConfigError

TEXTS = ["The cat sat.", "the dog sat!", "A cat, a dog."]


def test_without_buckets_nothing_changes():
    tok = Tokenizer().fit(TEXTS)
    assert tok.oov_buckets == 0 and tok.vocab_size == len(tok.vocab_) == 10
    assert tok.encode(["zebra cat"]).tolist() == [[1, 4]]


def test_unknown_words_get_crc32_buckets_after_the_vocabulary():
    tok = Tokenizer(oov_buckets=7).fit(TEXTS)
    assert tok.vocab_size == 10 + 7
    # Worked by hand from the definition: id = len(vocab) + crc32(token) % buckets.
    expected = [10 + zlib.crc32(w.encode("utf-8")) % 7 for w in ("zebra", "yak")]
    ids = tok.encode(["Zebra cat yak", "zebra"])
    assert ids.tolist() == [[expected[0], 4, expected[1]], [expected[0], 0, 0]]
    assert int(ids.max()) < tok.vocab_size


def test_same_unknown_word_same_id_in_any_process_and_after_a_reload():
    tok = Tokenizer(oov_buckets=1000).fit(TEXTS)
    again = Tokenizer.from_dict(json.loads(json.dumps(tok.to_dict())))
    assert again.oov_buckets == 1000 and again.vocab_size == tok.vocab_size
    texts = ["Jesus said unto Peter", "Peter answered Jesus"]
    assert torch.equal(tok.encode(texts), again.encode(texts))
    a, b = tok.encode(texts).tolist()
    assert a[0] == b[2] and a[3] == b[0]  # "jesus", "peter": one id each, wherever they occur


def test_words_rarer_than_min_freq_share_buckets_seen_in_training():
    tok = Tokenizer(min_freq=2, oov_buckets=4).fit(TEXTS + ["a unicorn"])
    assert "unicorn" not in tok.vocab_
    assert int(tok.encode("unicorn")[0, 0]) >= len(tok.vocab_)


def test_empty_text_is_still_one_unk_and_decode_names_buckets():
    tok = Tokenizer(oov_buckets=3).fit(TEXTS)
    assert tok.encode([""]).tolist() == [[1]]
    bucket = zlib.crc32(b"zebra") % 3
    assert tok.decode(tok.encode(["the zebra"])) == [f"the <unk:{bucket}>"]


def test_text_adapter_round_trip_keeps_the_buckets():
    tok = Tokenizer(oov_buckets=5).fit(TEXTS)
    adapter = adapter_from_config(TextAdapter(tok).to_config())
    assert torch.equal(adapter.prepare(["a zebra"]), tok.encode(["a zebra"]))


def test_negative_buckets_are_refused():
    with pytest.raises(ConfigError, match="oov_buckets"):
        Tokenizer(oov_buckets=-1).fit(TEXTS)
