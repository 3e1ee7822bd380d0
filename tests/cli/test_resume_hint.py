"""The resume hint after Ctrl-C reproduces the run (its --set overrides and flags, quoted), and a
resume is compared with the config of the run it continues (issue 18, item 3)."""

from __future__ import annotations

import shlex
from pathlib import Path

import numpy as np

from siamkit.cli import build_parser
from siamkit.cli.train import overrides_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "image_folder_verification.toml"


def test_the_hint_repeats_the_overrides_quoted(cli, tmp_path, monkeypatch):
    import siamkit.experiment

    def interrupted(cfg, out, **kw):
        (out / "checkpoints").mkdir(parents=True)
        (out / "checkpoints" / "last.pt").write_bytes(b"")
        raise KeyboardInterrupt

    monkeypatch.setattr(siamkit.experiment, "run_experiment", interrupted)
    config = tmp_path / "my exp.toml"
    config.write_text(EXAMPLE.read_text())
    argv = ["train", str(config), "--out", str(tmp_path / "run 1"), "--set", "data.path=my photos",
            "--set", "data.image_size=[16, 16]", "--epochs", "3", "--lr", "0.001", "--no-progress"]
    result = cli(*argv)
    assert result.code == 130 and len(result.err.strip().splitlines()) == 1
    hint = result.err.strip().partition("continue it with: ")[2]
    words = shlex.split(hint)
    assert words[:2] == ["siamkit", "train"] and "--resume" in words
    again, first = build_parser().parse_args(words[1:]), build_parser().parse_args(argv)
    assert overrides_of(again) == overrides_of(first) and again.no_progress
    assert (again.config, again.out) == (first.config, first.out)


def _folder(root: Path) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for c in range(8):
        (root / f"p{c}").mkdir(parents=True)
        for i in range(10):
            pixels = np.clip(rng.normal(25 * c + 30, 10, (10, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / f"p{c}" / f"{i}.png")
    return root


def test_a_failed_resume_leaves_the_run_config_in_place(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _folder(tmp_path / "people")
    run = ["train", EXAMPLE, "--out", "run", "--epochs", "1", "--no-progress"]
    overrides = ["--set", "data.path=people", "--set", "data.image_size=[16, 16]"]
    first = cli(*run, *overrides)
    assert first.code == 0, first.err
    # 2 of the 8 identities are test identities: the lowering is said on the console (item 7).
    assert ("siamkit: warning: one-shot: n_way lowered from 5 to 2: only 2 test classes have the "
            "2 samples an episode needs") in first.err
    wrong = cli(*run, "--resume")  # the overrides left out: the example's path does not exist
    assert wrong.code == 1 and "data.path" in wrong.err  # it does warn: this config differs
    right = cli(*run, *overrides, "--resume")
    assert right.code == 0, right.err
    assert "config differs" not in right.err


def test_an_older_run_folder_with_keys_of_other_sources_resumes_quietly(tmp_path):
    """Run folders written before keys of other sources were left out still compare equal."""
    import json
    import warnings

    from siamkit.config import config_to_dict, parse_config
    from siamkit.errors import SiamkitWarning
    from siamkit.experiment.run import _warn_if_changed

    cfg = parse_config({"data": {"source": "image_folder", "path": str(tmp_path)}})
    older = config_to_dict(cfg)
    older["data"].update(name="digits", options={})
    (tmp_path / "config.json").write_text(json.dumps(older))
    with warnings.catch_warnings():
        warnings.simplefilter("error", SiamkitWarning)
        _warn_if_changed(cfg, tmp_path)
