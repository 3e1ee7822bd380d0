"""Raw inputs (image files, texts, vectors) go through the model's adapter; bad inputs are named."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from gallery_helpers import image_model, random_vectors, text_model, vector_model
from PIL import Image

from siamkit.errors import DataError
from siamkit.gallery import Gallery


def write_images(folder, n):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = folder / f"img{i}.png"
        Image.fromarray(rng.integers(0, 255, (12, 10), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_image_paths_are_enrolled_with_their_source(tmp_path):
    paths = write_images(tmp_path, 4)
    g = Gallery(image_model())
    g.enroll("left", paths[:2])
    g.enroll("right", str(paths[2]))  # one path on its own
    assert g.identify(paths[2], k=1)[0].identity == "right"
    assert g.search(paths[0], k=1)[0][0].metadata == {"source": str(paths[0])}
    with pytest.raises(DataError, match="no such file"):
        g.enroll("ghost", tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(DataError, match="not a readable image"):
        g.identify(bad)


def test_texts_are_enrolled_and_found_by_search():
    g = Gallery(text_model())
    g.enroll("q1", ["how do I reset my password", "forgot password"])
    g.enroll("q2", "where is my parcel")
    hits = g.search("how do I reset my password", k=1)[0]
    assert hits[0].identity == "q1" and hits[0].metadata == {"text": "how do I reset my password"}
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)  # cosine of a text with itself
    with pytest.raises(DataError, match="item #1 is a int"):
        g.identify(["fine", 3])


@pytest.mark.parametrize("call,message", [
    (lambda g, v: g.enroll("", v[0]), "identity"),
    (lambda g, v: g.enroll(7, v[0]), "identity"),
    (lambda g, v: g.enroll("x\n", v[0]), "printable"),
    (lambda g, v: g.enroll("a", []), "no samples"),
    (lambda g, v: g.enroll("a", v[:, :4]), "6 features"),
    (lambda g, v: g.enroll("a", v[0], metadata=[1]), "metadata must be a dict"),
    (lambda g, v: g.enroll("a", v[0], metadata={"x": object()}), "JSON"),
    (lambda g, v: g.enroll("a", v[:2], reference_metadata=[{}]),
     "1 reference metadata dicts for 2"),
    (lambda g, v: g.enroll_embeddings("a", np.zeros((1, 3))), r"shape \[n, 4\]"),
    (lambda g, v: g.enroll_embeddings("a", np.full((1, 4), np.nan)), "NaN"),
    (lambda g, v: g.identify_embeddings("abc"), "expected numbers"),
    (lambda g, v: g.identify(np.full((1, 6), np.inf)), "NaN or infinite"),
])
def test_bad_inputs_raise_data_errors_that_say_what_is_wrong(call, message):
    g = Gallery(vector_model())
    g.enroll("seed", random_vectors(1))
    with pytest.raises(DataError, match=message):
        call(g, random_vectors(4))
    assert len(g) == 1 and g.n_references == 1  # nothing half-done


def test_threads_enrolling_and_identifying_at_once(tmp_path):
    g = Gallery(vector_model(), tmp_path / "g")
    vecs = random_vectors(8 * 30, seed=9)
    errors = []

    def worker(w):
        try:
            for i in range(30):
                name = f"w{w}-{i}"
                g.enroll(name, vecs[w * 30 + i])
                assert g.identify(vecs[w * 30 + i], k=1)[0].identity == name
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(g) == 240 and g.n_references == 240
