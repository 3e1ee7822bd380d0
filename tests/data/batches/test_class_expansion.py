"""expand_classes: each transform's copy is a block of new classes, checked against numpy's
rot90/flip (an oracle written elsewhere), names, ids, and misuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from siamkit.data import LabelledData, check_no_leakage, expand_classes, make_loader
from siamkit.errors import ConfigError, DataError


def _data():
    x = torch.arange(6 * 5 * 5, dtype=torch.int64).reshape(6, 1, 5, 5).to(torch.uint8)
    return LabelledData(x, torch.tensor([0, 1, 2, 0, 1, 2]), ["a", "b", "c"], name="toy",
                        keys=[f"k{i}" for i in range(6)])


def test_copies_are_numpy_transforms_with_new_class_ids():
    data = _data()
    out = expand_classes(data, ("rot90", "flip_h", "transpose", "antitranspose"))
    n = len(data)
    assert len(out) == 5 * n and out.n_classes == 15
    img = data.x.numpy()
    oracles = [np.rot90(img, 1, (2, 3)), img[..., ::-1], img.transpose(0, 1, 3, 2),
               np.rot90(img, 2, (2, 3)).transpose(0, 1, 3, 2)]
    assert torch.equal(out.x[:n], data.x) and torch.equal(out.y[:n], data.y)
    for i, want in enumerate(oracles, start=1):
        assert np.array_equal(out.x[i * n:(i + 1) * n].numpy(), want)
        assert torch.equal(out.y[i * n:(i + 1) * n], data.y + 3 * i)
    assert out.classes[:4] == ["a", "b", "c", "a@rot90"] and out.classes[-1] == "c@antitranspose"
    assert out.keys[n] == "k0" and torch.equal(out.ids, data.ids.repeat(5))
    assert out.info["expanded_from"]["transforms"] == ["rot90", "flip_h", "transpose",
                                                       "antitranspose"]


def test_quarter_turns_compose_to_the_identity():
    data = _data()
    out = expand_classes(data, ("rot90", "rot180", "rot270"), keep_original=False)
    n = len(data)
    assert out.classes[:3] == ["a@rot90", "b@rot90", "c@rot90"] and int(out.y.max()) == 8
    again = torch.rot90(out.x[2 * n:], 1, (2, 3))  # rot270 then rot90
    assert torch.equal(again, data.x)


def test_custom_transforms_and_training_batches():
    data = _data()
    out = expand_classes(data, {"dark": lambda x: 255 - x})
    assert torch.equal(out.x[6:], 255 - data.x) and out.classes[3:] == ["a@dark", "b@dark", "c@dark"]
    loader = make_loader("labelled", out, 4, seed=0, samples_per_class=2)
    xb, yb = next(iter(loader))
    assert len(torch.unique(yb)) == 2  # P x K batches over the new classes


def test_leakage_checks_still_see_the_source_sample():
    data = _data()
    train, test = data.subset([0, 1, 2]), data.subset([3, 4, 5])
    check_no_leakage(expand_classes(train), test)  # distinct sources: fine
    with pytest.raises(DataError):
        check_no_leakage(expand_classes(train), train)


def test_misuse_is_reported():
    data = _data()
    with pytest.raises(ConfigError, match="unknown name"):
        expand_classes(data, ("rot45",))
    with pytest.raises(ConfigError, match="nothing"):
        expand_classes(data, (), keep_original=False)
    wide = LabelledData(torch.zeros(2, 1, 4, 6, dtype=torch.uint8), torch.tensor([0, 1]))
    with pytest.raises(DataError, match="shape"):
        expand_classes(wide, ("rot90",))
    vectors = LabelledData(torch.zeros(2, 3), torch.tensor([0, 1]))
    with pytest.raises(DataError, match="images"):
        expand_classes(vectors)
