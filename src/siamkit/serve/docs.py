"""``/docs``: Swagger UI served from this machine, so the interactive API page works offline.

FastAPI's default ``/docs`` page loads Swagger UI's script and style from a CDN: behind a firewall,
or on a laptop without network, it stays blank. Here the same page is made with FastAPI's own
:func:`fastapi.openapi.docs.get_swagger_ui_html`, pointed at the Swagger UI distribution files
(Apache-2.0, SmartBear) that the ``swagger-ui-bundle-v2`` package installs, mounted under
``/docs/assets``. Swagger UI 5 is needed: FastAPI writes OpenAPI 3.1, which Swagger UI 4 cannot read.
ReDoc (also CDN-only in FastAPI) is not offered.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from ..errors import ConfigError

ASSETS = "/docs/assets"


def swagger_ui_folder():
    """The folder of Swagger UI's dist files (swagger-ui-bundle.js, swagger-ui.css, ...)."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        raise ConfigError("the /docs page needs the swagger-ui-bundle-v2 package "
                          "(pip install swagger-ui-bundle-v2)") from None
    return swagger_ui_path


def add_docs(app: FastAPI, title: str) -> None:
    """``GET /docs`` (and Swagger's OAuth2 redirect page) with assets from this server. Build the
    app with ``docs_url=None, redoc_url=None`` so that FastAPI's CDN pages are not added too."""
    app.mount(ASSETS, StaticFiles(directory=str(swagger_ui_folder())), name="swagger-ui")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json",
                                   title=f"{title} API", oauth2_redirect_url=redirect,
                                   swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{ASSETS}/swagger-ui.css",
                                   swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
