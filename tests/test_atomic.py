from __future__ import annotations

import os

import pytest
from faulty_files import failing_open, fill, tiny_filesystem

import siamkit.atomic as atomic
from siamkit.atomic import atomic_path, atomic_write_json, atomic_write_text
from siamkit.errors import SiamkitError, WriteError


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


@pytest.mark.parametrize("mode", ["raise", "short", "zero"])
def test_a_failing_disk_raises_and_keeps_the_old_file(tmp_path, monkeypatch, mode):
    target = tmp_path / "c.json"
    atomic_write_text(target, "good\n")
    monkeypatch.setattr(atomic, "open", failing_open(after=3, mode=mode), raising=False)
    with pytest.raises(WriteError) as info:
        atomic_write_text(target, "x" * 5000)
    assert str(target) in str(info.value) and "previous file is kept" in str(info.value)
    assert isinstance(info.value, SiamkitError) and isinstance(info.value, OSError)
    if mode == "raise":
        assert "no space left on the device" in str(info.value)
    assert target.read_text() == "good\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.json"]


def test_a_writer_that_writes_nothing_does_not_replace_the_file(tmp_path):
    target = tmp_path / "d.bin"
    target.write_bytes(b"good")
    with pytest.raises(WriteError, match="produced 0 bytes"):
        with atomic_path(target):
            pass  # a library that printed an error and returned
    assert target.read_bytes() == b"good"


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.fstat(fd).st_mode), real(fd)))
    atomic_write_text(tmp_path / "e.txt", "x")
    import stat
    assert any(stat.S_ISDIR(m) for m in synced) and any(stat.S_ISREG(m) for m in synced)


def test_a_really_full_filesystem(tmp_path):
    with tiny_filesystem(tmp_path / "disk", 256 * 1024) as disk:
        target = disk / "f.json"
        atomic_write_text(target, "good\n")
        fill(disk)
        with pytest.raises(WriteError, match="no space left on the device") as info:
            atomic_write_text(target, "y" * 200_000)
        assert str(target) in str(info.value)
        assert target.read_text() == "good\n"
