"""A checkpoint or model that cannot be written: an error naming the file and the problem, and
the previous file kept (fault injection, and a real full tmpfs where mounting is allowed)."""

from __future__ import annotations

import pytest
import torch
from faulty_files import fill, tiny_filesystem
from training_helpers import Contrastive, batches, tiny_model

import siamkit as sk
from siamkit.errors import WriteError
from siamkit.training import checkpoint as ckpt_mod
from siamkit.training.checkpoint import load_checkpoint, save_checkpoint

TORCH_FULL_DISK = "[enforce fail at inline_container.cc:672] . unexpected pos 1280 vs 1164"


def _train(folder, epochs, resume=None):
    sk.Trainer(tiny_model(), Contrastive(), epochs=epochs, progress=False,
               checkpoint_dir=folder).fit(batches("pairs", 2), resume=resume)


def test_torch_failing_in_mid_write_names_the_checkpoint(tmp_path, monkeypatch):
    _train(tmp_path, epochs=1)
    good = (tmp_path / "last.pt").read_bytes()

    def full_disk(obj, f, *args, **kwargs):
        with open(f, "wb") as fh:
            fh.write(b"PK\x03\x04 partial")
        raise RuntimeError(TORCH_FULL_DISK)

    monkeypatch.setattr(ckpt_mod.torch, "save", full_disk)
    with pytest.raises(WriteError) as info:
        _train(tmp_path, epochs=2, resume=True)
    message = str(info.value)
    assert message.startswith(f"checkpoint {tmp_path / 'last.pt'}: could not be written")
    assert "unexpected pos" in message and "free on its filesystem" in message
    assert (tmp_path / "last.pt").read_bytes() == good


def test_a_cut_short_archive_is_not_renamed_over_the_checkpoint(tmp_path, monkeypatch):
    save_checkpoint(tmp_path / "last.pt", {"epoch": 1})
    real_save = torch.save

    def silently_short(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        with open(f, "r+b") as fh:
            fh.truncate(40)

    monkeypatch.setattr(ckpt_mod.torch, "save", silently_short)
    with pytest.raises(WriteError, match="last.pt: the written file is unusable"):
        save_checkpoint(tmp_path / "last.pt", {"epoch": 2})
    monkeypatch.undo()
    assert load_checkpoint(tmp_path)["epoch"] == 1


def test_model_save_that_fails_names_the_weights_file(tmp_path, monkeypatch):
    import safetensors.torch as st

    model = sk.SiameseNetwork(sk.encoders.create_encoder("mlp", input_dim=3, embedding_dim=2,
                                                         hidden_dims=[4]))
    model.save(tmp_path / "m")
    good = (tmp_path / "m" / "model.safetensors").read_bytes()

    def short(state, filename, metadata=None):
        with open(filename, "wb") as fh:
            fh.write(b"\x10\x00")

    monkeypatch.setattr(st, "save_file", short)
    with pytest.raises(WriteError, match="model.safetensors: the written file is unusable"):
        model.save(tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").read_bytes() == good


def test_a_really_full_disk_while_checkpointing(tmp_path):
    with tiny_filesystem(tmp_path / "disk", 512 * 1024) as disk:
        save_checkpoint(disk / "last.pt", {"epoch": 1, "w": torch.zeros(10)})
        fill(disk, leave=8 * 1024)
        with pytest.raises(WriteError) as info:
            save_checkpoint(disk / "last.pt", {"epoch": 2, "w": torch.zeros(100_000)})
        assert str(disk / "last.pt") in str(info.value)
        assert "full" in str(info.value) or "no space" in str(info.value)
        assert load_checkpoint(disk / "last.pt")["epoch"] == 1
