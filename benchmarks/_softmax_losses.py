"""The softmax-family losses of benchmarks/losses.py: siamkit's and pytorch-metric-learning's
(PML) built on the same embeddings and, for the losses with class weights or proxies, the same
weights (PML keeps its margin losses' weights as ``W`` ``[D, C]``, its proxies as ``[C, D]``).

Labels are P x K with K = 4 over ``N_CLASSES`` classes (``(i // 4) % 1000``): the class-weight
losses score every sample against all 1,000 classes, as on a dataset of that many identities.
Their forward + backward is three ``[B, C, D]`` matrix products plus what a loss does around them;
:func:`matmul_floor` times those three products alone, the part no implementation can skip.

PML's ``NTXentLoss`` compares every positive pair with every negative pair of the batch in one
``[positive pairs, negative pairs]`` matrix; where that would pass ``PML_LIMIT_BYTES`` the PML case
is skipped with the size it would need, rather than run out of memory.
"""

from __future__ import annotations

import math

SOFTMAX_LOSSES = ("arcface", "cosface", "subcenter_arcface", "proxy_anchor", "proxy_nca",
                  "supcon", "ntxent")
WEIGHTED = {"arcface": "W", "cosface": "W", "subcenter_arcface": "W", "proxy_anchor": "proxies",
            "proxy_nca": "proxies"}  # PML's attribute for the weights
N_CLASSES = 1000
PML_LIMIT_BYTES = 2 * 2**30


def _siamkit(loss: str, dim: int):
    from siamkit import losses

    return {
        "arcface": lambda: losses.ArcFaceLoss(N_CLASSES, dim),
        "cosface": lambda: losses.CosFaceLoss(N_CLASSES, dim),
        "subcenter_arcface": lambda: losses.SubCenterArcFaceLoss(N_CLASSES, dim),
        "proxy_anchor": lambda: losses.ProxyAnchorLoss(N_CLASSES, dim),
        "proxy_nca": lambda: losses.ProxyNCALoss(N_CLASSES, dim),
        "supcon": lambda: losses.SupConLoss(),
        "ntxent": lambda: losses.NTXentLoss(),
    }[loss]()


def _pml(loss: str, dim: int):
    from pytorch_metric_learning import losses

    return {  # siamkit's defaults; PML takes ArcFace's margin in degrees
        "arcface": lambda: losses.ArcFaceLoss(N_CLASSES, dim, margin=math.degrees(0.5), scale=64),
        "cosface": lambda: losses.CosFaceLoss(N_CLASSES, dim, margin=0.35, scale=64),
        "subcenter_arcface": lambda: losses.SubCenterArcFaceLoss(
            num_classes=N_CLASSES, embedding_size=dim, margin=math.degrees(0.5), scale=64,
            sub_centers=3),
        "proxy_anchor": lambda: losses.ProxyAnchorLoss(N_CLASSES, dim, margin=0.1, alpha=32),
        "proxy_nca": lambda: losses.ProxyNCALoss(N_CLASSES, dim, softmax_scale=1.0),
        "supcon": lambda: losses.SupConLoss(temperature=0.1),
        "ntxent": lambda: losses.NTXentLoss(temperature=0.07),
    }[loss]()


def labels_for(batch: int, k: int):
    import torch

    return (torch.arange(batch) // k) % N_CLASSES


def build_softmax(loss: str, impl: str, batch: int, dim: int, k: int, device: str = "cpu"):
    """``(fn, inputs)`` as benchmarks/losses.py's ``build``: ``fn`` is the loss module (its
    weights drawn from a generator seeded with the batch size, shared by both implementations)."""
    import torch

    gen = torch.Generator().manual_seed(batch)
    inputs = [torch.randn(batch, dim, generator=gen), labels_for(batch, k)]
    torch.manual_seed(batch)
    ours = _siamkit(loss, dim)
    fn = ours if impl == "siamkit" else _pml(loss, dim)
    if impl == "pml" and loss in WEIGHTED:
        weight = ours.weight.detach().clone()
        layout_dc = WEIGHTED[loss] == "W"  # PML's margin losses keep [D, C]
        getattr(fn, WEIGHTED[loss]).data = weight.T.contiguous() if layout_dc else weight
    fn = fn.to(device)
    inputs = [x.to(device) for x in inputs]
    inputs[0].requires_grad_()
    return fn, inputs


def pml_skip_reason(loss: str, batch: int, k: int) -> str | None:
    """Why the PML case cannot run at ``batch`` (None when it can)."""
    if loss != "ntxent":
        return None
    positives = batch * (k - 1)
    negatives = batch * (batch - k)
    need = positives * negatives * 4
    if need <= PML_LIMIT_BYTES:
        return None
    return (f"skipped: PML's NTXentLoss builds a [positive pairs x negative pairs] = "
            f"[{positives:,} x {negatives:,}] float32 matrix ({need / 2**30:,.0f} GiB)")


def matmul_floor(loss: str, batch: int, dim: int, device: str = "cpu"):
    """A callable doing the three matrix products of a class-weight loss's forward + backward
    (``Z W^T``, ``G W``, ``G^T Z``), or None for the losses without class weights."""
    if loss not in WEIGHTED:
        return None
    import torch

    columns = N_CLASSES * (3 if loss == "subcenter_arcface" else 1)
    gen = torch.Generator().manual_seed(batch)
    z, w = torch.randn(batch, dim, generator=gen), torch.randn(columns, dim, generator=gen)
    g = torch.randn(batch, columns, generator=gen)
    z, w, g = z.to(device), w.to(device), g.to(device)
    return lambda: (z @ w.T, g @ w, g.T @ z)
