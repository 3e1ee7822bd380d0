"""New classes from old ones: every rotation or reflection of a class made a class of its own.

A metric learned on few classes transfers poorly to classes it has never seen: with five training
classes an embedding needs only a handful of directions to separate them, and new classes fall
between those. Few-shot learning on Omniglot therefore multiplies the training classes by rotating
each character by multiples of 90 degrees and calling each rotation a new character (Santoro et al.
2016, "One-shot learning with memory-augmented neural networks"; Vinyals et al. 2016, "Matching
networks for one shot learning"). :func:`expand_classes` does that for any
:class:`~siamkit.data.LabelledData` of images, with the eight symmetries of the square to choose from.

A transform that maps some class onto itself or onto another class (a "0" turned upside down is
still a "0") gives a new class that cannot be told apart from an old one; such pairs only add label
noise. The benchmark on MNIST (benchmarks/one_shot_mnist.py) measures which transforms help.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence, Union

import torch
from torch import Tensor

from ...errors import ConfigError, DataError
from ..containers import LabelledData

ImageTransform = Callable[[Tensor], Tensor]

#: The symmetries of the square (dihedral group D4) besides the identity, on ``[N, C, H, W]``.
SQUARE_SYMMETRIES: dict[str, ImageTransform] = {
    "rot90": lambda x: torch.rot90(x, 1, (2, 3)),
    "rot180": lambda x: torch.rot90(x, 2, (2, 3)),
    "rot270": lambda x: torch.rot90(x, 3, (2, 3)),
    "flip_h": lambda x: torch.flip(x, (3,)),
    "flip_v": lambda x: torch.flip(x, (2,)),
    "transpose": lambda x: x.transpose(2, 3),
    "antitranspose": lambda x: torch.rot90(x, 2, (2, 3)).transpose(2, 3),
}

Transforms = Union[Sequence[str], Mapping[str, ImageTransform]]


def expand_classes(data: LabelledData, transforms: Transforms = ("rot90", "rot180", "rot270"),
                   keep_original: bool = True) -> LabelledData:
    """``data`` plus one transformed copy per transform, each copy's classes new classes.

    ``transforms``: names from :data:`SQUARE_SYMMETRIES` (square images only for the quarter turns
    and transposes), or a mapping ``name -> fn(images) -> images`` of your own. Class ``c`` of
    copy ``t`` gets id ``c + i * n_classes`` (``i`` the copy's position, from 1) and the name
    ``"{name of c}@{t}"``. ``ids`` and ``keys`` are those of the source samples, so that leakage
    checks between splits still see a transformed sample as its source. ``info["expanded_from"]``
    records the source's class count and the transforms.
    """
    if data.kind != "image":
        raise DataError(f"{data.name}: expand_classes needs images [N, C, H, W], got {data.kind}s")
    if isinstance(transforms, Mapping):
        named = dict(transforms)
    else:
        unknown = [t for t in transforms if t not in SQUARE_SYMMETRIES]
        if unknown:
            raise ConfigError(f"transforms: unknown name(s) {', '.join(map(repr, unknown))}; choose "
                              f"from {', '.join(SQUARE_SYMMETRIES)} or pass a mapping of functions")
        named = {t: SQUARE_SYMMETRIES[t] for t in transforms}
    if len(named) != len(list(transforms)):
        raise ConfigError("transforms: a transform is named twice")
    x: Tensor = data.x  # type: ignore[assignment]
    n_cls = data.n_classes
    names = list(data.classes or [])
    xs, ys, classes = ([x], [data.y], list(names)) if keep_original else ([], [], [])
    for i, (tname, fn) in enumerate(named.items(), start=1):
        out = fn(x)
        if not isinstance(out, Tensor) or out.shape != x.shape:
            got = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise DataError(f"transform {tname!r}: must keep the images' shape {tuple(x.shape)} "
                            f"(non-square images cannot turn by 90 degrees), got {got}")
        xs.append(out.contiguous())
        ys.append(data.y + (i if keep_original else i - 1) * n_cls)
        classes += [f"{c}@{tname}" for c in names]
    if not xs:
        raise ConfigError("transforms: nothing to return (no transform and keep_original=False)")
    copies = len(xs)
    keys = None if data.keys is None else list(data.keys) * copies
    info = {**data.info, "expanded_from": {"n_classes": n_cls, "transforms": list(named),
                                           "keep_original": keep_original}}
    return LabelledData(torch.cat(xs), torch.cat(ys), classes, f"{data.name}+classes",
                        data.ids.repeat(copies), keys, info)
