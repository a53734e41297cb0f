"""The operators' web console: plain HTML, CSS and JavaScript modules in `static/`, shipped in
the package and served by every worker's web server (no build step, nothing from the network).

    GET /console            the console (index.html)
    GET /console/{asset}    one of the files of static/, by name (no folders)

The pages hold no data and need no token: the console asks for one and sends it with each API
request (`Authorization: Bearer`), as any other client does. Not API routes: the OpenAPI document
leaves them out on purpose (streams/openapi.py, UNDOCUMENTED).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import faust
from faust.web import Request, Response, View

CONSOLE_PATH = "/console"
ASSET_PATH = "/console/{asset}"

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Only this origin's files and API: no inline script, no third-party anything.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def console_assets() -> dict[str, tuple[bytes, str]]:
    """Each file of static/ by name: its bytes and content type."""
    assets = {}
    for item in files(__name__).joinpath("static").iterdir():
        suffix = "." + item.name.rpartition(".")[2]
        if item.is_file() and suffix in CONTENT_TYPES:
            assets[item.name] = (item.read_bytes(), CONTENT_TYPES[suffix])
    if "index.html" not in assets:
        raise RuntimeError("the console's static/index.html is missing from the package")
    return assets


def register_console(app: faust.App) -> None:
    assets = console_assets()

    def serve(view: View, name: str) -> Response:
        if name not in assets:
            return view.json({"error": "no such console file", "asset": name}, status=404)
        body, content_type = assets[name]
        response: Any = view.bytes(body, headers=dict(HEADERS))
        response.content_type = content_type.partition(";")[0]
        if "charset" in content_type:
            response.charset = "utf-8"
        return response

    @app.page(CONSOLE_PATH)
    class ConsoleView(View):
        async def get(self, request: Request) -> Response:
            return serve(self, "index.html")

    @app.page(ASSET_PATH)
    class ConsoleAssetView(View):
        async def get(self, request: Request, asset: str) -> Response:
            return serve(self, asset)
