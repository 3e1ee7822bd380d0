"""Tiny data files in every layout the [data] section reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def make_image_folder(root: Path, classes: int, per_class: int) -> Path:
    """``classes`` folders of ``per_class`` 10x12 images, each class a different brightness."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(classes):
        (root / f"person{c}").mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(rng.normal(25 * c + 30, 10, (10, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / f"person{c}" / f"{i}.png")
    return root


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """5 people x 6 images."""
    return make_image_folder(tmp_path / "faces", 5, 6)


@pytest.fixture
def identity_folder(tmp_path: Path) -> Path:
    """8 people x 10 images: enough for a class-disjoint split with validation pairs."""
    return make_image_folder(tmp_path / "people", 8, 10)


@pytest.fixture
def pairs_csv(tmp_path: Path) -> Path:
    """Quora layout: 30 duplicate pairs and 10 non-duplicates, tab-separated."""
    rows = ["id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate"]
    for i in range(30):
        rows.append(f"{i}\t{2 * i}\t{2 * i + 1}\thow do I cook dish {i}\thow to cook dish {i}\t1")
    for i in range(10):
        rows.append(f"{30 + i}\t{100 + i}\t{200 + i}\twhat is topic {i}\twho wrote book {i}\t0")
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(rows) + "\n")
    return path
