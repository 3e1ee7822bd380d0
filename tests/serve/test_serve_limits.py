"""Issue 16, item 2 (memory amplification) and item 6 (names with '/'): images are bounded by
their headers per image and per request before any pixel is decoded, decoded and embedded a chunk
at a time, model-running requests wait for one of a few slots (503 + Retry-After when none frees),
enrollment metadata has a size limit, and any enrollable name can be removed over HTTP."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from urllib.parse import quote

import httpx
import numpy as np
import pytest
from big_images import blank_png
from PIL import Image
from serve_helpers import image_model, make_client, random_vectors, vector_model

from siamkit.serve import Limits
from siamkit.serve.limits import ConcurrencyLimitMiddleware

MB = 1024


def peak_rss_kb() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))


def reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # Linux: resets VmHWM to the current RSS
    except OSError:
        pytest.skip("cannot reset the peak RSS here (/proc/self/clear_refs)")


def uploads(data: list[bytes]):
    return [("files", (f"big{i}.png", d, "image/png")) for i, d in enumerate(data)]


def test_64_pngs_of_4096x4096_in_one_identify_are_refused_from_their_headers():
    # The request: 64 PNGs of 4096 x 4096 (49 KB each) took the server to 4.66 GB.
    client = make_client(image_model(threshold=-1.0))  # default limits
    png = blank_png(4096, 4096)
    assert 45_000 < len(png) < 55_000
    reset_peak_rss()
    before = peak_rss_kb()
    r = client.post("/api/gallery/identify/upload", files=uploads([png] * 64))
    grew_mb = (peak_rss_kb() - before) / MB
    assert r.status_code == 413
    detail = r.json()["detail"]
    assert "files[4] (big4.png)" in detail and str(4 * 4096 * 4096) in detail
    assert "--max-request-pixels" in detail
    assert grew_mb < 100, f"refusing it cost {grew_mb:.0f} MB"  # 64 x 50 MB were decoded before
    as_json = client.post("/api/gallery/identify",
                          json={"images": [base64.b64encode(png).decode()] * 64})
    assert as_json.status_code == 413 and "images[4]" in as_json.json()["detail"]


def test_one_image_over_the_per_image_limit_is_refused_by_name():
    client = make_client(image_model(threshold=-1.0))
    r = client.post("/api/gallery/identify/upload", files=uploads([blank_png(4097, 4096)]))
    assert r.status_code == 413
    assert "files[0] (big0.png): 4097x4096 pixels exceed the limit of 16777216" in \
        r.json()["detail"]


def test_images_are_decoded_and_embedded_a_chunk_at_a_time():
    model = image_model(threshold=-1.0)
    side = 2048
    limits = Limits(max_image_pixels=side * side, max_request_pixels=8 * side * side)
    client = make_client(model, limits=limits)
    rng = np.random.default_rng(0)
    images = []
    for i in range(8):  # 8 RGB images of 2048 x 2048: 12.6 MB each once decoded
        image = Image.new("RGB", (side, side), tuple(int(c) for c in rng.integers(0, 255, 3)))
        image.paste((255, 255, 255), (i * 100, 0, i * 100 + 300, 400))
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=1)
        images.append(buf.getvalue())
    reset_peak_rss()
    before = peak_rss_kb()
    r = client.post("/api/embed/upload", files=uploads(images))
    grew_mb = (peak_rss_kb() - before) / MB
    assert r.status_code == 200, r.text
    # All 8 decoded at once held > 100 MB (8 x 12.6 MB, plus each one's grey copy).
    assert grew_mb < 55, f"embedding grew the peak RSS by {grew_mb:.0f} MB"
    want = model.encode(model.prepare([Image.open(io.BytesIO(d)) for d in images])).numpy()
    np.testing.assert_allclose(np.array(r.json()["embeddings"]), want, rtol=1e-5, atol=1e-6)


def test_a_truncated_image_is_a_422_naming_it_even_when_decoded_late():
    client = make_client(image_model(threshold=-1.0))
    good = blank_png(64, 64)
    r = client.post("/api/embed/upload", files=uploads([good, good[:-40]]))
    assert r.status_code == 422 and "files[1] (big1.png): not a readable image" in \
        r.json()["detail"]


def test_pairs_count_both_sides_against_the_request_limit():
    limits = Limits(max_image_pixels=100 * 100, max_request_pixels=100 * 100 + 10)
    client = make_client(image_model(threshold=-1.0), limits=limits)
    png = blank_png(100, 100)
    r = client.post("/api/similarity/upload", files={"a": ("a.png", png), "b": ("b.png", png)})
    assert r.status_code == 413 and "--max-request-pixels" in r.json()["detail"]


def test_enrollment_metadata_has_a_size_limit():
    client = make_client(vector_model(), limits=Limits(max_metadata_bytes=16 * 1024))
    v = random_vectors(1).tolist()
    big = {"notes": "x" * 20_000}
    r = client.post("/api/gallery/enroll", json={"identity": "ann", "vectors": v, "metadata": big})
    assert r.status_code == 413
    assert "metadata" in r.json()["detail"] and "16384 bytes" in r.json()["detail"]
    ok = {"notes": "x" * 10_000}
    assert client.post("/api/gallery/enroll",
                       json={"identity": "ann", "vectors": v, "metadata": ok}).status_code == 200
    image_client = make_client(image_model(threshold=-1.0), limits=Limits(max_metadata_bytes=100))
    r = image_client.post("/api/gallery/enroll/upload", files=uploads([blank_png(8, 8)]),
                          data={"identity": "cat", "metadata": '{"a": "' + "y" * 200 + '"}'})
    assert r.status_code == 413 and "metadata" in r.json()["detail"]


def test_the_limits_are_described_by_the_model_route():
    client = make_client(vector_model(), limits=Limits(queue_timeout_s=2.5, max_concurrent=3))
    limits = client.get("/api/model").json()["limits"]
    assert limits["queue_timeout_s"] == 2.5 and limits["max_concurrent"] == 3
    assert limits["max_request_pixels"] == 4 * 4096 * 4096 and limits["max_metadata_bytes"] == 16384
    with pytest.raises(ValueError, match="max_concurrent"):
        Limits(max_concurrent=0)


def test_model_running_requests_beyond_the_slots_get_503_with_retry_after():
    async def slow_app(scope, receive, send):
        await asyncio.sleep(0.5)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = ConcurrencyLimitMiddleware(slow_app, limit=2, wait_s=0.1)

    async def main():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            posts = [client.post("/api/embed", json={}) for _ in range(3)]
            reads = [client.get("/api/gallery/identities")]  # not a model run: never waits
            t = time.perf_counter()
            answers = await asyncio.gather(*posts, *reads)
            return answers, time.perf_counter() - t

    answers, elapsed = asyncio.run(main())
    codes = sorted(r.status_code for r in answers[:3])
    assert codes == [200, 200, 503] and answers[3].status_code == 200
    busy = next(r for r in answers if r.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "--max-concurrent" in busy.json()["detail"]
    assert elapsed < 1.0  # the two slots ran side by side

    async def queued():  # a short wait is a wait, not a refusal
        app2 = ConcurrencyLimitMiddleware(slow_app, limit=1, wait_s=5)
        transport = httpx.ASGITransport(app=app2)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await asyncio.gather(*[client.post("/api/embed") for _ in range(3)])

    assert [r.status_code for r in asyncio.run(queued())] == [200, 200, 200]


NAMES = ["dept/ann", "/leading", "trailing/", "a//b", "x/../y", "100%", "q?x=1", "#1",
         " spaced name ", "ünï/cödé", "a/./b", "..."]


@pytest.mark.parametrize("name", NAMES)
def test_any_enrolled_name_can_be_removed_over_http(name):
    client = make_client(vector_model())
    r = client.post("/api/gallery/enroll",
                    json={"identity": name, "vectors": random_vectors(2).tolist()})
    assert r.status_code == 200 and r.json()["identity"] == name
    r = client.delete("/api/gallery/identities/" + quote(name, safe=""))
    assert r.status_code == 200, r.text
    assert r.json() == {"identity": name, "removed": 2}
    assert client.get("/api/gallery/identities").json()["n_identities"] == 0


@pytest.mark.parametrize("name", [".", ".."])
def test_the_names_no_url_path_can_carry_are_refused_at_enrollment(name):
    client = make_client(vector_model())
    r = client.post("/api/gallery/enroll",
                    json={"identity": name, "vectors": random_vectors(1).tolist()})
    assert r.status_code == 422 and "choose another name" in r.json()["detail"]


def test_a_raw_slash_works_too_and_an_unknown_name_is_404():
    client = make_client(vector_model())
    client.post("/api/gallery/enroll",
                json={"identity": "team/b/carl", "vectors": random_vectors(1).tolist()})
    assert client.delete("/api/gallery/identities/team/b/carl").json()["removed"] == 1
    r = client.delete("/api/gallery/identities/team%2Fnobody")
    assert r.status_code == 404 and "team/nobody" in r.json()["detail"]


def test_an_enrollment_the_disk_refuses_is_a_507_naming_the_file(monkeypatch):
    from siamkit.errors import WriteError
    from siamkit.gallery import Gallery

    def full_disk(self, *args, **kwargs):
        raise WriteError("gallery/refs.sqlite: could not be written (the device is full)")

    client = make_client(vector_model())
    monkeypatch.setattr(Gallery, "enroll_embeddings", full_disk)
    r = client.post("/api/gallery/enroll", json={"identity": "ann",
                                                 "vectors": random_vectors(1).tolist()})
    assert r.status_code == 507 and "device is full" in r.json()["detail"]
