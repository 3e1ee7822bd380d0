"""Training on a CUDA device: placement, float32 agreement with the CPU, float16 autocast with the
gradient scaler, bfloat16 autocast, and resuming a mixed-precision run (``cuda`` marker: skipped
without a GPU)."""

from __future__ import annotations

import pytest
import torch

import siamkit as sk
from siamkit.data import make_loader
from siamkit.losses import BatchAllTripletLoss, ContrastiveLoss
from siamkit.training import Callback, load_checkpoint

from cuda_helpers import (
    assert_close_weights,
    image_model,
    images,
    mlp_model,
    needs_cuda,
    vector_pairs,
    weights,
)

pytestmark = needs_cuda


class RecordingBatchAll(BatchAllTripletLoss):
    """Batch-all triplet loss that remembers the dtype and device of what it was fed."""

    def forward(self, embeddings, labels):
        self.seen = (embeddings.dtype, embeddings.device.type)
        return super().forward(embeddings, labels)


def encoder_output_dtypes(model: sk.SiameseNetwork) -> list[torch.dtype]:
    """The dtypes the encoder's projection returns, recorded as training runs."""
    seen: list[torch.dtype] = []
    model.encoder.register_forward_hook(lambda mod, inp, out: seen.append(out.dtype))
    return seen


def fit_images(amp, epochs: int = 3, **trainer_options):
    data = images()
    model = image_model()
    loss = RecordingBatchAll(margin=0.5, distance="cosine")
    dtypes = encoder_output_dtypes(model)
    loader = make_loader("labelled", data, 80, seed=0, samples_per_class=8)
    trainer = sk.Trainer(model, loss, optimizer="adamw", lr=3e-3, epochs=epochs, device="cuda",
                         amp=amp, progress=False, **trainer_options)
    history = trainer.fit(loader)
    return trainer, model, loss, history, dtypes


def test_auto_device_trains_on_the_gpu_and_encode_returns_cpu_float32(tmp_path):
    data = images()
    model = image_model()
    loader = make_loader("labelled", data, 80, seed=0, samples_per_class=8)
    trainer = sk.Trainer(model, BatchAllTripletLoss(margin=0.5, distance="cosine"), lr=3e-3,
                         epochs=3, device="auto", amp=False, progress=False)
    history = trainer.fit(loader)
    assert trainer.device_.type == "cuda"
    assert all(p.device.type == "cuda" for p in model.parameters())
    losses = history["train_loss"]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]
    with torch.backends.cudnn.flags(enabled=True, allow_tf32=False):  # full float32 convolutions
        out = model.encode(data.x[:50])
    assert out.device.type == "cpu" and out.dtype == torch.float32 and out.shape == (50, 16)
    model.save(tmp_path / "model")  # saved from the GPU, loaded on the CPU by default
    loaded = sk.SiameseNetwork.load(tmp_path / "model")
    assert loaded.device.type == "cpu"
    torch.testing.assert_close(loaded.encode(data.x[:50]), out, atol=1e-4, rtol=1e-4)


def test_float32_on_the_gpu_matches_the_cpu():
    """Matrix products only (an MLP, TF32 off by default for matmul): the GPU must agree with the
    CPU to rounding after a few optimizer steps from the same weights on the same batches."""
    data = vector_pairs()
    runs = {}
    for device in ("cpu", "cuda"):
        model = mlp_model()
        loader = make_loader("pairs", data, 64, seed=0)
        sk.Trainer(model, ContrastiveLoss(margin=1.0), lr=1e-2, epochs=2, device=device,
                   amp=False, progress=False, seed=0).fit(loader)
        runs[device] = weights(model)
    assert_close_weights(runs["cuda"], runs["cpu"], atol=1e-4)


def test_float16_autocast_trains_with_the_gradient_scaler():
    trainer, model, loss, history, dtypes = fit_images("fp16")
    assert trainer.amp_dtype_ is torch.float16
    assert trainer.scaler_.is_enabled() and trainer.scaler_.get_scale() > 0
    assert torch.float16 in dtypes  # the encoder ran under float16 autocast
    assert loss.seen == (torch.float32, "cuda")  # the loss sees float32 embeddings
    assert all(p.dtype == torch.float32 for p in model.parameters())  # master weights stay fp32
    losses = history["train_loss"]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]


def test_bfloat16_autocast_trains_without_a_scaler_and_validates():
    data = images(160, seed=1)
    val = make_loader("labelled", data, 80, seed=0, samples_per_class=8, shuffle=False)
    trainer, model, loss, history, dtypes = fit_images("bf16")
    assert trainer.amp_dtype_ is torch.bfloat16 and not trainer.scaler_.is_enabled()
    assert torch.bfloat16 in dtypes and loss.seen == (torch.float32, "cuda")
    losses = history["train_loss"]
    assert all(torch.isfinite(torch.tensor(losses))) and losses[-1] < losses[0]
    logs = sk.training.validate(model, loss, val, "labelled", torch.bfloat16)
    assert 0.0 <= logs["val_recall_at_1"] <= 1.0 and logs["val_loss"] == logs["val_loss"]


def test_amp_auto_picks_bfloat16_where_the_gpu_has_it():
    trainer, *_ = fit_images("auto", epochs=1)
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    assert trainer.amp_dtype_ is expected


class ScaleLog(Callback):
    def __init__(self) -> None:
        self.scales: list[float] = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.scales.append(trainer.scaler_.get_scale())


@pytest.mark.parametrize("amp", ["fp16", "bf16"])
def test_a_resumed_mixed_precision_run_ends_where_the_straight_run_does(tmp_path, amp):
    """Dropout draws from the CUDA generator and float16 steps depend on the scaler's scale: a
    run resumed after epoch 2 matches the straight 3-epoch run only if both are restored."""
    data = vector_pairs()

    def run(epochs, ckpt, resume=None):
        model = mlp_model(dropout=0.2)
        log = ScaleLog()
        trainer = sk.Trainer(model, ContrastiveLoss(margin=1.0), lr=1e-2, epochs=epochs,
                             device="cuda", amp=amp, progress=False, seed=0,
                             checkpoint_dir=ckpt, callbacks=[log])
        trainer.fit(make_loader("pairs", data, 64, seed=0), resume=resume)
        return trainer, weights(model), log

    _, straight, straight_log = run(3, tmp_path / "straight")
    first, _, _ = run(2, tmp_path / "resumed")
    if amp == "fp16":
        saved = load_checkpoint(tmp_path / "resumed" / "last.pt")["scaler"]
        assert saved and saved["scale"] == first.scaler_.get_scale()
    resumed, resumed_weights, resumed_log = run(3, tmp_path / "resumed", resume=True)
    assert resumed.epoch_ == 3
    assert resumed_log.scales[-1] == straight_log.scales[-1]
    assert_close_weights(resumed_weights, straight, atol=1e-6)
