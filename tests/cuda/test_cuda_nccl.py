"""NCCL under torchrun (``cuda`` marker: skipped without a GPU; two processes need two GPUs)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cuda_helpers import assert_close_weights, needs_cuda

pytestmark = needs_cuda
HERE = Path(__file__).parent


def torchrun(processes: int, out: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
           "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           str(processes), str(HERE / "nccl_worker.py"), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(processes)]


def test_one_process_trains_inside_an_nccl_group(tmp_path):
    (result,) = torchrun(1, tmp_path)
    assert result["backend"] == "nccl" and result["world_size"] == 1
    assert result["all_reduce"] == 1.0 and result["device"] == "cuda:0"
    assert all(math.isfinite(v) for v in result["train_loss"])


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 GPUs (NCCL refuses two "
                    "ranks on one GPU)")
def test_two_processes_train_under_ddp_with_nccl_and_agree(tmp_path):
    r0, r1 = torchrun(2, tmp_path)
    assert r0["backend"] == r1["backend"] == "nccl"
    assert r0["all_reduce"] == r1["all_reduce"] == 3.0  # 1 + 2
    assert {r0["device"], r1["device"]} == {"cuda:0", "cuda:1"}
    assert_close_weights(r0["weights"], r1["weights"], atol=0.0)
