"""``/docs`` is Swagger UI served by the service itself: nothing on the page comes from elsewhere.
(The browser test in test_serve_browser.py checks that it renders.)"""

from __future__ import annotations

import re

from serve_helpers import make_client, vector_model


def test_docs_page_loads_its_script_and_style_from_this_server():
    client = make_client(vector_model(), api_key="k")
    page = client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls and all(u.startswith("/docs/assets/") for u in urls), urls
    assert "http://" not in page.text and "https://" not in page.text
    for url in urls:  # the assets need no API key, like the pages
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    assert "SwaggerUIBundle" in client.get("/docs/assets/swagger-ui-bundle.js").text


def test_no_cdn_page_is_left_at_redoc():
    assert make_client(vector_model()).get("/redoc").status_code == 404
