"""The trainer's fused non-finite-gradient check agrees with a plain per-tensor isfinite."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from siamkit.training.gradients import all_finite, total_norm


def grads_like_a_convnet(seed: int = 0) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    shapes = [(4, 1, 5, 5), (4,), (16, 4, 5, 5), (16,), (256,), (256,), (10, 256), (10,)]
    grads = [torch.randn(s, generator=gen) for s in shapes]
    grads[2] = grads[2].contiguous(memory_format=torch.channels_last)
    return grads


def plain_all_finite(grads: list[torch.Tensor]) -> bool:
    return all(bool(torch.isfinite(g).all()) for g in grads)


@settings(max_examples=60, deadline=None)
@given(
    tensor=st.integers(0, 7),
    position=st.floats(0, 1, exclude_max=True),
    bad=st.sampled_from([math.inf, -math.inf, math.nan, None]),
)
def test_agrees_with_isfinite_wherever_the_bad_value_sits(tensor, position, bad):
    grads = grads_like_a_convnet()
    if bad is not None:
        g = grads[tensor]
        where = torch.unravel_index(torch.tensor(int(position * g.numel())), g.shape)
        g[where] = bad
    before = [g.clone() for g in grads]
    assert all_finite(grads) == plain_all_finite(grads) == (bad is None)
    for g, b in zip(grads, before):  # the check leaves the gradients as they were
        torch.testing.assert_close(g, b, equal_nan=True, rtol=0, atol=0)


def test_other_dtypes_and_sparse_gradients():
    assert all_finite([torch.ones(3, dtype=torch.float64), torch.ones(2, dtype=torch.bfloat16)])
    assert not all_finite([torch.ones(3), torch.tensor([1.0, math.nan], dtype=torch.float64)])
    sparse = torch.sparse_coo_tensor([[0, 2]], [1.0, math.inf], (4,), check_invariants=True)
    assert not all_finite([torch.ones(3), sparse])
    assert all_finite([torch.sparse_coo_tensor([[1]], [2.0], (4,), check_invariants=True)])
    assert all_finite([])


def test_one_fused_call_per_device_and_dtype(monkeypatch):
    calls = []
    fused = torch._amp_foreach_non_finite_check_and_unscale_

    def counting(group, found, inv_scale):
        calls.append(len(group))
        return fused(group, found, inv_scale)

    monkeypatch.setattr(torch, "_amp_foreach_non_finite_check_and_unscale_", counting)
    grads = grads_like_a_convnet() + [torch.ones(2, dtype=torch.float64)]
    assert all_finite(grads)
    assert sorted(calls) == [1, 8]


def test_falls_back_to_norms_where_the_fused_kernel_is_missing(monkeypatch):
    def missing(*args):
        raise NotImplementedError("no kernel for this backend")

    monkeypatch.setattr(torch, "_amp_foreach_non_finite_check_and_unscale_", missing)
    grads = grads_like_a_convnet()
    assert all_finite(grads)
    grads[6][3, 7] = math.nan
    assert not all_finite(grads)


def test_total_norm_reports_what_went_wrong():
    grads = grads_like_a_convnet()
    want = float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))
    assert total_norm(grads) == pytest.approx(want, rel=1e-5)
    grads[3][0] = math.inf
    assert total_norm(grads) == math.inf
    grads[1][0] = math.nan
    assert math.isnan(total_norm(grads))


# ---- the trainer refuses the step when a single gradient element is not finite ----------------


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("grad_clip", [None, 1.0])
def test_trainer_refuses_a_step_when_one_gradient_element_is_not_finite(bad, grad_clip):
    import siamkit as sk
    from siamkit.errors import TrainingError
    from training_helpers import Contrastive, assert_same_weights, batches, tiny_model, weights

    model = tiny_model()
    params = [p for p in model.parameters() if p.requires_grad]
    target = params[len(params) // 2]  # one tensor in the middle, the loss itself stays finite
    calls, seen = [0], {}

    def poison(grad):
        calls[0] += 1
        seen[calls[0]] = weights(model)
        if calls[0] == 3:
            grad = grad.clone()
            grad.view(-1)[0] = bad
        return grad

    target.register_hook(poison)
    trainer = sk.Trainer(model, Contrastive(), epochs=2, progress=False, grad_clip=grad_clip,
                         optimizer=lambda ps: torch.optim.SGD(ps, lr=0.1))
    with pytest.raises(TrainingError, match=r"gradient norm became (inf|nan) at epoch 1, batch 3"):
        trainer.fit(batches("pairs", 4))
    assert_same_weights(model, seen[3])  # the weights before the poisoned step: no update
    assert all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize("grad_clip", [None, 1.0])
def test_with_a_float16_grad_scaler_a_non_finite_step_is_skipped_not_refused(grad_clip,
                                                                            monkeypatch):
    # float16 training (CUDA) relies on the GradScaler: it skips a step whose gradients overflow
    # and lowers its scale, routinely in the first steps. The trainer must let it, not stop.
    import siamkit as sk
    import siamkit.training.trainer as trainer_module
    from training_helpers import Contrastive, assert_same_weights, batches, tiny_model, weights

    monkeypatch.setattr(trainer_module, "resolve_amp", lambda amp, device: torch.float16)
    model = tiny_model()
    target = [p for p in model.parameters() if p.requires_grad][0]
    calls, seen = [0], {}

    def poison(grad):
        calls[0] += 1
        seen[calls[0]] = weights(model)
        return grad.clone().fill_(math.inf) if calls[0] == 2 else grad

    target.register_hook(poison)
    trainer = sk.Trainer(model, Contrastive(), epochs=1, progress=False, grad_clip=grad_clip,
                         optimizer=lambda ps: torch.optim.SGD(ps, lr=0.1))
    trainer.fit(batches("pairs", 4))
    assert trainer.scaler_.is_enabled() and calls[0] == 4
    assert_same_weights(seen[2], seen[3])  # the scaler skipped the poisoned step
    assert all(torch.isfinite(p).all() for p in model.parameters())
