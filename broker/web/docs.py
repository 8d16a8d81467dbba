"""The interactive API documentation (Swagger UI) at ``/api/docs``, with a policy of its own.

Swagger UI comes from a CDN and starts with one inline script; rather than loosen the pages'
policy, this one page gets a policy that allows exactly that CDN and that script, by hash.
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from broker.api.problems import install_problem_descriptions
from broker.web.security import script_hash

SWAGGER_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(?P<body>.*?)</script>", re.DOTALL)


def install_api_docs(app: FastAPI) -> None:
    install_problem_descriptions(app)
    page = get_swagger_ui_html(openapi_url=app.openapi_url or "/api/openapi.json", title=f"{app.title} – API")
    html = bytes(page.body).decode("utf-8")
    hashes = " ".join(script_hash(m.group("body")) for m in _INLINE_SCRIPT.finditer(html))
    policy = (
        f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; style-src {SWAGGER_CDN}; "
        f"img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )

    @app.get("/api/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})
