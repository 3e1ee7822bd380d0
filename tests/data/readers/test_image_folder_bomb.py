"""Issue 16, item 6: a decompression bomb in an image folder is a skipped (or, on_error="raise",
refused) file named with PIL's limit, like any unreadable image, not an internal error."""

from __future__ import annotations

import pytest
from big_images import blank_png

from siamkit.data import load_image_folder
from siamkit.errors import DataError


def test_a_decompression_bomb_in_a_folder_is_skipped_or_refused_by_name(tmp_path):
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(2):
            (tmp_path / cls / f"{i}.png").write_bytes(blank_png(8, 8, channels=1))
    (tmp_path / "a" / "bomb.png").write_bytes(blank_png(20000, 20000, channels=1, rows=1))
    with pytest.warns(UserWarning, match="bomb.png"):
        data = load_image_folder(tmp_path, on_error="skip")
    assert len(data) == 4
    with pytest.raises(DataError, match=r"a/bomb\.png: unreadable images .*178956970 pixels"):
        load_image_folder(tmp_path, on_error="raise")
