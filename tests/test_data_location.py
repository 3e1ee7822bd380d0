"""The test suite finds the real data beside the checkout without SIAMKIT_DATA (issue 18, item 9),
and the library's own default does not look there."""

from __future__ import annotations

import os
from pathlib import Path

from data_location import find_shared_data

from siamkit.data import default_cache_dir, resolve_data_dir


def test_beside_the_checkout_or_beside_its_folder(tmp_path):
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "main").mkdir()
    (tmp_path / "wt" / "user").mkdir(parents=True)
    assert find_shared_data({}, tmp_path / "main") == tmp_path / "shared" / "data"
    assert find_shared_data({}, tmp_path / "wt" / "user") == tmp_path / "shared" / "data"
    assert find_shared_data({}, tmp_path / "wt" / "user" / "deeper") is None


def test_siamkit_data_wins(tmp_path):
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert find_shared_data({"SIAMKIT_DATA": "/elsewhere"}, tmp_path / "main") == Path("/elsewhere")


def test_this_checkout_finds_what_lies_beside_it(shared_data):
    """Where the project lays out ../shared/data (or SIAMKIT_DATA is set) the real-data tests run."""
    assert (shared_data / "mnist").is_dir() and os.environ["SIAMKIT_DATA"] == str(shared_data)


def test_the_library_default_is_not_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("SIAMKIT_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert resolve_data_dir() == default_cache_dir() == tmp_path / "siamkit"
