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


def big_png() -> bytes:
    """1000 x 1000 pixels of one colour: a few KiB compressed, over the test pixel limit."""
    buf = io.BytesIO()
    Image.fromarray(np.zeros((1000, 1000), dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def bad(client: str, url: str, status: int, words: str, method: str = "post", **request):
    """One row: ``client`` fixture, request, expected status and words of the message."""
    return pytest.param(client, method, url, request, status, words, id=f"{client}{url}:{words}")


JSON = {"content-type": "application/json"}
EMBED, UPLOAD = "/api/embed", "/api/embed/upload"
ENROLL, IDENTIFY, VERIFY = "/api/gallery/enroll", "/api/gallery/identify", "/api/gallery/verify"
SIMILARITY = "/api/similarity"
ONE_PNG = {"files": ("a.png", PNG)}

CASES = [
    bad("vector", EMBED, 422, "takes vectors", json={"texts": ["hi"]}),
    bad("vector", EMBED, 422, "send them as 'vectors'", json={"images": [B64]}),
    bad("vector", EMBED, 422, "no inputs", json={}),
    bad("vector", EMBED, 422, "'texts, vectors'", json={"vectors": V, "texts": ["x"]}),
    bad("vector", EMBED, 422, "empty", json={"vectors": []}),
    bad("vector", EMBED, 422, "expected 6 numbers, got 2", json={"vectors": [[1.0, 2.0]]}),
    bad("vector", EMBED, 422, "vectors[1]", json={"vectors": [[1] * 6, [1] * 5]}),
    bad("vector", EMBED, 422, "list", json={"vectors": "1,2,3"}),
    bad("vector", EMBED, 422, "number", json={"vectors": [["a"] * 6]}),
    bad("vector", EMBED, 422, "number", json={"vectors": [[[1]] * 6]}),
    bad("vector", EMBED, 422, "dict", json=[1, 2]),
    bad("vector", EMBED, 422, "extra", json={"vectors": V, "extra": 1}),
    bad("vector", EMBED, 422, "finite", content=b'{"vectors": [[NaN,1,1,1,1,1]]}', headers=JSON),
    bad("vector", EMBED, 422, "finite", content=b'{"vectors": [[1e999,1,1,1,1,1]]}', headers=JSON),
    bad("vector", EMBED, 422, "float32", json={"vectors": [[1e300] * 6]}),
    bad("vector", EMBED, 422, "JSON", content=b"{not json", headers=JSON),
    bad("vector", EMBED, 422, "", content=b"vectors=1", headers={"content-type": "text/plain"}),
    bad("vector", EMBED, 413, "batch limit of 8", json={"vectors": V * 9}),
    bad("vector", EMBED, 413, "limit of 64000 bytes", content=b"x" * 70_000, headers=JSON),
    # chunked (no Content-Length): the limit is enforced while the body streams in
    bad("vector", EMBED, 413, "64000", headers=JSON,
        content=iter([b"[" + b" " * 40_000, b" " * 40_000 + b"]"])),
    bad("vector", UPLOAD, 422, "not image files", files=ONE_PNG),
    bad("vector", SIMILARITY, 422, "as many inputs",
        json={"a": {"vectors": V}, "b": {"vectors": V * 2}}),
    bad("vector", SIMILARITY, 422, "b", json={"a": {"vectors": V}}),
    bad("vector", SIMILARITY, 422, "b: got", json={"a": {"vectors": V}, "b": {"texts": ["x"]}}),
    bad("vector", SIMILARITY, 405, "", method="get"),
    bad("vector", ENROLL, 422, "identity", json={"identity": "", "vectors": V}),
    bad("vector", ENROLL, 422, "printable", json={"identity": "a\tb", "vectors": V}),
    bad("vector", ENROLL, 422, "256", json={"identity": "x" * 300, "vectors": V}),
    bad("vector", ENROLL, 422, "identity", json={"vectors": V}),
    bad("vector", ENROLL, 422, "dict", json={"identity": "a", "vectors": V, "metadata": [1]}),
    bad("vector", IDENTIFY, 422, "k", json={"vectors": V, "k": 0}),
    bad("vector", IDENTIFY, 422, "limit of 20", json={"vectors": V, "k": 21}),
    bad("vector", IDENTIFY, 422, "k", json={"vectors": V, "k": "many"}),
    bad("vector", VERIFY, 404, "nobody", json={"identity": "nobody", "vectors": V}),
    bad("vector", VERIFY, 422, "aggregate",
        json={"identity": "a", "vectors": V, "aggregate": "median"}),
    bad("vector", "/api/gallery/identities/nobody", 404, "not enrolled", method="delete"),
    bad("vector", "/api/nothing-here", 404, "", method="get"),
    bad("image", EMBED, 422, "upload", json={"vectors": V}),
    bad("image", EMBED, 422, "images[0]: not valid base64", json={"images": ["@@not base64@@"]}),
    bad("image", EMBED, 422, "not a readable image",
        json={"images": [base64.b64encode(b"hello").decode()]}),
    bad("image", EMBED, 422, "empty", json={"images": [""]}),
    bad("image", EMBED, 422, "readable", json={"images": [B64[: len(B64) // 2 // 4 * 4]]}),
    bad("image", UPLOAD, 422, "a.txt", files={"files": ("a.txt", b"plain text")}),
    bad("image", UPLOAD, 413, "pixels", files={"files": ("big.png", big_png())}),
    bad("image", UPLOAD, 413, "batch limit", files=[("files", ("a.png", PNG))] * 9),
    bad("image", UPLOAD, 422, "files", data={"x": "1"}),
    bad("image", UPLOAD, 422, "", json={"images": [B64]}),
    bad("image", "/api/similarity/upload", 422, "b", files={"a": ("a.png", PNG)}),
    bad("image", ENROLL + "/upload", 422, "identity", files=ONE_PNG),
    bad("image", ENROLL + "/upload", 422, "metadata", files=ONE_PNG,
        data={"identity": "a", "metadata": "{oops"}),
    bad("image", IDENTIFY + "/upload", 422, "k", data={"k": "0"}, files=ONE_PNG),
    bad("text", EMBED, 422, "string", json={"texts": [3]}),
    bad("text", EMBED, 422, "list", json={"texts": "one text"}),
    bad("text", EMBED, 413, "10000", json={"texts": ["x" * 10_001]}),
    bad("text", UPLOAD, 422, "takes texts", files=ONE_PNG),
]


@pytest.mark.parametrize("client_name,method,url,kwargs,status,words", CASES)
def test_bad_request_is_refused_clearly(request, client_name, method, url, kwargs, status, words):
    client = request.getfixturevalue(f"{client_name}_client")
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == status, response.text
    assert words.lower() in response.text.lower()
    assert response.headers["content-type"].startswith("application/json")
