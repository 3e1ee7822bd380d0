from __future__ import annotations

import os

import pytest

from siamkit.atomic import atomic_path, atomic_write_json


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "a.json"
    atomic_write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash while writing")
    assert target.read_text().strip().endswith("}") and '"v": 1' in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temporary file left behind


def test_written_files_get_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "b.json", [])
    finally:
        os.umask(umask)
    assert (tmp_path / "b.json").stat().st_mode & 0o777 == 0o644
