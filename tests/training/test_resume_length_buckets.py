"""Resume with length-bucketed text batches: a tiny BERT trained on pairs of texts batched by
length, crashed in the middle of an epoch and resumed from its step checkpoint, ends with the
weights of the run that was never interrupted (CPU, exactly). Four batches an epoch; the resumed run restarts at batch 3 of epoch 2."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")

import siamkit as sk  # noqa: E402
from siamkit.data import LengthBucketBatchSampler, PairData, make_loader  # noqa: E402
from siamkit.training import load_checkpoint  # noqa: E402
from hf_tiny import WORDS, shared_tiny_bert  # noqa: E402
from resume_worker import Interrupting  # noqa: E402
from training_helpers import assert_same_weights  # noqa: E402


class Crash(RuntimeError):
    pass


def _crash():
    raise Crash("simulated crash")


def _pairs(n=32):
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 20, size=n)
    x1 = [" ".join(rng.choice(WORDS[:30], size=int(k))) for k in sizes]
    x2 = [" ".join(rng.choice(WORDS[:30], size=int(max(1, k + rng.integers(-2, 3))))) for k in sizes]
    return PairData(x1, x2, torch.tensor([1.0, 0.0] * (n // 2)))


def run(folder, loss=None, resume=None, model_seed=0, **kw):
    torch.manual_seed(model_seed)
    enc = sk.encoders.create_encoder("hf_text", path=str(shared_tiny_bert()), max_length=24)
    model = sk.SiameseNetwork(enc, distance="cosine", adapter=enc.input_adapter())
    loader = make_loader("pairs", _pairs(), 8, seed=5, length_buckets=True, bucket_batches=2,
                         tokenizer=model.adapter.tokenizer, max_length=24)
    assert isinstance(loader.sampler, LengthBucketBatchSampler)
    trainer = sk.Trainer(model, loss or Interrupting(0, _crash), epochs=2, lr=1e-3,
                         checkpoint_dir=folder, checkpoint_every_steps=2, progress=False, seed=5,
                         keep_best=False, **kw)
    trainer.fit(loader, resume=resume)
    return trainer, model


def test_a_crash_mid_epoch_resumes_to_the_weights_of_the_straight_run(tmp_path):
    # with layer-wise decay and a per-step schedule too: the fine-tuning recipe they go with
    kw = dict(layer_lr_decay=0.5, warmup_steps=3, step_schedule="linear")
    straight, model = run(tmp_path / "straight", **kw)
    want = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(Crash):
        run(tmp_path / "run", loss=Interrupting(4 + 4, _crash), **kw)  # epoch 2, batch 4
    ckpt = load_checkpoint(tmp_path / "run")
    assert (ckpt["epoch"], ckpt["batch"], ckpt["step"]) == (1, 2, 6)
    trainer, model = run(tmp_path / "run", resume=True, model_seed=7, **kw)
    assert_same_weights(model, want)
    assert [e["train_loss"] for e in trainer.history_.to_dict()["epochs"]] == \
        [e["train_loss"] for e in straight.history_.to_dict()["epochs"]]
