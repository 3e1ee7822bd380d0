"""RNN encoder on subword ids [B, L, 1 + K]: fastText token vectors, padding, save/load with a model."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.adapters import TextAdapter
from siamkit.data import Tokenizer
from siamkit.encoders import create_encoder

IDS = torch.tensor([[[4, 9, 11, 0], [5, 12, 0, 0], [0, 0, 0, 0]],
                    [[6, 13, 14, 15], [0, 0, 0, 0], [0, 0, 0, 0]]])


def test_token_vector_is_the_mean_of_word_and_ngram_vectors():
    enc = create_encoder("rnn", vocab_size=20, token_dim=4, hidden_dim=3).eval()
    w = enc.embedding.weight.detach()
    # A plain loop: each real position, the mean of its non-zero ids' rows; padding positions unused.
    first = torch.stack([w[[4, 9, 11]].mean(0), w[[5, 12]].mean(0)])
    out, _ = enc.rnn(first.unsqueeze(0))
    torch.testing.assert_close(enc(IDS)[0], out.mean(dim=1)[0])
    second, _ = enc.rnn(w[[6, 13, 14, 15]].mean(0).view(1, 1, 4))
    torch.testing.assert_close(enc(IDS)[1], second[0, 0])


@pytest.mark.parametrize("pooling", ["mean", "max", "last"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_in_length_and_ngram_axes_does_not_change_the_embedding(pooling, bidirectional):
    enc = create_encoder("rnn", vocab_size=20, token_dim=6, hidden_dim=5, pooling=pooling,
                         bidirectional=bidirectional).eval()
    wider = torch.nn.functional.pad(IDS, (0, 3, 0, 4))  # 3 more n-gram slots, 4 more positions
    torch.testing.assert_close(enc(IDS), enc(wider))
    torch.testing.assert_close(enc(IDS[1:, :1]), enc(IDS)[1:])  # alone, without a longer neighbour


def test_word_ids_alone_equal_plain_token_ids():
    enc = create_encoder("rnn", vocab_size=20, token_dim=6, hidden_dim=5).eval()
    words = IDS[..., 0]
    torch.testing.assert_close(enc(words.unsqueeze(2)), enc(words))


def test_padding_row_gets_no_gradient():
    enc = create_encoder("rnn", vocab_size=20, token_dim=4, hidden_dim=3)
    enc(IDS).sum().backward()
    grad = enc.embedding.weight.grad
    assert (grad[0] == 0).all() and (grad[[4, 9, 11, 5, 12, 6, 13]] != 0).any(dim=1).all()


def test_bad_shapes():
    enc = create_encoder("rnn", vocab_size=20)
    with pytest.raises(ValueError, match=r"subword \[B, L, 1 \+ K\]"):
        enc(IDS.unsqueeze(0))
    with pytest.raises(ValueError, match="vocab_size 20"):
        enc(IDS + 10)


def test_text_model_with_subwords_saves_and_reloads(tmp_path):
    texts = ["The LORD is my shepherd", "I shall not want", "He maketh me to lie down"]
    tok = Tokenizer(oov_buckets=5, subword_ngrams=(3, 5), subword_buckets=64).fit(texts)
    enc = create_encoder("rnn", vocab_size=tok.vocab_size, token_dim=8, hidden_dim=6, normalize=True)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=TextAdapter(tok, max_length=16)).eval()
    assert model.prepare(texts).dim() == 3
    model.save(tmp_path / "t")
    loaded = sk.SiameseNetwork.load(tmp_path / "t")
    assert loaded.adapter.tokenizer.to_dict() == tok.to_dict()
    probe = ["Jesus is my shepherd", "an unseen sentence entirely"]
    torch.testing.assert_close(loaded.embed(probe), model.embed(probe), atol=1e-6, rtol=0)
    # An unseen word is not one shared <unk>: two different names give two different embeddings.
    assert not torch.allclose(model.embed(["Jesus"]), model.embed(["Peter"]))
