"""The sandbox over HTTP: LWA's token endpoint, Listings Items, Feeds, the presigned document URLs
and the sandbox admin API; the store's faults apply to all but the admin API."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tidemark.sandbox.admin import admin_routes
from tidemark.sandbox.amazon.access import Lwa, LwaError, UsagePlans
from tidemark.sandbox.amazon.feeds import Feeds
from tidemark.sandbox.amazon.records import (
    FEEDS_ROOT,
    LISTINGS_ROOT,
    LWA_PATH,
    ORDERS_ROOT,
    SpApiError,
    invalid_input,
)
from tidemark.sandbox.amazon.store import AmazonStore
from tidemark.sandbox.amazon.views import included_data
from tidemark.sandbox.faults import FaultMiddleware

Work = Callable[[Request, str], Awaitable[Any]]


class SpApi:
    """Every SP-API operation: the access token, the seller, the usage plan, then the store."""

    def __init__(self, store: AmazonStore, lwa: Lwa, plans: UsagePlans, feeds: Feeds) -> None:
        self.store = store
        self.lwa = lwa
        self.plans = plans
        self.feeds = feeds
        self.calls: dict[str, int] = {}

    def operation(self, name: str, work: Work, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            headers = {"x-amzn-RequestId": f"sandbox-{time.monotonic_ns()}"}
            try:
                seller = self.lwa.seller_of(request.headers.get("x-amz-access-token"))
                if "sellerId" in request.path_params:
                    self.store.check_seller(request.path_params["sellerId"], seller)
                self.plans.take(name, seller)
                headers["x-amzn-RateLimit-Limit"] = self.plans.limit_header(name)
                self.calls[name] = self.calls.get(name, 0) + 1
                return JSONResponse(await work(request, seller), status_code=status, headers=headers)
            except SpApiError as error:
                if error.status not in (403, 429):
                    headers["x-amzn-RateLimit-Limit"] = self.plans.limit_header(name)
                return JSONResponse(error.body(), status_code=error.status, headers=headers)

        return handle

    async def search(self, request: Request, seller: str) -> Any:
        self.store.check_marketplaces(request.query_params.get("marketplaceIds"))
        return self.store.search(request.query_params)

    async def get_item(self, request: Request, seller: str) -> Any:
        self.store.check_marketplaces(request.query_params.get("marketplaceIds"))
        included = included_data(request.query_params.get("includedData"))
        return self.store.get_item(request.path_params["sku"], included)

    async def get_order(self, request: Request, seller: str) -> Any:
        return self.store.get_order(request.path_params["orderId"])

    async def patch_item(self, request: Request, seller: str) -> Any:
        self.store.check_marketplaces(request.query_params.get("marketplaceIds"))
        mode = request.query_params.get("mode")
        if mode not in (None, "VALIDATION_PREVIEW"):
            raise invalid_input("'mode' must be VALIDATION_PREVIEW when given.")
        body = await _json(request)
        return self.store.patch(request.path_params["sku"], body, preview=mode == "VALIDATION_PREVIEW")

    async def delete_item(self, request: Request, seller: str) -> Any:
        self.store.check_marketplaces(request.query_params.get("marketplaceIds"))
        sku = request.path_params["sku"]
        issues = self.store.apply_message({"sku": sku, "operationType": "DELETE"})
        return {"sku": sku, "status": "ACCEPTED", "submissionId": f"delete-{sku}", "issues": issues}

    async def create_document(self, request: Request, seller: str) -> Any:
        return self.feeds.create_document(await _json(request), _root(request))

    async def create_feed(self, request: Request, seller: str) -> Any:
        return self.feeds.create_feed(await _json(request))

    async def get_feed(self, request: Request, seller: str) -> Any:
        return self.feeds.get_feed(request.path_params["feedId"])

    async def get_document(self, request: Request, seller: str) -> Any:
        return self.feeds.get_document(request.path_params["documentId"], _root(request))


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError as error:
        raise invalid_input("The request body is not valid JSON.") from error


def _root(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def create_app(
    store: AmazonStore,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    token_seconds: int = 3600,
    clock: Callable[[], float] = time.monotonic,
    feed_seconds: float = 1.0,
) -> Starlette:
    """The sandbox: `refresh_token` is the seller's grant to the application `client_id`."""
    lwa = Lwa(client_id, client_secret, {refresh_token: store.seller_id}, clock, token_seconds)
    plans = UsagePlans(clock)
    feeds = Feeds(store, clock, feed_seconds)
    api = SpApi(store, lwa, plans, feeds)

    async def token(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        if request.headers.get("content-type", "").startswith("application/json"):
            loaded = json.loads(raw) if raw.strip() else {}
            form = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        else:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
        try:
            return JSONResponse(lwa.exchange(form))
        except LwaError as error:
            return JSONResponse(error.body(), status_code=error.status)

    async def upload(request: Request) -> Response:
        try:
            feeds.upload(
                request.path_params["documentId"],
                await request.body(),
                request.headers.get("content-type", ""),
            )
        except KeyError:
            return Response("<Error><Code>NoSuchKey</Code></Error>", 404, media_type="application/xml")
        except ValueError:
            return Response(
                "<Error><Code>SignatureDoesNotMatch</Code></Error>", 403, media_type="application/xml"
            )
        return Response(status_code=200)

    async def download(request: Request) -> Response:
        try:
            return Response(feeds.download(request.path_params["documentId"]), media_type="application/json")
        except KeyError:
            return Response("<Error><Code>NoSuchKey</Code></Error>", 404, media_type="application/xml")

    async def cancel(request: Request) -> Response:
        try:
            return JSONResponse(store.cancel_order(request.path_params["order_id"]))
        except KeyError as error:
            return JSONResponse({"error": str(error.args[0])}, status_code=404)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)

    async def expire_tokens(request: Request) -> Response:
        lwa.expire_all()
        return JSONResponse({"expired": len(lwa.issued)})

    async def counters(request: Request) -> Response:
        return JSONResponse(
            {
                "calls": api.calls,
                "throttled": plans.throttled,
                "token_exchanges": lwa.exchanges,
                "notifications": len(store.notifications),
            }
        )

    items = f"{LISTINGS_ROOT}/{{sellerId}}"
    app = Starlette(
        routes=[
            Route(LWA_PATH, token, methods=["POST"]),
            Route(items, api.operation("searchListingsItems", api.search), methods=["GET"]),
            Route(f"{items}/{{sku:path}}", api.operation("getListingsItem", api.get_item), methods=["GET"]),
            Route(
                f"{items}/{{sku:path}}", api.operation("patchListingsItem", api.patch_item), methods=["PATCH"]
            ),
            Route(
                f"{items}/{{sku:path}}",
                api.operation("deleteListingsItem", api.delete_item),
                methods=["DELETE"],
            ),
            Route(
                f"{FEEDS_ROOT}/documents",
                api.operation("createFeedDocument", api.create_document, 201),
                methods=["POST"],
            ),
            Route(
                f"{FEEDS_ROOT}/documents/{{documentId}}",
                api.operation("getFeedDocument", api.get_document),
                methods=["GET"],
            ),
            Route(f"{FEEDS_ROOT}/feeds", api.operation("createFeed", api.create_feed, 202), methods=["POST"]),
            Route(f"{ORDERS_ROOT}/{{orderId}}", api.operation("getOrder", api.get_order), methods=["GET"]),
            Route(f"{FEEDS_ROOT}/feeds/{{feedId}}", api.operation("getFeed", api.get_feed), methods=["GET"]),
            Route("/sandbox-s3/feed-documents/{documentId}", upload, methods=["PUT"]),
            Route("/sandbox-s3/feed-documents/{documentId}", download, methods=["GET"]),
            # Amazon's order ids are 3-7-7 strings, not the admin API's integers
            Route("/admin/sandbox/orders/{order_id}/cancel", cancel, methods=["POST"]),
            Route("/admin/sandbox/amazon/expire-tokens", expire_tokens, methods=["POST"]),
            Route("/admin/sandbox/amazon/counters", counters, methods=["GET"]),
            *admin_routes(store),
        ],
        middleware=[Middleware(FaultMiddleware, faults=store.faults)],
    )
    app.state.lwa, app.state.plans, app.state.feeds, app.state.api = lwa, plans, feeds, api
    return app
