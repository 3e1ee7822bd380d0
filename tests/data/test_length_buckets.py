"""LengthBucketBatchSampler: every example once per epoch, less padding, seeded plans."""

import numpy as np

from siamkit.data.batches.length_buckets import LengthBucketBatchSampler
from siamkit.data.batches.samplers import RandomBatchSampler


def _padding(sampler, lengths):
    return sum(int(lengths[b].max() * len(b) - lengths[b].sum())
               for b in (x.numpy() for x in sampler))


def test_every_example_once_and_less_padding():
    lengths = np.random.default_rng(0).integers(1, 64, size=1000)
    bucketed = LengthBucketBatchSampler(lengths, 32, seed=3, bucket_batches=8)
    plain = RandomBatchSampler(len(lengths), 32, seed=3)
    for epoch in range(2):
        bucketed.set_epoch(epoch)
        plain.set_epoch(epoch)
        seen = np.concatenate([b.numpy() for b in bucketed])
        assert sorted(seen.tolist()) == list(range(1000))
        assert len(list(bucketed)) == len(bucketed)
        assert _padding(bucketed, lengths) < 0.25 * _padding(plain, lengths)


def test_same_seed_same_plan_other_seed_other_plan():
    lengths = np.arange(200) % 17
    plans = []
    for seed in (1, 1, 2):
        s = LengthBucketBatchSampler(lengths, 10, seed=seed, bucket_batches=4)
        s.set_epoch(5)
        plans.append([b.tolist() for b in s])
    assert plans[0] == plans[1] and plans[0] != plans[2]


def test_drop_last_keeps_full_batches_only():
    s = LengthBucketBatchSampler(np.arange(105), 10, drop_last=True, bucket_batches=3)
    sizes = [len(b) for b in s]
    assert sizes == [10] * 10 and len(s) == 10


# ---- wired into the text loaders, on a real tokenizer (all-MiniLM-L6-v2's WordPiece) -------------

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

from siamkit.data import LabelledData, LengthBucketBatchSampler as Exported, PairData, make_loader  # noqa: E402
from siamkit.errors import ConfigError  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _minilm import minilm_folder  # noqa: E402

WORDS = ("in the beginning god created heaven and earth light darkness waters firmament "
         "evening morning day night seas dry land grass herb yielding seed fruit tree").split()


@pytest.fixture(scope="module")
def minilm_tokenizer():
    pytest.importorskip("tokenizers")
    folder, why = minilm_folder()
    if folder is None:
        pytest.skip(why)
    from siamkit.data.text.hf_tokenizer import HFTokenizer

    return HFTokenizer.from_folder(folder, 128, "all-MiniLM-L6-v2")


def _texts(n, seed, near=None):
    """``n`` texts of 2 to 60 words, as verses run; ``near``: texts of about the lengths of
    those (within 3 words), as the two sides of a paraphrase pair are."""
    rng = np.random.default_rng(seed)
    sizes = (rng.integers(2, 61, size=n) if near is None else
             np.maximum(2, [len(t.split()) + int(rng.integers(-3, 4)) for t in near]))
    return [" ".join(rng.choice(WORDS, size=int(k))) for k in sizes]


def _padding_fraction(loader):
    pad = total = 0
    for batch in loader:
        for side in batch[:-1] if loader.batch_kind == "pairs" else batch:
            mask = side[..., 1]  # [B, L, 2]: ids, attention mask
            pad, total = pad + int((mask == 0).sum()), total + mask.numel()
    return pad / total


def test_the_loaders_batch_by_length_and_cut_padding(minilm_tokenizer):
    first = _texts(600, 1)
    pairs = PairData(first, _texts(600, 2, near=first), torch.randint(0, 2, (600,)))
    opts = dict(tokenizer=minilm_tokenizer, max_length=128)
    plain = make_loader("pairs", pairs, 16, seed=4, **opts)
    bucketed = make_loader("pairs", pairs, 16, seed=4, length_buckets=True, bucket_batches=8, **opts)
    assert isinstance(bucketed.sampler, Exported)  # re-exported from siamkit.data
    for epoch in (0, 1):
        plain.set_epoch(epoch)
        bucketed.set_epoch(epoch)
        random_pad, bucket_pad = _padding_fraction(plain), _padding_fraction(bucketed)
        print(f"epoch {epoch}: padding {random_pad:.3f} random, {bucket_pad:.3f} bucketed")
        assert bucket_pad < 0.5 * random_pad
        # every pair once, with its own label: bucketing changes the batches, not the data
        rows = [pairs.y[i] for i in torch.cat(list(bucketed.sampler))]
        assert sorted(torch.cat(list(bucketed.sampler)).tolist()) == list(range(600))
        assert torch.equal(torch.cat([b[2] for b in bucketed]), torch.stack(rows))


def test_triplets_of_labelled_texts_bucket_by_the_epochs_triplets(minilm_tokenizer):
    texts = _texts(400, 3)
    data = LabelledData(texts, torch.arange(400) % 40)
    opts = dict(tokenizer=minilm_tokenizer, max_length=128)
    plain = make_loader("triplets", data, 16, seed=2, **opts)
    bucketed = make_loader("triplets", data, 16, seed=2, length_buckets=True, **opts)
    for epoch in (0, 3):
        plain.set_epoch(epoch)
        bucketed.set_epoch(epoch)
        random_pad, bucket_pad = _padding_fraction(plain), _padding_fraction(bucketed)
        print(f"triplets epoch {epoch}: padding {random_pad:.3f} random, {bucket_pad:.3f} bucketed")
        assert bucket_pad < 0.9 * random_pad
        # the same triplets as the random loader draws for the epoch, in other batches
        assert torch.equal(bucketed.table()[0].sort().values, plain.table()[0].sort().values)


def test_the_same_epoch_gives_the_same_batches_so_resume_sees_them(minilm_tokenizer):
    pairs = PairData(_texts(100, 5), _texts(100, 6), torch.ones(100))
    loaders = [make_loader("pairs", pairs, 8, seed=9, length_buckets=True, bucket_batches=4,
                           tokenizer=minilm_tokenizer, max_length=128) for _ in range(2)]
    loaders[0].set_epoch(0)
    list(loaders[0])  # the first loader has seen epoch 0 already, the second has not
    plans = []
    for loader in loaders:
        loader.set_epoch(2)
        plans.append([b.tolist() for b in loader.sampler])
    assert plans[0] == plans[1]


def test_length_buckets_need_texts_and_a_pairs_or_triplets_loader():
    images = LabelledData(torch.zeros(20, 1, 4, 4, dtype=torch.uint8), torch.arange(20) % 4)
    with pytest.raises(ConfigError, match="length_buckets needs texts"):
        make_loader("pairs", images, 4, length_buckets=True)
    with pytest.raises(ConfigError, match="unknown option.*length_buckets"):
        make_loader("labelled", images, 8, length_buckets=True)
