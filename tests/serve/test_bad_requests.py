"""A table of bad requests: each is refused with the right 4xx and a message naming the problem.
None may give a 500, whatever is wrong with it."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image
from serve_helpers import png_bytes

V = [[0.1] * 6]
PNG = png_bytes(0)
B64 = base64.b64encode(PNG).decode()


def big_png() -> bytes:  # 1000 x 1000 pixels of one colour: a few KiB compressed, over the pixel limit
    buf = io.BytesIO()
    Image.fromarray(np.zeros((1000, 1000), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


CASES = [
    # (client, method, url, request kwargs, status, words in the message)
    ("vector", "post", "/api/embed", {"json": {"texts": ["hi"]}}, 422, "takes vectors"),
    ("vector", "post", "/api/embed", {"json": {"images": [B64]}}, 422, "send them as 'vectors'"),
    ("vector", "post", "/api/embed", {"json": {}}, 422, "no inputs"),
    ("vector", "post", "/api/embed", {"json": {"vectors": V, "texts": ["x"]}}, 422, "'texts, vectors'"),
    ("vector", "post", "/api/embed", {"json": {"vectors": []}}, 422, "empty"),
    ("vector", "post", "/api/embed", {"json": {"vectors": [[1.0, 2.0]]}}, 422, "expected 6 numbers, got 2"),
    ("vector", "post", "/api/embed", {"json": {"vectors": [[1] * 6, [1] * 5]}}, 422, "vectors[1]"),
    ("vector", "post", "/api/embed", {"json": {"vectors": "1,2,3"}}, 422, "list"),
    ("vector", "post", "/api/embed", {"json": {"vectors": [["a"] * 6]}}, 422, "number"),
    ("vector", "post", "/api/embed", {"json": {"vectors": [[[1]] * 6]}}, 422, "number"),
    ("vector", "post", "/api/embed", {"json": [1, 2]}, 422, "dict"),
    ("vector", "post", "/api/embed", {"json": {"vectors": V, "extra": 1}}, 422, "extra"),
    ("vector", "post", "/api/embed", {"content": b'{"vectors": [[NaN,1,1,1,1,1]]}',
                                      "headers": {"content-type": "application/json"}}, 422, "finite"),
    ("vector", "post", "/api/embed", {"content": b'{"vectors": [[1e999,1,1,1,1,1]]}',
                                      "headers": {"content-type": "application/json"}}, 422, "finite"),
    ("vector", "post", "/api/embed", {"json": {"vectors": [[1e300] * 6]}}, 422, "float32"),
    ("vector", "post", "/api/embed", {"content": b"{not json", "headers": {"content-type": "application/json"}},
     422, "JSON"),
    ("vector", "post", "/api/embed", {"content": b"vectors=1", "headers": {"content-type": "text/plain"}}, 422, ""),
    ("vector", "post", "/api/embed", {"json": {"vectors": V * 9}}, 413, "batch limit of 8"),
    ("vector", "post", "/api/embed", {"content": b"x" * 70_000, "headers": {"content-type": "application/json"}},
     413, "limit of 64000 bytes"),
    ("vector", "post", "/api/embed", {"content": iter([b"[" + b" " * 40_000, b" " * 40_000 + b"]"]),
                                      "headers": {"content-type": "application/json"}}, 413, "64000"),
    ("vector", "post", "/api/embed/upload", {"files": {"files": ("a.png", PNG)}}, 422, "not image files"),
    ("vector", "post", "/api/similarity", {"json": {"a": {"vectors": V}, "b": {"vectors": V * 2}}}, 422,
     "as many inputs"),
    ("vector", "post", "/api/similarity", {"json": {"a": {"vectors": V}}}, 422, "b"),
    ("vector", "post", "/api/similarity", {"json": {"a": {"vectors": V}, "b": {"texts": ["x"]}}}, 422, "b: got"),
    ("vector", "get", "/api/similarity", {}, 405, ""),
    ("vector", "post", "/api/gallery/enroll", {"json": {"identity": "", "vectors": V}}, 422, "identity"),
    ("vector", "post", "/api/gallery/enroll", {"json": {"identity": "a\tb", "vectors": V}}, 422, "printable"),
    ("vector", "post", "/api/gallery/enroll", {"json": {"identity": "x" * 300, "vectors": V}}, 422, "256"),
    ("vector", "post", "/api/gallery/enroll", {"json": {"vectors": V}}, 422, "identity"),
    ("vector", "post", "/api/gallery/enroll", {"json": {"identity": "a", "vectors": V, "metadata": [1]}}, 422,
     "dict"),
    ("vector", "post", "/api/gallery/identify", {"json": {"vectors": V, "k": 0}}, 422, "k"),
    ("vector", "post", "/api/gallery/identify", {"json": {"vectors": V, "k": 21}}, 422, "limit of 20"),
    ("vector", "post", "/api/gallery/identify", {"json": {"vectors": V, "k": "many"}}, 422, "k"),
    ("vector", "post", "/api/gallery/verify", {"json": {"identity": "nobody", "vectors": V}}, 404, "nobody"),
    ("vector", "post", "/api/gallery/verify", {"json": {"identity": "a", "vectors": V, "aggregate": "median"}},
     422, "aggregate"),
    ("vector", "delete", "/api/gallery/identities/nobody", {}, 404, "not enrolled"),
    ("vector", "get", "/api/nothing-here", {}, 404, ""),
    ("image", "post", "/api/embed", {"json": {"vectors": V}}, 422, "upload"),
    ("image", "post", "/api/embed", {"json": {"images": ["@@not base64@@"]}}, 422, "images[0]: not valid base64"),
    ("image", "post", "/api/embed", {"json": {"images": [base64.b64encode(b"hello").decode()]}}, 422,
     "not a readable image"),
    ("image", "post", "/api/embed", {"json": {"images": [""]}}, 422, "empty"),
    ("image", "post", "/api/embed", {"json": {"images": [B64[: len(B64) // 2 // 4 * 4]]}}, 422, "readable"),
    ("image", "post", "/api/embed/upload", {"files": {"files": ("a.txt", b"plain text")}}, 422, "a.txt"),
    ("image", "post", "/api/embed/upload", {"files": {"files": ("big.png", big_png())}}, 413, "pixels"),
    ("image", "post", "/api/embed/upload", {"files": [("files", ("a.png", PNG))] * 9}, 413, "batch limit"),
    ("image", "post", "/api/embed/upload", {"data": {"x": "1"}}, 422, "files"),
    ("image", "post", "/api/embed/upload", {"json": {"images": [B64]}}, 422, ""),
    ("image", "post", "/api/similarity/upload", {"files": {"a": ("a.png", PNG)}}, 422, "b"),
    ("image", "post", "/api/gallery/enroll/upload", {"files": {"files": ("a.png", PNG)}}, 422, "identity"),
    ("image", "post", "/api/gallery/enroll/upload", {"data": {"identity": "a", "metadata": "{oops"},
                                                     "files": {"files": ("a.png", PNG)}}, 422, "metadata"),
    ("image", "post", "/api/gallery/identify/upload", {"data": {"k": "0"}, "files": {"files": ("a.png", PNG)}},
     422, "k"),
    ("text", "post", "/api/embed", {"json": {"texts": [3]}}, 422, "string"),
    ("text", "post", "/api/embed", {"json": {"texts": "one text"}}, 422, "list"),
    ("text", "post", "/api/embed", {"json": {"texts": ["x" * 10_001]}}, 413, "10000"),
    ("text", "post", "/api/embed/upload", {"files": {"files": ("a.png", PNG)}}, 422, "takes texts"),
]


@pytest.mark.parametrize("client_name,method,url,kwargs,status,words", CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(CASES)])
def test_bad_request_is_refused_clearly(request, client_name, method, url, kwargs, status, words):
    client = request.getfixturevalue(f"{client_name}_client")
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.text
    assert words.lower() in response.text.lower()
    assert response.headers["content-type"].startswith("application/json")
