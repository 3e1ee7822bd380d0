"""Is every gradient finite? The trainer's per-step guard, in one fused call per device, and the
gradient clipping that comes with it (:func:`clip_and_check`).

The trainer refuses an update whose gradient holds inf or NaN, so that the model keeps the weights
of the last good step. Checking that through one norm per parameter tensor costs a kernel call per
tensor (a dozen a step for a small convnet, 15-40 µs on a 2-core CPU, about 1% of a batch-16 step
of the Keras MNIST tower). torch's fused ``_amp_foreach_non_finite_check_and_unscale_``, the check
that ``torch.amp.GradScaler`` runs on every step, looks at a whole list of tensors in one call
(about 3 µs there); with a scale of 1 it leaves the gradients as they are. Where a torch build
lacks it for a device or dtype, and for sparse gradients, the per-tensor norms are used instead.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def all_finite(grads: list[Tensor]) -> bool:
    """True when no element of any tensor in ``grads`` is inf or NaN."""
    groups: dict[tuple[torch.device, torch.dtype], list[Tensor]] = {}
    for g in grads:
        if g.is_sparse or not g.is_floating_point():
            if not bool(torch.isfinite(g.coalesce().values() if g.is_sparse else g).all()):
                return False
            continue
        groups.setdefault((g.device, g.dtype), []).append(g)
    return all(_group_finite(group) for group in groups.values())


def _group_finite(group: list[Tensor]) -> bool:
    device = group[0].device
    found = torch.zeros(1, device=device)
    try:
        torch._amp_foreach_non_finite_check_and_unscale_(group, found, torch.ones(1, device=device))
    except (AttributeError, RuntimeError, NotImplementedError):  # no fused kernel here
        return all(bool(torch.isfinite(torch.linalg.vector_norm(g))) for g in group)
    return not bool(found)


def total_norm(grads: list[Tensor]) -> float:
    """The global 2-norm of ``grads`` (for messages: inf or nan when a gradient is not finite)."""
    if not grads:
        return 0.0
    norms = [torch.linalg.vector_norm(g.coalesce().values() if g.is_sparse else g).float().cpu()
             for g in grads]
    return float(torch.linalg.vector_norm(torch.stack(norms)))


def clip_and_check(
    optimizer: torch.optim.Optimizer, scaler: torch.amp.GradScaler, max_norm: float | None
) -> float | None:
    """Clip the gradients to ``max_norm`` (None: no clipping) and check that they are finite.
    Returns None when the update may be applied, else the global norm (inf or nan) for the message.

    With a float16 GradScaler a non-finite gradient is routine (the scale was too high): the scaler
    skips that update and lowers its scale, so it is not refused here."""
    if max_norm is None and scaler.is_enabled():
        return None
    # Clipping must see the true gradients: unscale them first (scaler.step then does not unscale
    # again). Without float16 the scaler is disabled and this does nothing.
    scaler.unscale_(optimizer)
    params = [p for g in optimizer.param_groups for p in g["params"] if p.grad is not None]
    grads = [p.grad for p in params]
    if max_norm is not None:
        norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
        finite = scaler.is_enabled() or math.isfinite(norm)
    else:  # no clipping asked: one fused finiteness check instead of a norm per tensor
        finite = all_finite(grads)
    return None if finite else total_norm(grads)
