"""The store over HTTP."""

from __future__ import annotations

import hmac
import json
import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tidemark.sandbox.admin import admin_routes
from tidemark.sandbox.faults import FaultMiddleware
from tidemark.sandbox.shopify.records import (
    GRAPHQL_PATH,
    JSONL_TYPE,
    SIGNATURE_REFUSED,
    UNAUTHORIZED_MESSAGE,
)
from tidemark.sandbox.shopify.resolvers import ShopifyStore

# ---------------------------------------------------------------------------------------------
# HTTP


def create_app(store: ShopifyStore, token: str) -> ASGIApp:
    """The store over HTTP: Admin GraphQL at GRAPHQL_PATH, the output of bulk operations at signed
    URLs, and the sandbox admin API; the store's faults are injected into all but the admin API."""

    async def graphql_endpoint(request: Request) -> Response:
        sent_token = request.headers.get("X-Shopify-Access-Token", "")
        if not hmac.compare_digest(sent_token.encode(), token.encode()):
            return JSONResponse({"errors": UNAUTHORIZED_MESSAGE}, status_code=401)
        raw = await request.body()
        base_url = str(request.base_url)
        if request.headers.get("content-type", "").startswith("application/graphql"):
            return JSONResponse(store.graphql(raw.decode(), base_url=base_url))
        try:
            payload = json.loads(raw)
        except ValueError:
            return JSONResponse({"errors": "The request body is not valid JSON."}, status_code=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return JSONResponse(
                {"errors": {"query": "Required parameter missing or invalid"}}, status_code=400
            )
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            return JSONResponse({"errors": {"variables": "must be a JSON object"}}, status_code=400)
        operation_name = payload.get("operationName")
        return JSONResponse(store.graphql(payload["query"], variables, operation_name, base_url=base_url))

    async def bulk_output(request: Request) -> Response:
        output = store.bulk_output(
            int(request.path_params["number"]), request.query_params.get("Signature", "")
        )
        if output is None:
            return Response(SIGNATURE_REFUSED, status_code=403, media_type="application/xml")
        return _ranged(output, request.headers.get("Range"))

    app = Starlette(
        routes=[
            Route(GRAPHQL_PATH, graphql_endpoint, methods=["POST"]),
            Route("/bulk-operation-outputs/bulk-{number:int}.jsonl", bulk_output, methods=["GET"]),
            *admin_routes(store),
        ]
    )
    return FaultMiddleware(app, store.faults)


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _ranged(data: bytes, range_header: str | None) -> Response:
    """The file, or the one byte range asked for with 206, as a storage service serves it."""
    total = len(data)
    match = _RANGE.match(range_header.strip()) if range_header else None
    if match is None or match.groups() == ("", ""):  # no Range, or one it does not understand
        return Response(data, media_type=JSONL_TYPE, headers={"Accept-Ranges": "bytes"})
    first, last = match.groups()
    if first:
        start, end = int(first), min(int(last), total - 1) if last else total - 1
    else:  # the last N bytes
        start, end = max(0, total - int(last)), total - 1
    if start >= total or end < start:
        return Response(b"", status_code=416, headers={"Content-Range": f"bytes */{total}"})
    return Response(
        data[start : end + 1],
        status_code=206,
        media_type=JSONL_TYPE,
        headers={"Content-Range": f"bytes {start}-{end}/{total}", "Accept-Ranges": "bytes"},
    )
