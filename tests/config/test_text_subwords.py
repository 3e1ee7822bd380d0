"""[text] OOV buckets and fastText subwords: parsed, checked, and passed to the tokenizer."""

from __future__ import annotations

import pytest

from siamkit.config import parse_config
from siamkit.config.toml_io import tomllib
from siamkit.data import PairData
from siamkit.errors import ConfigError
from siamkit.experiment.build import build_adapter
from siamkit.experiment.data import Splits


def parse(text: str):
    return parse_config(tomllib.loads(text), "exp.toml")


def test_subword_settings_reach_the_fitted_tokenizer():
    cfg = parse("[text]\noov_buckets = 50\nsubword_ngrams = [3, 5]\nsubword_buckets = 200\n")
    train = PairData(["Paul said", "Saul went"], ["Paul spoke", "Saul left"], [1.0, 1.0])
    tok = build_adapter(cfg, Splits(train, train, train, "text")).tokenizer
    assert (tok.oov_buckets, list(tok.subword_ngrams), tok.subword_buckets) == (50, [3, 5], 200)
    assert tok.vocab_size == len(tok.vocab_) + 250 and tok.encode(["Jesus said"]).dim() == 3


@pytest.mark.parametrize("text, expected", [
    ("subword_ngrams = [3]\nsubword_buckets = 9", "[text] subword_ngrams: must be [min_n, max_n]"),
    ("subword_ngrams = [4, 3]\nsubword_buckets = 9", "[text] subword_ngrams: must be [min_n, max_n]"),
    ("subword_ngrams = [3, 5]", "[text] subword_buckets: must be > 0 with subword_ngrams"),
    ("subword_buckets = 9", "[text] subword_buckets: must be > 0 with subword_ngrams and 0 without"),
    ("oov_buckets = -1", "[text] oov_buckets: must be >= 0"),
])
def test_bad_subword_settings(text, expected):
    with pytest.raises(ConfigError) as info:
        parse("[text]\n" + text)
    assert expected in str(info.value)
