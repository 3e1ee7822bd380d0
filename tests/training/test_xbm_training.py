"""The cross-batch memory in the Trainer: its queue is in the checkpoint and a resumed run ends
where an uninterrupted one does; under torchrun (2 gloo processes) every rank holds the same,
global queue, the one a single process on the same batches holds, with the same weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from siamkit.training import load_checkpoint
from training_helpers import assert_same_weights
from xbm_worker import xbm_fit

HERE = Path(__file__).parent


def test_the_queue_is_checkpointed_and_resume_is_exact(tmp_path):
    whole = xbm_fit(epochs=2)
    xbm_fit(tmp_path / "ckpt", epochs=1)
    saved = load_checkpoint(tmp_path / "ckpt")["loss"]
    assert int(saved["filled"]) == 32 and int(saved["steps"]) == 3  # warm-up step not queued
    resumed = xbm_fit(tmp_path / "ckpt", epochs=2, resume=True)
    assert_same_weights(resumed["weights"], whole["weights"])
    for key, value in whole["queue"].items():
        assert torch.equal(resumed["queue"][key], value), key


@pytest.mark.slow
def test_two_processes_hold_the_global_queue_of_one(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(HERE / "xbm_worker.py"), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    r0, r1 = (torch.load(tmp_path / f"xbm_rank{r}.pt", weights_only=True) for r in range(2))
    single = xbm_fit()
    for key in ("memory", "memory_labels", "filled", "position", "steps"):
        torch.testing.assert_close(r0["queue"][key], r1["queue"][key], rtol=0, atol=0)
        torch.testing.assert_close(r0["queue"][key], single["queue"][key], rtol=0, atol=1e-6)
    assert_same_weights(r0["weights"], single["weights"], atol=1e-6)
    torch.testing.assert_close(r0["train_loss"], single["train_loss"], rtol=1e-6, atol=1e-7)
    assert (tmp_path / "ckpt" / "last.pt").is_file()
