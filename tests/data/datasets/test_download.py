"""Downloads against a local HTTP server: checksums, atomic writes, mirrors, clear failures."""

from __future__ import annotations

import numpy as np
import pytest
from data_helpers import md5, tiny_arrays, tiny_files, tiny_spec

from siamkit.data import MNIST, download_file, load_dataset, load_idx_dataset
from siamkit.errors import DataError, DownloadError


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_download_verified_and_atomic(http_server, tmp_path):
    url, served, _ = http_server
    (served / "blob.bin").write_bytes(b"hello siamkit" * 1000)
    dest = tmp_path / "out" / "blob.bin"
    assert download_file(url + "blob.bin", dest, md5=md5(b"hello siamkit" * 1000),
                         progress=False) == dest
    assert dest.read_bytes() == b"hello siamkit" * 1000
    assert _leftovers(dest.parent) == ["blob.bin"]  # no temporary file left


def test_checksum_mismatch_leaves_nothing(http_server, tmp_path):
    url, served, _ = http_server
    (served / "blob.bin").write_bytes(b"tampered")
    dest = tmp_path / "out" / "blob.bin"
    with pytest.raises(DownloadError, match="checksum mismatch") as info:
        download_file(url + "blob.bin", dest, md5="0" * 32, progress=False)
    assert url + "blob.bin" in str(info.value)
    assert _leftovers(dest.parent) == []


def test_http_404(http_server, tmp_path):
    url, _, _ = http_server
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_file(url + "missing.gz", tmp_path / "out" / "missing.gz", progress=False)
    assert _leftovers(tmp_path / "out") == []


def test_cut_transfer(http_server, tmp_path):
    url, _, _ = http_server
    with pytest.raises(DownloadError) as info:
        download_file(url + "short/x.gz", tmp_path / "out" / "x.gz", progress=False)
    assert "short/x.gz" in str(info.value)
    assert _leftovers(tmp_path / "out") == []


def test_unreachable_host(tmp_path):
    import socket

    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DownloadError, match=f"127.0.0.1:{port}"):
        download_file(f"http://127.0.0.1:{port}/a.gz", tmp_path / "a.gz", progress=False,
                      timeout=5)


def _serve(served, files, names=None, corrupt=None, truncate=None):
    for name, (raw, packed) in files.items():
        if names is None or name in names:
            if name == corrupt:
                packed = bytearray(packed)
                packed[len(packed) // 2] ^= 0x55
            if name == truncate:
                packed = packed[: len(packed) - 40]
            (served / f"{name}.gz").write_bytes(bytes(packed))


def test_dataset_download_then_reuse(http_server, tmp_path):
    url, served, requests = http_server
    files = tiny_files()
    _serve(served, files)
    spec = tiny_spec(files, mirrors=(url,))
    data = load_idx_dataset(spec, "all", tmp_path / "data", progress=False)
    arrays = tiny_arrays()
    np.testing.assert_array_equal(data.x[:30, 0].numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(data.y[30:].numpy(), arrays["t10k-labels-idx1-ubyte"])
    assert len(requests) == 4
    assert _leftovers(tmp_path / "data" / "tiny") == sorted(f"{n}.gz" for n in files)
    load_idx_dataset(spec, "train", tmp_path / "data", progress=False)
    assert len(requests) == 4  # present files are not fetched again


def test_mirror_fallback(http_server, tmp_path):
    url, served, requests = http_server
    files = tiny_files()
    (served / "good").mkdir()
    _serve(served / "good", files)
    spec = tiny_spec(files, mirrors=(url + "nothing-here/", url + "good/"))
    assert len(load_idx_dataset(spec, "test", tmp_path, progress=False)) == 10
    assert any(r.startswith("/nothing-here/") for r in requests)


@pytest.mark.parametrize("damage", ["corrupt", "truncate"])
def test_damaged_download_fails_clearly(http_server, tmp_path, damage):
    url, served, _ = http_server
    files = tiny_files()
    bad = "train-labels-idx1-ubyte"
    _serve(served, files, **{damage: bad})
    spec = tiny_spec(files, mirrors=(url,))
    with pytest.raises(DownloadError) as info:
        load_idx_dataset(spec, "train", tmp_path, progress=False)
    message = str(info.value)
    assert "checksum mismatch" in message and f"{bad}.gz" in message
    assert str(tmp_path / "tiny") in message and "train-images-idx3-ubyte.gz" in message
    assert not (tmp_path / "tiny" / f"{bad}.gz").exists()
    assert all(not p.name.endswith(".part") for p in (tmp_path / "tiny").iterdir())


def test_truncated_gz_kept_from_a_spec_without_gz_hash_still_fails_on_read(http_server, tmp_path):
    # A spec that only knows raw hashes cannot check the .gz while downloading; reading must.
    url, served, _ = http_server
    files = tiny_files()
    _serve(served, files, truncate="t10k-images-idx3-ubyte")
    spec = tiny_spec(files, mirrors=(url,), with_gz=False)
    with pytest.raises(DataError, match="truncated .gz"):
        load_idx_dataset(spec, "test", tmp_path, progress=False)


def test_mnist_unreachable_says_which_files_to_put_where(http_server, tmp_path):
    url, _, _ = http_server
    with pytest.raises(DownloadError) as info:
        load_dataset("mnist", "train", tmp_path, mirrors=[url], progress=False)
    message = str(info.value)
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert name in message
    assert str(tmp_path / "mnist") in message and MNIST.mirrors[0] in message
    assert "HTTP 404" in message


def test_no_download_allowed(tmp_path):
    with pytest.raises(DataError) as info:
        load_dataset("fashion-mnist", "test", tmp_path, download=False)
    assert "t10k-images-idx3-ubyte[.gz]" in str(info.value)
    assert str(tmp_path / "fashion-mnist") in str(info.value)

