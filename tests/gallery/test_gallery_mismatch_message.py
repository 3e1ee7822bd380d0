"""The gallery's model-mismatch error is one readable line that says which fields differ
(issue 18, item 7), not two Python dicts."""

from __future__ import annotations

import numpy as np
import pytest
from gallery_helpers import vector_model

from siamkit.gallery import Gallery, ModelMismatchError
from siamkit.gallery.fingerprint import mismatch_message


@pytest.fixture
def gallery_dir(tmp_path):
    model = vector_model(seed=0)
    with Gallery(model, tmp_path / "g") as g:
        g.enroll("ann", np.ones((2, 6), dtype=np.float32))
    return tmp_path / "g"


def test_other_weights_of_the_same_kind(gallery_dir):
    with pytest.raises(ModelMismatchError) as caught:
        Gallery.load(gallery_dir, vector_model(seed=1))
    text = str(caught.value)
    assert "\n" not in text and "{" not in text
    assert text.startswith(f"gallery {gallery_dir}: its references were embedded by another model: "
                           "same encoder mlp, input vector, embedding size 4, but other weights")


def test_the_fields_that_differ_are_named(gallery_dir):
    with pytest.raises(ModelMismatchError) as caught:
        Gallery.load(gallery_dir, vector_model(seed=0, embedding_dim=8))
    text = str(caught.value)
    assert "embedding size 4 (gallery) vs 8 (given model)" in text and "encoder" not in text


def test_a_gallery_without_a_description():
    text = mismatch_message("gallery g", None, "a" * 64, {"encoder": "convnet", "adapter": "image",
                                                          "embedding_dim": 8}, "b" * 64)
    assert "same encoder convnet, input image, embedding size 8, but other weights" in text
