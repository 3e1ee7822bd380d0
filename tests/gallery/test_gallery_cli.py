"""``siamkit gallery enroll|identify|verify|remove|list`` through the parser the main CLI uses."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from gallery_helpers import image_model, random_vectors, vector_model
from PIL import Image

from siamkit.cli import main
from siamkit.cli.gallery import add_parser
from siamkit.errors import DataError


def cli(*argv):
    return main(["gallery", *map(str, argv)])


@pytest.fixture
def setup(tmp_path):
    vector_model(threshold=-0.05).save(tmp_path / "model")
    vecs = random_vectors(6)
    for i in range(3):
        np.save(tmp_path / f"p{i}.npy", vecs[2 * i:2 * i + 2])
    np.savetxt(tmp_path / "probe.csv", vecs[2:3] + 1e-4, delimiter=",")
    return tmp_path


def test_enroll_identify_verify_list_remove(setup, capsys):
    g, m = setup / "g", setup / "model"
    for i in range(3):
        assert cli("enroll", "-g", g, "-m", m, f"person{i}", setup / f"p{i}.npy", "--metadata",
                   '{"i": %d}' % i) == 0
    assert "enrolled 2 reference(s) of 'person2' (2 in all)" in capsys.readouterr().out
    # the gallery remembers its model: --model may be left out from now on
    assert cli("identify", "-g", g, setup / "probe.csv", "-k", "2", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["identity"] == "person1" and out[0]["known"] is True
    assert len(out[0]["candidates"]) == 2
    assert cli("verify", "-g", g, "person1", setup / "probe.csv") == 0
    assert "accepted as 'person1'" in capsys.readouterr().out
    assert cli("verify", "-g", g, "person0", setup / "probe.csv") == 0  # a rejection is an answer
    assert "rejected as 'person0'" in capsys.readouterr().out
    assert cli("list", "-g", g, "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["identity"], i["n_references"], i["metadata"]) for i in listed] == [
        ("person0", 2, {"i": 0}), ("person1", 2, {"i": 1}), ("person2", 2, {"i": 2})]
    assert cli("remove", "-g", g, "person0") == 0
    assert cli("list", "-g", g) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["person1\t2", "person2\t2"]


def test_image_paths_from_a_list_file(tmp_path, capsys):
    image_model().save(tmp_path / "model")
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        pixels = np.random.default_rng(i).integers(0, 255, (8, 8), dtype=np.uint8)
        Image.fromarray(pixels).save(paths[-1])
    (tmp_path / "list.txt").write_text("\n".join(map(str, paths[:2])) + "\n\n")
    assert cli("enroll", "-g", tmp_path / "g", "-m", tmp_path / "model", "cats", "--from-file",
               tmp_path / "list.txt") == 0
    assert cli("identify", "-g", tmp_path / "g", paths[1], "-k", "1") == 0
    out = capsys.readouterr().out.splitlines()[-1]
    assert out.startswith(f"{paths[1]}: cats") and "(no threshold" not in out


@pytest.mark.parametrize("argv,message", [
    (["list", "-g", "{tmp}/none"], "no gallery there"),
    (["enroll", "-g", "{tmp}/new", "who", "x.npy"], "--model"),  # a new gallery has no model yet
    (["enroll", "-g", "{tmp}/g", "-m", "{tmp}/model", "who"], "no samples"),
    (["enroll", "-g", "{tmp}/g", "-m", "{tmp}/model", "who", "{tmp}/missing.npy"], "no such file"),
    (["enroll", "-g", "{tmp}/g", "-m", "{tmp}/model", "who", "{tmp}/p0.npy", "--metadata", "[bad"],
     "--metadata"),
    (["verify", "-g", "{tmp}/g", "-m", "{tmp}/model", "nobody", "{tmp}/p0.npy"], "not enrolled"),
])
def test_bad_input_is_one_line_and_exit_status_1(setup, capsys, argv, message):
    cli("enroll", "-g", setup / "g", "-m", setup / "model", "someone", setup / "p1.npy")
    capsys.readouterr()
    assert cli(*[a.format(tmp=setup) for a in argv]) == 1  # siamkit's one convention
    err = capsys.readouterr().err
    assert err.startswith("siamkit: error:") and message in err
    assert len(err.strip().splitlines()) <= 2


def test_handlers_raise_siamkit_errors_for_the_main_cli(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["gallery", "list", "-g", str(tmp_path / "none")])
    with pytest.raises(DataError, match="no gallery there"):
        args.func(args)


def test_index_factory_string_and_vector_storage_from_the_cli(setup, capsys):
    g, m = setup / "g", setup / "model"
    assert cli("enroll", "-g", g, "-m", m, "--index", "HNSW8,SQ8", "--vectors", "float16",
               "person0", setup / "p0.npy") == 0
    capsys.readouterr()
    assert cli("identify", "-g", g, setup / "p0.npy", "--ef-search", "32", "--rerank", "5",
               "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["identity"] == "person0"
    from siamkit.gallery import Gallery
    with Gallery(vector_model(threshold=-0.05), g) as gallery:
        assert gallery.stats()["factory"] == "HNSW8,SQ8" and gallery.vectors_ == "float16"
    assert cli("identify", "-g", g, setup / "probe.csv", "--index", "IVFx") == 1
    assert "'IVFx'" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("milvus_lite") is None,
                    reason="milvus-lite not installed (extra 'milvus')")
def test_milvus_backend_from_the_cli(setup, capsys):
    g, m = setup / "g", setup / "model"
    assert cli("enroll", "-g", g, "-m", m, "--backend", "milvus", "--uri", setup / "refs.db",
               "person0", setup / "p0.npy") == 0
    capsys.readouterr()
    assert cli("identify", "-g", g, setup / "p0.npy", "--json") == 0  # backend and uri recorded
    assert json.loads(capsys.readouterr().out)[0]["identity"] == "person0"
    assert cli("enroll", "-g", setup / "g2", "-m", m, "--backend", "milvus", "person0",
               setup / "p0.npy") == 1
    assert "give uri" in capsys.readouterr().err


def _tree(root, counts):
    for identity, n in counts.items():
        (root / identity).mkdir(parents=True)
        for i in range(n):
            pixels = np.random.default_rng(sum(map(ord, identity)) * 100 + i).integers(
                0, 255, (8, 8), dtype=np.uint8)
            Image.fromarray(pixels).save(root / identity / f"{i}.png")
    return root


def test_enroll_a_folder_per_identity_tree(tmp_path, capsys):
    image_model().save(tmp_path / "model")
    root = _tree(tmp_path / "people", {"alice": 3, "bob": 2})
    (root / "alice" / "notes.txt").write_text("not an image")
    (root / "README.md").write_text("beside the identity folders")
    g = tmp_path / "g"
    assert cli("enroll", "-g", g, "-m", tmp_path / "model", "--folder", root) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == ["enrolled 3 reference(s) of 'alice' (3 in all)",
                                    "enrolled 2 reference(s) of 'bob' (2 in all)",
                                    f"5 references of 2 identities from {root}"]
    said = [line for line in out.err.splitlines() if line.startswith("siamkit: warning:")]
    assert f"siamkit: warning: {root}: skipped 1 file, not image files (notes.txt)" in said
    assert f"siamkit: warning: {root}: skipped 1 file, outside an identity folder (README.md)" in said
    # one more identity from its own folder, named on the command line
    _tree(tmp_path / "new", {"carol_photos": 2})
    assert cli("enroll", "-g", g, "--folder", tmp_path / "new" / "carol_photos", "--name",
               "carol", "--json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"identity": "carol", "n_enrolled": 2, "n_references": 2}]
    assert cli("list", "-g", g) == 0
    assert capsys.readouterr().out.splitlines() == ["alice\t3", "bob\t2", "carol\t2"]
    # each enrolled image is found as its own identity, at the top
    assert cli("identify", "-g", g, root / "bob" / "1.png", "-k", "1", "--json") == 0
    assert json.loads(capsys.readouterr().out)[0]["candidates"][0]["identity"] == "bob"


@pytest.mark.parametrize("argv,message", [
    (["--folder", "{tmp}/people/alice"], "no identity subfolders"),
    (["--folder", "{tmp}/nowhere"], "no such folder"),
    (["who", "--folder", "{tmp}/people"], "give no identity"),
    (["--folder", "{tmp}/empty_tree"], "identity 'nobody' has no image files"),
    (["--name", "x", "{tmp}/people/alice"], "--name goes with --folder"),
    ([], "name the identity"),
])
def test_enroll_folder_errors_are_one_line(tmp_path, capsys, argv, message):
    image_model().save(tmp_path / "model")
    _tree(tmp_path / "people", {"alice": 1})
    (tmp_path / "empty_tree" / "nobody").mkdir(parents=True)
    (tmp_path / "empty_tree" / "nobody" / "a.txt").write_text("x")
    code = cli("enroll", "-g", tmp_path / "g", "-m", tmp_path / "model",
               *[a.format(tmp=tmp_path) for a in argv])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("siamkit: error:") and message in err, err
    assert len(err.strip().splitlines()) == 1


def test_enroll_folder_needs_an_image_model(setup, capsys):
    _tree(setup / "people", {"alice": 1})
    assert cli("enroll", "-g", setup / "g", "-m", setup / "model", "--folder",
               setup / "people") == 1
    assert "--folder: enrolls image files, but the model takes vector inputs" in \
        capsys.readouterr().err
