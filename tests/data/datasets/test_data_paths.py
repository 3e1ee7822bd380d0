"""Data directory resolution: argument, then SIAMKIT_DATA, then the user cache folder."""

from __future__ import annotations

from pathlib import Path

from siamkit.data import default_cache_dir, resolve_data_dir


def test_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SIAMKIT_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_dir() == tmp_path / "env"
    monkeypatch.delenv("SIAMKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert resolve_data_dir() == tmp_path / "cache" / "siamkit" == default_cache_dir()
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_data_dir(None) == Path(tmp_path / "home" / ".cache" / "siamkit")
