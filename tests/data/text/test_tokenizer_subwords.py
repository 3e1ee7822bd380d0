"""Tokenizer subwords (fastText character n-grams): ids, compact table, JSON round trip, errors."""

from __future__ import annotations

import json
import zlib

import numpy as np
import pytest
import torch

from siamkit.data import Tokenizer
from siamkit.data.batches.sources import TextSource
from siamkit.data.text.subwords import char_ngrams
from siamkit.errors import ConfigError

TEXTS = ["Paul said unto them.", "And Saul said, Go.", "the cat sat"]


def subword_tok(**kw) -> Tokenizer:
    return Tokenizer(subword_ngrams=(3, 4), subword_buckets=1000, **kw).fit(TEXTS)


def test_char_ngrams_of_a_wrapped_word_worked_by_hand():
    assert char_ngrams("paul", 3, 4) == ["<pa", "pau", "aul", "ul>", "<pau", "paul", "aul>"]
    assert char_ngrams("a", 3, 5) == ["<a>"]  # a 1-letter word: its wrapped self only
    assert char_ngrams("a", 4, 5) == []


def test_ids_are_word_then_hashed_ngrams_after_vocab_and_oov_buckets():
    tok = subword_tok(oov_buckets=5)
    offset = len(tok.vocab_) + 5
    assert tok.vocab_size == offset + 1000
    ids = tok.encode(["paul preached"])
    assert ids.shape == (1, 2, 1 + 15)  # "<preached>": 8 three-grams + 7 four-grams; "<paul>": 7
    paul, preached = ids[0].tolist()
    assert paul[0] == tok.token_to_id_["paul"]
    assert preached[0] == len(tok.vocab_) + zlib.crc32(b"preached") % 5  # an OOV bucket, as without subwords
    # Hand-computed crc32("<pa") % 1000 = 574: the hash must not change between processes/versions.
    assert paul[1] == offset + 574
    assert paul[1:8] == [offset + zlib.crc32(g.encode()) % 1000 for g in char_ngrams("paul", 3, 4)]
    assert paul[8:] == [0] * 8  # padded to the batch's longest n-gram list
    assert preached[1:] == [offset + zlib.crc32(g.encode()) % 1000 for g in char_ngrams("preached", 3, 4)]


def test_word_column_is_the_plain_tokenizer_and_padding_rows_are_zero():
    texts = ["Paul and Silas sat.", "", "unto"]
    sub, plain = subword_tok(oov_buckets=3), Tokenizer(oov_buckets=3).fit(TEXTS)
    ids, lengths = sub.encode(texts, max_length=4, return_lengths=True)
    words, plain_lengths = plain.encode(texts, max_length=4, return_lengths=True)
    assert torch.equal(ids[..., 0], words) and torch.equal(lengths, plain_lengths)
    assert (ids[1, 1:] == 0).all() and ids[1, 0].tolist()[:2] == [1, 0]  # empty text: one <unk>
    assert int(ids.max()) < sub.vocab_size and (ids[..., 1:][ids[..., 0] == 0] == 0).all()


def test_an_unseen_word_shares_ngram_ids_with_seen_words():
    tok = subword_tok()
    saul, pauls = tok.encode(["saul", "pauls"])[:, 0].tolist()
    assert pauls[0] == tok.unk_id  # no OOV buckets: the word itself is <unk> ...
    assert {"<pa", "pau", "aul"} <= set(char_ngrams("pauls", 3, 4))  # ... but its n-grams are Paul's
    assert len(set(pauls[1:]) & set(tok.encode(["paul"])[0, 0].tolist()[1:])) >= 5
    assert saul != pauls


def test_encode_table_expands_to_encode_and_the_text_source_gathers_the_same_batches():
    tok = subword_tok()
    texts = ["Paul said unto them, Go.", "the cat", "Saul sat", "them"]
    index, lengths, table = tok.encode_table(texts)
    assert len(table) == 1 + len({t for x in texts for t in tok.tokenize(x)}) and not table[0].any()
    assert np.array_equal(table[index], tok.encode(texts).numpy())
    source = TextSource(texts, tok)
    for rows in ([1, 2], [3], [0, 3, 1]):
        expected = tok.encode([texts[i] for i in rows])
        assert torch.equal(source.gather(torch.tensor(rows)), expected)


def test_json_round_trip_keeps_subwords():
    tok = subword_tok(oov_buckets=7)
    again = Tokenizer.from_dict(json.loads(json.dumps(tok.to_dict())))
    assert again.vocab_size == tok.vocab_size and list(again.subword_ngrams) == [3, 4]
    probe = ["Jesus said unto Peter", "Peter answered"]
    assert torch.equal(again.encode(probe), tok.encode(probe))
    assert again.decode(again.encode(probe)) == tok.decode(tok.encode(probe)[..., 0])


@pytest.mark.parametrize("kw, match", [
    ({"subword_buckets": 10}, "subword_ngrams is None"),
    ({"subword_ngrams": (3, 5)}, "subword_buckets: must be at least 1"),
    ({"subword_ngrams": (0, 3), "subword_buckets": 10}, "1 <= min_n <= max_n"),
    ({"subword_ngrams": (5, 3), "subword_buckets": 10}, "1 <= min_n <= max_n"),
    ({"subword_ngrams": "3-5", "subword_buckets": 10}, r"expected \(min_n, max_n\)"),
])
def test_bad_subword_settings_raise_config_errors(kw, match):
    with pytest.raises(ConfigError, match=match):
        Tokenizer(**kw).fit(TEXTS)
    with pytest.raises(ConfigError, match="no subword_ngrams"):
        Tokenizer().fit(TEXTS).encode_table(TEXTS)
