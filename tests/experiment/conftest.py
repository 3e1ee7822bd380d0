"""Tiny data files in every layout the [data] section reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """5 classes x 6 images of 10x12 pixels, each class a different brightness."""
    from PIL import Image

    rng = np.random.default_rng(0)
    root = tmp_path / "faces"
    for c in range(5):
        (root / f"person{c}").mkdir(parents=True)
        for i in range(6):
            pixels = np.clip(rng.normal(40 * c + 30, 10, (10, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / f"person{c}" / f"{i}.png")
    return root


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
