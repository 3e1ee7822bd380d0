"""CrossBatchMemory (XBM, Wang et al. 2020) against pytorch-metric-learning's CrossBatchMemory:
the same sequence of batches gives the same loss values and gradients, step by step, with SupCon
and with batch-hard triplets; the queue (FIFO, detached), the warm-up, eval mode, the state in a
checkpoint, and the errors."""

from __future__ import annotations

import pytest
import torch
from loss_helpers import assert_same, value_and_grad
from pytorch_metric_learning import distances as pml_distances
from pytorch_metric_learning import losses as pml_losses
from pytorch_metric_learning import miners as pml_miners
from pytorch_metric_learning import reducers as pml_reducers

from siamkit.errors import ConfigError, DataError
from siamkit.losses import BatchHardTripletLoss, CrossBatchMemory, SupConLoss

DIM = 5


def _batches(n=6, size=8, classes=5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(size, DIM, generator=g, dtype=dtype),
             torch.randint(0, classes, (size,), generator=g)) for _ in range(n)]


def _pml_batch_hard():
    loss = pml_losses.TripletMarginLoss(margin=1.0, reducer=pml_reducers.MeanReducer(),
                                        distance=pml_distances.LpDistance(normalize_embeddings=False))
    return loss, pml_miners.BatchHardMiner(distance=pml_distances.LpDistance(
        normalize_embeddings=False))


CASES = {
    "supcon": (lambda: SupConLoss(0.1), lambda: (pml_losses.SupConLoss(0.1), None)),
    "batch_hard": (lambda: BatchHardTripletLoss(margin=1.0), _pml_batch_hard),
}


@pytest.mark.parametrize("memory", [20, 64])  # 20: the queue wraps around after 3 batches
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_pml_over_a_sequence_of_batches(name, memory, dtype):
    make_ours, make_theirs = CASES[name]
    ours = CrossBatchMemory(make_ours(), memory_size=memory)
    inner, miner = make_theirs()
    theirs = pml_losses.CrossBatchMemory(inner, DIM, memory_size=memory, miner=miner)
    for emb, labels in _batches(dtype=dtype):
        a = value_and_grad(lambda e: ours(e, labels), emb)
        b = value_and_grad(lambda e: theirs(e, labels), emb)
        assert_same(a, b, dtype)
    assert int(ours.filled) == min(memory, 6 * 8)


def test_in_batch_is_the_special_case_of_the_batch_against_itself():
    emb, labels = _batches(1, size=12, classes=3)[0]
    same = torch.eye(12, dtype=torch.bool)
    for loss in (SupConLoss(0.2), BatchHardTripletLoss(margin=0.5)):
        torch.testing.assert_close(loss.reference_loss(emb, labels, emb, labels, same),
                                   loss(emb, labels))


def test_queue_is_fifo_and_detached():
    xbm = CrossBatchMemory(SupConLoss(), memory_size=10)
    batches = _batches(3, size=4)
    for emb, labels in batches:
        xbm(emb.requires_grad_(), labels)
    assert not xbm.memory.requires_grad
    # 12 rows into 10 slots: the third batch takes slots 8, 9, then 0, 1 of the first batch's
    b0, b1, b2 = (b[0] for b in batches)
    want = torch.cat([b2[2:], b0[2:], b1, b2[:2]])
    assert torch.equal(xbm.memory, want)
    assert int(xbm.position) == 2 and int(xbm.filled) == 10


def test_warm_up_and_eval_use_the_in_batch_loss_and_leave_the_queue_alone():
    inner = SupConLoss()
    xbm = CrossBatchMemory(inner, memory_size=32, start_after=2)
    batches = _batches(3)
    for emb, labels in batches[:2]:
        assert torch.equal(xbm(emb, labels), inner(emb, labels))
    assert int(xbm.filled) == 0
    xbm.eval()
    assert torch.equal(xbm(*batches[2]), inner(*batches[2])) and int(xbm.filled) == 0
    xbm.train()
    xbm(*batches[2])
    assert int(xbm.filled) == 8 and int(xbm.steps) == 3


def test_the_state_dict_resumes_the_queue_exactly():
    batches = _batches(5)
    a = CrossBatchMemory("batch_hard", memory_size=24, loss_args={"margin": 0.5})
    for emb, labels in batches[:3]:
        a(emb, labels)
    b = CrossBatchMemory("batch_hard", memory_size=24, loss_args={"margin": 0.5})
    b.load_state_dict(a.state_dict())  # b has never seen a batch: sized by the checkpoint
    for emb, labels in batches[3:]:
        assert torch.equal(a(emb, labels), b(emb, labels))
    assert torch.equal(a.memory, b.memory) and torch.equal(a.memory_labels, b.memory_labels)


def test_errors():
    with pytest.raises(ConfigError, match="reference_loss"):
        CrossBatchMemory("contrastive")
    with pytest.raises(ConfigError, match="memory_size"):
        CrossBatchMemory(memory_size=1)
    with pytest.raises(ConfigError, match="loss_args"):
        CrossBatchMemory(SupConLoss(), loss_args={"temperature": 0.5})
    with pytest.raises(DataError, match="memory_size=4"):
        CrossBatchMemory(memory_size=4)(*_batches(1)[0])
