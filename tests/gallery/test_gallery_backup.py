"""Backup of a gallery while another process enrolls into it, and restore from the backup."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest
from gallery_helpers import vector_model

from siamkit.cli import main
from siamkit.errors import DataError
from siamkit.gallery import Gallery
from siamkit.gallery.backup import MANIFEST, backup_gallery, restore_gallery
from siamkit.gallery.persist import DB_FILE

ENROLLER = textwrap.dedent("""
    import os, sys, numpy as np
    sys.path.insert(0, sys.argv[2])
    from gallery_helpers import vector_model
    from siamkit.gallery import Gallery
    g = Gallery(vector_model(), sys.argv[1])
    rng = np.random.default_rng(0)
    print("ready", flush=True)
    i = 0
    while not os.path.exists(sys.argv[3]):  # enrolls until the test has taken its backups
        i += 1
        g.enroll_embeddings(f"id{i}", rng.standard_normal((3, 4)).astype("f4"))
    g.close()
""")


def test_backups_taken_while_another_process_enrolls_are_whole(tmp_path):
    folder = tmp_path / "g"
    Gallery(vector_model(), folder).close()
    helpers = str(Path(__file__).parent)
    stop = tmp_path / "stop"
    proc = subprocess.Popen([sys.executable, "-c", ENROLLER, str(folder), helpers, str(stop)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        manifests = []
        for k in range(4):
            time.sleep(0.2)
            manifests.append(backup_gallery(folder, tmp_path / f"b{k}"))
    finally:
        stop.touch()
        assert proc.wait(timeout=120) == 0
        proc.stdout.close()
    counts = [m["references"] for m in manifests]
    assert counts == sorted(counts) and counts[-1] > 0 and all(c % 3 == 0 for c in counts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        final = Gallery(vector_model(), folder).n_references
    assert counts[0] < final  # taken while the enrolling went on
    restored = restore_gallery(tmp_path / "b3", tmp_path / "restored")
    assert restored["references"] == counts[-1]
    for k, m in enumerate(manifests):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the copied index is older: rebuilt, with a warning
            g = Gallery(vector_model(), tmp_path / f"b{k}")  # a backup is a gallery
        # every enrollment is in whole or not at all: three references per identity
        assert all(info.n_references == 3 for info in g.list())
        assert g.n_references == m["references"] and len(g) == m["identities"]
        g.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = Gallery(vector_model(), tmp_path / "restored")
    assert g.n_references == counts[-1]
    g.close()


def test_restore_refuses_a_changed_backup_and_an_occupied_folder(tmp_path, vectors):
    with Gallery(vector_model(), tmp_path / "g") as g:
        g.enroll("a", vectors[:2])
    backup_gallery(tmp_path / "g", tmp_path / "b")
    with pytest.raises(DataError, match="not empty"):
        restore_gallery(tmp_path / "b", tmp_path / "g")
    with open(tmp_path / "b" / DB_FILE, "ab") as fh:
        fh.write(b"x")
    with pytest.raises(DataError, match=f"does not match the checksum in {MANIFEST}"):
        restore_gallery(tmp_path / "b", tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_the_cli_backs_up_restores_and_checks(tmp_path, vectors, capsys):
    model = vector_model()
    model.save(tmp_path / "model")
    with Gallery(model, tmp_path / "g") as g:
        g.enroll("a", vectors[:2])
        g.record_model_path(tmp_path / "model")
    assert main(["gallery", "backup", str(tmp_path / "g"), str(tmp_path / "b")]) == 0
    assert main(["gallery", "restore", str(tmp_path / "b"), str(tmp_path / "r")]) == 0
    assert main(["gallery", "check", "-g", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "backed up" in out and "restored" in out and out.strip().endswith("ok")
    import sqlite3
    with sqlite3.connect(tmp_path / "r" / DB_FILE) as db:
        db.execute("UPDATE refs SET embedding = x'01' WHERE id = 1")
    assert main(["gallery", "check", "-g", str(tmp_path / "r")]) == 1
    assert main(["gallery", "check", "-g", str(tmp_path / "r"), "--repair"]) == 0
    assert "deleted 1 reference(s)" in capsys.readouterr().out
