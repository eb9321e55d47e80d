"""The eBay sandbox over HTTP: the token endpoint, the Inventory API (bearer token, scope, daily
quota), getRateLimits, getPublicKey and the sandbox admin API; the store's faults on all but the
admin API."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.admin import admin_routes
from tidemark.sandbox.ebay.access import DailyQuota, OAuth, OAuthRefusal
from tidemark.sandbox.ebay.records import (
    APP_SCOPE,
    FULFILLMENT_ROOT,
    FULFILLMENT_SCOPE,
    INVENTORY_ROOT,
    INVENTORY_SCOPE,
    PUBLIC_KEY_PATH,
    RATE_LIMIT_PATH,
    TOKEN_PATH,
    EbayError,
    invalid_value,
)
from tidemark.sandbox.ebay.store import EbayStore
from tidemark.sandbox.faults import FaultMiddleware

Work = Callable[[Request], Awaitable[tuple[Any, int]]]


class EbayApi:
    def __init__(self, store: EbayStore, oauth: OAuth, quota: DailyQuota) -> None:
        self.store = store
        self.oauth = oauth
        self.quota = quota

    async def token(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("latin-1")))
        try:
            return JSONResponse(self.oauth.grant(request.headers.get("authorization"), form))
        except OAuthRefusal as refusal:
            return JSONResponse(refusal.body, status_code=refusal.status)

    def inventory(self, work: Work, scope: str = INVENTORY_SCOPE) -> Callable[[Request], Awaitable[Response]]:
        """An Inventory API call: a user token with the sell.inventory scope, one call of the quota
        (a Fulfillment API call: its scope, and its own quota, not counted here)."""

        async def handle(request: Request) -> Response:
            try:
                self.oauth.check(request.headers.get("authorization"), scope)
                if scope == INVENTORY_SCOPE:
                    self.quota.take()
                payload, status = await work(request)
            except EbayError as error:
                return JSONResponse(error.body(), status_code=error.status)
            return JSONResponse(payload, status_code=status) if status != 204 else Response(status_code=204)

        return handle

    async def rate_limit(self, request: Request) -> Response:
        try:
            self.oauth.check(request.headers.get("authorization"), APP_SCOPE)
        except EbayError as error:
            return JSONResponse(error.body(), status_code=error.status)
        return JSONResponse(self.quota.view())

    async def public_key(self, request: Request) -> Response:
        """getPublicKey: an application (or user) token with the base scope."""
        try:
            self.oauth.check(request.headers.get("authorization"), APP_SCOPE)
        except EbayError as error:
            return JSONResponse(error.body(), status_code=error.status)
        kid = request.path_params["kid"]
        key = self.store.notifier.public_key() if kid == self.store.notifier.kid else None
        if key is None:
            missing = EbayError(
                404, 195001, "The specified public key ID was not found.", domain="API_NOTIFICATION"
            )
            return JSONResponse(missing.body(), status_code=404)
        return JSONResponse(key)


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise EbayError(
            400, 2004, "Request had invalid JSON or a malformed request body.", domain="API_INVENTORY"
        ) from None


def create_app(store: EbayStore, oauth: OAuth, quota: DailyQuota | None = None) -> Starlette:
    api = EbayApi(store, oauth, quota or DailyQuota())
    root = INVENTORY_ROOT

    def base(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}{root}"

    async def items(request: Request) -> tuple[Any, int]:
        return store.inventory_items(request.query_params, base(request)), 200

    async def item(request: Request) -> tuple[Any, int]:
        return store.inventory_item(request.path_params["sku"]), 200

    async def offers(request: Request) -> tuple[Any, int]:
        return store.offers_of(request.query_params), 200

    async def offer(request: Request) -> tuple[Any, int]:
        return store.offer(request.path_params["offer_id"]), 200

    async def bulk(request: Request) -> tuple[Any, int]:
        if "application/json" not in request.headers.get("content-type", ""):
            raise invalid_value("Content-Type", request.headers.get("content-type", ""))
        return store.bulk_update(await _json(request))

    async def withdraw(request: Request) -> tuple[Any, int]:
        return store.withdraw(request.path_params["offer_id"]), 200

    async def publish(request: Request) -> tuple[Any, int]:
        return store.publish(request.path_params["offer_id"]), 200

    async def order(request: Request) -> tuple[Any, int]:
        return store.order(request.path_params["order_id"]), 200

    app = Starlette(
        routes=[
            Route(
                f"{FULFILLMENT_ROOT}/order/{{order_id}}",
                api.inventory(order, FULFILLMENT_SCOPE),
                methods=["GET"],
            ),
            Route(TOKEN_PATH, api.token, methods=["POST"]),
            Route(f"{root}/inventory_item", api.inventory(items), methods=["GET"]),
            Route(f"{root}/inventory_item/{{sku}}", api.inventory(item), methods=["GET"]),
            Route(f"{root}/offer", api.inventory(offers), methods=["GET"]),
            Route(f"{root}/offer/{{offer_id}}", api.inventory(offer), methods=["GET"]),
            Route(f"{root}/offer/{{offer_id}}/withdraw", api.inventory(withdraw), methods=["POST"]),
            Route(f"{root}/offer/{{offer_id}}/publish", api.inventory(publish), methods=["POST"]),
            Route(f"{root}/bulk_update_price_quantity", api.inventory(bulk), methods=["POST"]),
            Route(RATE_LIMIT_PATH, api.rate_limit, methods=["GET"]),
            Route(f"{PUBLIC_KEY_PATH}/{{kid}}", api.public_key, methods=["GET"]),
            *admin_routes(store),
        ],
        middleware=[Middleware(FaultMiddleware, faults=store.faults)],
    )
    app.state.ebay = api
    return app
