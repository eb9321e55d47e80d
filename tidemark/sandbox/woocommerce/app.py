"""The store over HTTP: routing, authentication and the host's rate limit, then the store."""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.admin import admin_routes
from tidemark.sandbox.faults import FaultMiddleware
from tidemark.sandbox.woocommerce.access import Credentials, TokenBucket
from tidemark.sandbox.woocommerce.records import API_NAMESPACE, NAMESPACES, WooError
from tidemark.sandbox.woocommerce.rest import WooStore

# ---------------------------------------------------------------------------------------------
# HTTP

Handler = Callable[[Request, Mapping[str, str], str], Awaitable[Response]]


@dataclass(frozen=True)
class _Endpoint:
    methods: tuple[str, ...]
    pattern: re.Pattern[str]
    handler: Handler
    refusal: tuple[str, str]  # what WooCommerce answers a request without credentials


_READ = ("GET", "HEAD")
_EDIT = ("POST", "PUT", "PATCH")
_CANNOT_LIST = ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
_CANNOT_VIEW = ("woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")
_CANNOT_EDIT = ("woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
_DELETE = ("DELETE",)
_CANNOT_DELETE = ("woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource.")
_CANNOT_BATCH = (
    "woocommerce_rest_cannot_batch",
    "Sorry, you are not allowed to batch manipulate this resource.",
)
_NO_ROUTE = {
    "code": "rest_no_route",
    "message": "No route was found matching the URL and request method.",
    "data": {"status": 404},
}


class _RestApi:
    """The /wp-json routes: the host's rate limit, routing, authentication, then the store."""

    def __init__(self, store: WooStore, credentials: Credentials, bucket: TokenBucket | None) -> None:
        self.store = store
        self.credentials = credentials
        self.bucket = bucket
        pattern = r"wc/v3/products"
        item = rf"{pattern}/(?P<id>\d+)"
        variation = rf"{item}/variations/(?P<variation>\d+)"
        self.endpoints = [
            self._endpoint(_READ, pattern, self.list_products, _CANNOT_LIST),
            self._endpoint(_EDIT, rf"{pattern}/batch", self.batch_products, _CANNOT_BATCH),
            self._endpoint(_READ, item, self.get_product, _CANNOT_VIEW),
            self._endpoint(_EDIT, item, self.update_product, _CANNOT_EDIT),
            self._endpoint(_DELETE, item, self.delete_product, _CANNOT_DELETE),
            self._endpoint(_READ, rf"{item}/variations", self.list_variations, _CANNOT_LIST),
            self._endpoint(_EDIT, rf"{item}/variations/batch", self.batch_variations, _CANNOT_BATCH),
            self._endpoint(_READ, variation, self.get_variation, _CANNOT_VIEW),
            self._endpoint(_EDIT, variation, self.update_variation, _CANNOT_EDIT),
            self._endpoint(_DELETE, variation, self.delete_variation, _CANNOT_DELETE),
            self._endpoint(_READ, r"wc/v3/orders/(?P<id>\d+)", self.get_order, _CANNOT_VIEW),
        ]

    @staticmethod
    def _endpoint(
        methods: tuple[str, ...], pattern: str, handler: Handler, refusal: tuple[str, str]
    ) -> _Endpoint:
        return _Endpoint(methods, re.compile(f"^{pattern}$"), handler, refusal)

    async def handle(self, request: Request) -> Response:
        if self.bucket is not None and (wait := self.bucket.take()) is not None:
            return JSONResponse(
                {"code": "too_many_requests", "message": "Too many requests.", "data": {"status": 429}},
                status_code=429,
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        route = request.path_params.get("route", "").strip("/")
        root = f"{request.url.scheme}://{request.url.netloc}"
        if route == "" and request.method in _READ:
            return self.index(request, root)
        for endpoint in self.endpoints:
            match = endpoint.pattern.match(route)
            if match is None or request.method not in endpoint.methods:
                continue
            try:
                self._authorize(request, endpoint)
                return await endpoint.handler(request, match.groupdict(), root)
            except WooError as error:
                return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(_NO_ROUTE, status_code=404)

    def _authorize(self, request: Request, endpoint: _Endpoint) -> None:
        user = self.credentials.authenticate(request)
        if isinstance(user, WooError):
            raise user
        if user is False:
            code, message = endpoint.refusal
            raise WooError(401, code, message)  # rest_authorization_required_code(): nobody logged in
        refused = self.credentials.allows(request.method)
        if refused is not None:
            raise refused

    def index(self, request: Request, root: str) -> Response:
        site = {
            "name": self.store.name,
            "description": "A WooCommerce store in memory",
            "url": root,
            "home": root,
            "gmt_offset": "0",
            "timezone_string": "",
            "namespaces": NAMESPACES,
            "authentication": {},
            "routes": {f"/{API_NAMESPACE}": {"namespace": API_NAMESPACE, "methods": ["GET"]}},
        }
        return JSONResponse(_fields(site, request.query_params.get("_fields"), keep_id=False))

    # -- the endpoints ------------------------------------------------------------------------

    async def list_products(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _collection(*self.store.list_products(request.query_params, root), request)

    async def get_product(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.get_product(int(match["id"]), root), request)

    async def update_product(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.update_product(int(match["id"]), await _body_of(request), root), request)

    async def delete_product(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.delete_product(int(match["id"]), request.query_params, root), request)

    async def batch_products(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return JSONResponse(self.store.batch(None, await _body_of(request), root) or [])

    async def list_variations(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _collection(*self.store.list_variations(int(match["id"]), request.query_params, root), request)

    async def get_variation(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.get_variation(int(match["id"]), int(match["variation"]), root), request)

    async def update_variation(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        fields = await _body_of(request)
        return _single(
            self.store.update_variation(int(match["id"]), int(match["variation"]), fields, root), request
        )

    async def delete_variation(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        deleted = self.store.delete_variation(
            int(match["id"]), int(match["variation"]), request.query_params, root
        )
        return _single(deleted, request)

    async def get_order(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return _single(self.store.get_order(int(match["id"])), request)

    async def batch_variations(self, request: Request, match: Mapping[str, str], root: str) -> Response:
        return JSONResponse(self.store.batch(int(match["id"]), await _body_of(request), root) or [])


async def _body_of(request: Request) -> dict[str, Any]:
    """The JSON body's parameters, as WP_REST_Request::parse_json_params reads them."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        payload = json.loads(raw)
    except ValueError as error:
        raise WooError(
            400,
            "rest_invalid_json",
            "Invalid JSON body passed.",
            json_error_code=4,
            json_error_message=str(error),
        ) from error
    return payload if isinstance(payload, dict) else {}


def _collection(items: list[dict[str, Any]], total: int, pages: int, page: int, request: Request) -> Response:
    """A page of a collection with WooCommerce's headers: X-WP-Total, X-WP-TotalPages and Link."""
    response = JSONResponse(_fields(items, request.query_params.get("_fields"), keep_id=True))
    response.headers["X-WP-Total"] = str(total)
    response.headers["X-WP-TotalPages"] = str(pages)
    # WooCommerce repeats every query parameter in the links, OAuth ones too; the sandbox leaves
    # those out (a signature and nonce can't be used twice anyway)
    query = {k: v for k, v in request.query_params.items() if not k.startswith("oauth_")}
    base = str(request.url).split("?")[0]
    links = []
    if page > 1:
        links.append(f'<{base}?{urlencode({**query, "page": min(page - 1, max(pages, 1))})}>; rel="prev"')
    if pages > page:
        links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response


def _single(item: dict[str, Any], request: Request) -> Response:
    return JSONResponse(_fields(item, request.query_params.get("_fields"), keep_id=True))


def _fields(payload: Any, requested: str | None, *, keep_id: bool) -> Any:
    """The `_fields` global parameter: only the top-level fields named (WooCommerce keeps `id`)."""
    if not requested:
        return payload
    names = {name.strip() for name in requested.split(",") if name.strip()}
    if keep_id:
        names.add("id")
    if isinstance(payload, list):
        return [_fields(item, requested, keep_id=keep_id) for item in payload]
    if isinstance(payload, dict):
        return {name: value for name, value in payload.items() if name in names}
    return payload


def create_app(
    store: WooStore,
    key: str,
    secret: str,
    rate: float | None = None,
    *,
    permissions: str = "read_write",
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> Starlette:
    """The store over HTTP: the wc/v3 routes under /wp-json, the site index at /wp-json/, and the
    sandbox admin API; the store's faults apply to all but the admin API. `rate` (requests a
    second, measured with `clock`) turns on a host rate limit; `permissions` is the API key's
    (read, write or read_write); OAuth timestamps are checked against `wall_clock`."""
    if permissions not in ("read", "write", "read_write"):
        raise ValueError(f"unknown key permissions {permissions!r}: use read, write or read_write")
    rest = _RestApi(
        store, Credentials(key, secret, permissions, wall_clock), TokenBucket(rate, clock) if rate else None
    )

    every_method = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return Starlette(
        routes=[
            Route("/wp-json", rest.handle, methods=every_method),
            Route("/wp-json/{route:path}", rest.handle, methods=every_method),
            *admin_routes(store),
        ],
        middleware=[Middleware(FaultMiddleware, faults=store.faults)],
    )
