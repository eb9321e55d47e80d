"""The console's web page (console/, built into console/dist by `make console`) from the console API's
origin: `/` and its assets, and index.html for any other path outside the API, as a single-page app's
host does. Asked for before any route or authorizer: the page is public, its data is not.

`/v1/...` and the local Cognito endpoint stay the API's. Files are read once (again when rebuilt) and
kept, gzipped when the browser takes it; hashed assets (assets/NAME-HASH.js) are cached for good by
the browser, index.html revalidated.
"""

from __future__ import annotations

import gzip
import mimetypes
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

SOURCE = Path(__file__).resolve().parents[2] / "console"
BUILT = SOURCE / "dist"
API_PREFIXES = ("/v1/", "/local/")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}
_COMPRESSIBLE = frozenset({".js", ".css", ".html", ".svg", ".json", ".txt", ".map"})
_NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tidemark console</title>
</head><body><main><h1>The console page is not built</h1>
<p>Run <code>make console</code> (Node 20 and npm), then
reload.</p></main></body></html>"""


def is_page(method: str, path: str) -> bool:
    """Whether the request is the page's (GET or HEAD of a path outside the API), not the API's."""
    return method in ("GET", "HEAD") and path != "/v1" and not path.startswith(API_PREFIXES)


def answer(request: Request, built: Path = BUILT) -> Response:
    """The file asked for, or index.html for a screen's path; 404 for a missing asset."""
    relative = request.scope["path"].lstrip("/")
    found = _file(built, relative) if relative else None
    if found is None and (relative.startswith("assets/") or Path(relative).suffix):
        return Response("Not Found", status_code=404, media_type="text/plain")
    found = found or _file(built, "index.html")
    if found is None:
        return Response(_NOT_BUILT, status_code=503, media_type="text/html")
    stamp = found.stat().st_mtime_ns  # a rebuild while the stack runs is served at once
    content, suffix = _read(found, stamp)
    headers = {
        "cache-control": "public, max-age=31536000, immutable"
        if found.parent.name == "assets"
        else "no-cache",
        "x-content-type-options": "nosniff",
        "vary": "accept-encoding",
    }
    if suffix in _COMPRESSIBLE and "gzip" in request.headers.get("accept-encoding", ""):
        content = _gzipped(found, stamp)
        headers["content-encoding"] = "gzip"
    body = b"" if request.method == "HEAD" else content
    response = Response(body, media_type=_media_type(suffix), headers=headers)
    if request.method == "HEAD":
        response.headers["content-length"] = str(len(content))
    return response


def _file(built: Path, relative: str) -> Path | None:
    """The built file at `relative`, never a path outside the build (no `..`, no symlink out)."""
    try:
        path = (built / relative).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(built.resolve()) or not path.is_file():
        return None
    return path


@lru_cache(maxsize=64)
def _read(path: Path, stamp: int) -> tuple[bytes, str]:
    return path.read_bytes(), path.suffix.lower()


@lru_cache(maxsize=64)
def _gzipped(path: Path, stamp: int) -> bytes:
    return gzip.compress(_read(path, stamp)[0], compresslevel=9, mtime=0)


def _media_type(suffix: str) -> str:
    media = _TYPES.get(suffix) or mimetypes.types_map.get(suffix, "application/octet-stream")
    return f"{media}; charset=utf-8" if media.startswith("text/") or suffix == ".json" else media


def build_if_missing(source: Path = SOURCE) -> str | None:
    """Build the page (npm ci, npm run build) when console/dist has no index.html: None, or what failed."""
    if (source / "dist" / "index.html").is_file():
        return None
    npm = shutil.which("npm")
    if npm is None:
        return "the console page is not built and npm is not on PATH: install Node 20, then `make console`"
    for step in ([npm, "ci", "--no-audit", "--no-fund"], [npm, "run", "build"]):
        done = subprocess.run(step, cwd=source, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            return f"`{' '.join(step[1:])}` in {source} failed: {(done.stderr or done.stdout).strip()[-400:]}"
    return None
