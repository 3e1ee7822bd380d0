"""Issue 16: the command line refuses an image of too many pixels from its header, naming the file
and the limit, and PIL's DecompressionBombError is such a refusal, never an "internal error"."""

from __future__ import annotations

from big_images import blank_png
from cli_helpers import assert_clean_error


def test_a_12000x12000_png_is_refused_with_its_name_and_the_limit(cli, image_model, tmp_path):
    big = tmp_path / "huge.png"
    big.write_bytes(blank_png(12000, 12000, channels=1))
    result = cli("embed", image_model, big, "-o", tmp_path / "e.npy")
    assert_clean_error(result)
    assert str(big) in result.err and "12000x12000" in result.err
    assert "67108864" in result.err and "SIAMKIT_MAX_IMAGE_PIXELS" in result.err


def test_the_limit_can_be_raised_and_a_decompression_bomb_names_file_and_limit(
        cli, image_model, tmp_path, monkeypatch):
    small = tmp_path / "ok.png"
    small.write_bytes(blank_png(300, 200, channels=1))
    monkeypatch.setenv("SIAMKIT_MAX_IMAGE_PIXELS", "1000")
    result = cli("embed", image_model, small, "-o", tmp_path / "e.npy")
    assert_clean_error(result)
    assert "300x200 pixels exceed the limit of 1000 pixels" in result.err
    monkeypatch.setenv("SIAMKIT_MAX_IMAGE_PIXELS", str(10**9))  # ours above PIL's bomb limit
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(blank_png(20000, 20000, channels=1, rows=1))  # 400 M pixels: PIL's bomb error
    result = cli("embed", image_model, bomb, "-o", tmp_path / "e.npy")
    assert_clean_error(result)
    assert "internal error" not in result.err
    assert str(bomb) in result.err and "decompression bomb" in result.err
    assert "178956970" in result.err  # the limit that refused it: PIL's, twice MAX_IMAGE_PIXELS
    monkeypatch.setenv("SIAMKIT_MAX_IMAGE_PIXELS", "many")
    assert "SIAMKIT_MAX_IMAGE_PIXELS" in cli("embed", image_model, small, "-o", tmp_path / "e.npy").err


def test_an_image_under_the_limit_still_embeds(cli, image_model, tmp_path):
    path = tmp_path / "fine.png"
    path.write_bytes(blank_png(64, 48, channels=1))
    result = cli("embed", image_model, path, "--out", tmp_path / "e.npy")
    assert result.code == 0, result.err
