"""Relative [data] paths: against the config file's folder (overrides: the working folder), so a
saved config names the same files from anywhere."""

from __future__ import annotations

from pathlib import Path

from siamkit.config import load_config, save_config


def test_paths_are_anchored_to_the_config_file(tmp_path, monkeypatch):
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "exp.toml").write_text('[data]\nsource = "image_folder"\npath = "faces"\n'
                                     f'test_path = "{tmp_path / "abs"}"\n')
    monkeypatch.chdir(tmp_path)
    cfg = load_config("exp/exp.toml")
    assert cfg.data.path == str(folder / "faces") and cfg.data.test_path == str(tmp_path / "abs")
    cfg = load_config("exp/exp.toml", ["data.val_path=val"])
    assert cfg.data.val_path == str(tmp_path / "val") and cfg.data.path == str(folder / "faces")
    home = load_config("exp/exp.toml", ["data.source=arrays", "data.path=~/x.npy", "data.test_path=none"])
    assert home.data.path == str(Path("~/x.npy").expanduser())
    save_config(cfg, tmp_path / "run")
    monkeypatch.chdir(folder)
    assert load_config(tmp_path / "run" / "config.toml") == cfg  # the same files from elsewhere
