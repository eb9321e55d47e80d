"""The WooCommerce channel client: REST API v3 (wc/v3) over one pooled httpx client.

- Authentication as WooCommerce documents it: HTTP Basic with the consumer key and secret over
  HTTPS; over plain HTTP, OAuth 1.0a one-legged, signed by oauthlib (HMAC-SHA256) with the
  parameters in the query string, a fresh nonce and timestamp for every attempt.
- The catalog is the products, a simple product being its own variant, plus the variations of
  every variable product. Grouped and external products hold no stock and are left out.
- Quantities, prices (`regular_price`) and statuses are set with the batch endpoints
  (`products/batch`, `products/{id}/variations/batch`), at most 100 objects a request. WooCommerce
  has no compare-and-set and no idempotency keys: a push writes absolute values, so sending it
  again (a retry after a lost answer, a redelivered job) writes the same values and is safe;
  `expected` is ignored.
- Current values are read by id: products with `include` (the parents of variations too, whose
  status a variation's depends on), then each variable product's variations with `include`.
- WooCommerce documents no rate limit, but hosts and WAFs answer 429, sometimes with Retry-After.
  The client honours Retry-After and paces itself with an AIMD limiter: after a 429 it halves its
  request rate, then raises it a little with every success, so one host limit is not hit again
  and again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared.channels.base import (
    CatalogPage,
    ChannelError,
    ChannelOrder,
    ChannelVariant,
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantRef,
)
from shared.channels.retry import Retrying, send
from shared.channels.woocommerce.answers import (
    BATCH_DEFAULT,
    ITEM_ID,
    NOT_STOCKED_TYPES,
    ORDER_INVALID_ID,
    RELINK,
    STATUSES,
    Cursor,
    Target,
    check_size,
    chunks,
    current_variant,
    error_of,
    failed,
    json_of,
    locate,
    order_state,
    outcome_of,
    product_variant,
    refusal,
    target_of,
    type_of,
    variation_variant,
)
from shared.channels.woocommerce.auth import Signer
from shared.channels.woocommerce.pacing import AdaptiveRate

logger = logging.getLogger(__name__)


API_PATH = "/wp-json/wc/v3"
PAGE_SIZE = 100  # the most per_page WooCommerce accepts
BATCH_LIMIT = BATCH_DEFAULT
# Requests one read_catalog_page may make; a page that needs more (many variable products)
# ends early with a cursor that resumes inside it.
CATALOG_REQUEST_BUDGET = 20

TIMEOUT = httpx.Timeout(60.0, connect=5.0)  # a batch of 100 saves can take a while on small hosts


class WooCommerceClient:
    """A ChannelClient for one WooCommerce store. Not thread-safe: one client per worker."""

    quantity_batch_size = BATCH_LIMIT
    price_batch_size = BATCH_LIMIT
    status_batch_size = BATCH_LIMIT

    def __init__(
        self,
        store_url: str,
        key: str,
        secret: str,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store_url = store_url.rstrip("/")
        self._api = f"{self._store_url}{API_PATH}"
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._sleep = sleep
        self._limiter = AdaptiveRate(clock, sleep)
        self._retrying = Retrying(
            sleep=sleep,
            store_url=self._store_url,
            unreachable="could not reach WooCommerce",
            answered="WooCommerce answered",
            lasting_fix="check that the store is up and its URL",
            throttler="WooCommerce's host throttled",
            throttled_fix="another integration is using the host's request budget, or its limit is very "
            "low; try again later",
        )
        self._headers = {"Accept": "application/json"}
        self._signer = Signer(self._store_url, key, secret)

    @property
    def request_rate(self) -> float | None:
        """The requests a second the client paces itself to since a 429; None when not pacing."""
        return self._limiter.rate

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the ChannelClient protocol ----------------------------------------------------------

    def check_access(self) -> str:
        """The store's name, once the key is known to read (one product) and to write (an empty
        batch, which changes nothing). WooCommerce's key form defaults to read only."""
        name = self._site_name()
        self._call("GET", "/products", params={"per_page": 1, "_fields": "id"})
        self._call("POST", "/products/batch", body={})
        return name

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        """One page of products and the variations of its variable products. A page whose
        variable products need more than CATALOG_REQUEST_BUDGET requests ends early."""
        state = Cursor.decode(cursor)
        products, pages = self._page(
            "/products", {"per_page": PAGE_SIZE, "page": state.page, "orderby": "id", "order": "asc"}
        )
        budget = CATALOG_REQUEST_BUDGET - 1
        variants: list[ChannelVariant] = []
        after_id = state.after_id
        for product in products:
            product_id = int(product["id"])
            if product_id <= after_id:
                continue  # read before this page was cut, or moved here from an earlier page
            product_type = str(product.get("type") or "simple")
            if product_type == "variable":
                first = state.variation_page if state.product_id == product_id else 1
                cut_at, budget = self._read_variations(product, first, budget, variants)
                if cut_at is not None:
                    next_cursor = Cursor(state.page, after_id, product_id, cut_at)
                    return CatalogPage(variants=variants, next_cursor=next_cursor.encode())
            elif product_type not in NOT_STOCKED_TYPES:
                variants.append(product_variant(product))
            after_id = product_id
        if state.page < pages:
            return CatalogPage(variants=variants, next_cursor=Cursor(state.page + 1, after_id).encode())
        return CatalogPage(variants=variants, next_cursor=None)

    def _read_variations(
        self, product: dict[str, Any], variation_page: int, budget: int, variants: list[ChannelVariant]
    ) -> tuple[int | None, int]:
        """Add a variable product's variations from `variation_page` on, spending the request
        budget: the variation page to resume at when the budget ran out first (else None), and the
        budget left."""
        product_id = int(product["id"])
        while True:
            if budget == 0:
                return variation_page, budget
            variations, variation_pages = self._page(
                f"/products/{product_id}/variations",
                {"per_page": PAGE_SIZE, "page": variation_page, "orderby": "id", "order": "asc"},
                missing_ok=True,  # deleted since the products page was read
            )
            budget -= 1
            variants += [variation_variant(product, variation) for variation in variations]
            if variation_page >= variation_pages:
                return None, budget
            variation_page += 1

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """One request for every 100 products (variations' parents included), then one for every
        100 variations of each variable product. A variant deleted or trashed, or no longer of its
        product, is None."""
        located = [locate(ref.product_id, ref.variant_id) for ref in refs]
        products: dict[int, dict[str, Any]] = {}
        for ids in chunks(sorted({where[0] for where in located if where is not None}), PAGE_SIZE):
            products.update((int(item["id"]), item) for item in self._by_ids("/products", ids))
        variations = self._variations_of(located, products)
        return [current_variant(where, products, variations) for where in located]

    def _variations_of(
        self, located: Sequence[tuple[int, int | None] | None], products: dict[int, dict[str, Any]]
    ) -> dict[int, dict[str, Any]]:
        """The located variations of the variable products read, by id."""
        wanted: dict[int, set[int]] = {}
        for where in located:
            if where is not None and where[1] is not None and type_of(products.get(where[0])) == "variable":
                wanted.setdefault(where[0], set()).add(where[1])
        variations: dict[int, dict[str, Any]] = {}
        for product_id, variation_ids in wanted.items():
            for ids in chunks(sorted(variation_ids), PAGE_SIZE):
                path = f"/products/{product_id}/variations"
                variations.update((int(item["id"]), item) for item in self._by_ids(path, ids))
        return variations

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        """Set `stock_quantity`, turning stock management on. `expected` is ignored: WooCommerce has
        no compare-and-set, the last write wins. It has no idempotency key either; `idempotency_key`
        is only logged, as pushing the same absolute values again is harmless."""
        check_size(len(pushes), self.quantity_batch_size, "quantities")
        logger.debug("pushing %d quantities to WooCommerce (push %s)", len(pushes), idempotency_key)
        targets: list[Target | PushResult] = []
        for index, push in enumerate(pushes):
            match = ITEM_ID.match(push.inventory_item_id)
            if match is None:
                targets.append(
                    failed(
                        push.sku,
                        f"inventory item id {push.inventory_item_id!r} is not a WooCommerce product or "
                        f"variation: {RELINK}",
                    )
                )
                continue
            variation = match["variation"]
            fields = {"stock_quantity": push.quantity, "manage_stock": True}
            targets.append(
                Target(index, push.sku, int(match["product"]), int(variation) if variation else None, fields)
            )
        return self._push(targets, "quantity")

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        """Set `regular_price`, a string as WooCommerce wants it (a sale price stays as it is)."""
        check_size(len(pushes), self.price_batch_size, "prices")
        logger.debug("pushing %d prices to WooCommerce (push %s)", len(pushes), idempotency_key)
        return self._push(
            [
                target_of(
                    index, push.sku, push.product_id, push.variant_id, {"regular_price": f"{push.price:f}"}
                )
                for index, push in enumerate(pushes)
            ],
            "price",
        )

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """Publish or make private the product, or the variation itself: a variation has its own
        status (the "Enabled" box in wp-admin), and it sells only while its product is published, so
        showing a variation publishes its product too (as Shopify keeps a product active while any
        pushed variant of it is)."""
        check_size(len(pushes), self.status_batch_size, "statuses")
        logger.debug("pushing %d statuses to WooCommerce (push %s)", len(pushes), idempotency_key)
        targets = [
            target_of(index, push.sku, push.product_id, push.variant_id, {"status": STATUSES[push.status]})
            for index, push in enumerate(pushes)
        ]
        shown = [t for t in targets if isinstance(t, Target) and t.variation_id is not None]
        parents = sorted({t.product_id for t in shown if t.fields["status"] == "publish"})
        refused = self._publish(parents)
        results = self._push(targets, "status")
        for target in shown:
            if target.product_id in refused and results[target.index].outcome is PushOutcome.PUSHED:
                results[target.index] = failed(target.sku, refused[target.product_id])
        return results

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each WooCommerce variation has a status of its own: nothing hides a sibling."""
        return {}

    def read_order(self, order_id: str) -> ChannelOrder | None:
        """GET /orders/{id}: whether WooCommerce holds the order cancelled; None for an order it does
        not know (or an id no order can have). Another 404 (no such route) is the store's fault."""
        if not order_id.isdigit():
            return None
        path = f"/orders/{order_id}"
        response = self._call("GET", path, params={"_fields": "id,status"}, missing_ok=True)
        if response.status_code == 404:
            if error_of(response)[0] == ORDER_INVALID_ID:
                return None
            raise refusal(self._store_url, "GET", f"{API_PATH}{path}", response, None)
        return order_state(order_id, json_of(response))

    def _publish(self, product_ids: Sequence[int]) -> dict[int, str]:
        """Publish these products; the ones WooCommerce refused, with why and the fix."""
        refused: dict[int, str] = {}
        for chunk in chunks(product_ids, BATCH_LIMIT):
            body = {"update": [{"id": product_id, "status": "publish"} for product_id in chunk]}
            answer = json_of(self._call("POST", "/products/batch", body=body, batch_size=len(chunk)))
            entries = answer.get("update") if isinstance(answer, dict) else None
            answered = {
                entry.get("id"): entry
                for entry in entries or []
                if isinstance(entry, dict) and "error" not in entry
            }
            for product_id in chunk:
                if product_id not in answered:
                    refused[product_id] = (
                        f"WooCommerce did not publish product {product_id}, so its variation stays hidden: "
                        "publish the product in wp-admin, or check the store's error log"
                    )
        return refused

    # -- reading ------------------------------------------------------------------------------

    def _site_name(self) -> str:
        """The site's name from the public REST index. Some security plugins close the index to
        visitors; the store's host name stands in then, and the key is checked next anyway."""
        fallback = urlsplit(self._store_url).hostname or self._store_url
        try:
            response = self._send(
                "GET",
                f"{self._store_url}/wp-json/",
                params={"_fields": "name,namespaces"},
                body=None,
                authenticated=False,
            )
            index = response.json()
        except ChannelError as error:
            if error.retryable:
                raise
            return fallback
        except ValueError:
            return fallback
        if not isinstance(index, dict):
            return fallback
        namespaces = index.get("namespaces")
        if isinstance(namespaces, list) and "wc/v3" not in namespaces:
            raise ChannelError(
                f"{self._store_url} is a WordPress site without WooCommerce's REST API (wc/v3): "
                "activate WooCommerce (3.5 or later) or check the store URL",
                retryable=False,
            )
        return str(index.get("name") or fallback)

    def _page(
        self, path: str, params: dict[str, Any], *, missing_ok: bool = False
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of a collection and the number of pages WooCommerce reports."""
        response = self._call("GET", path, params=params, missing_ok=missing_ok)
        if response.status_code == 404:
            return [], 0
        items = json_of(response)
        if not isinstance(items, list):
            raise ChannelError(
                f"WooCommerce answered {path} with something other than a list", retryable=True
            )
        try:
            pages = int(response.headers["X-WP-TotalPages"])
        except (KeyError, ValueError):
            # a proxy stripped the header: a full page means there may be another
            pages = int(params["page"]) + (1 if len(items) >= int(params["per_page"]) else 0)
        return [item for item in items if isinstance(item, dict)], pages

    def _by_ids(self, path: str, ids: Sequence[int]) -> list[dict[str, Any]]:
        params = {"include": ",".join(map(str, ids)), "per_page": PAGE_SIZE, "page": 1}
        return self._page(path, params, missing_ok=True)[0]

    # -- pushing ------------------------------------------------------------------------------

    def _push(self, targets: Sequence[Target | PushResult], what: str) -> list[PushResult]:
        """Simple products together on products/batch, variations per product on its
        variations/batch; a PushResult among the targets (a push that could not be parsed) stays."""
        results = {index: target for index, target in enumerate(targets) if isinstance(target, PushResult)}
        simple: list[Target] = []
        by_parent: dict[int, list[Target]] = {}
        for target in targets:
            if isinstance(target, Target):
                if target.variation_id is None:
                    simple.append(target)
                else:
                    by_parent.setdefault(target.product_id, []).append(target)
        for chunk in chunks(simple, BATCH_LIMIT):
            results.update(self._push_batch("/products/batch", chunk, what))
        for parent, variations in by_parent.items():
            for chunk in chunks(variations, BATCH_LIMIT):
                results.update(self._push_batch(f"/products/{parent}/variations/batch", chunk, what))
        return [results[index] for index in range(len(targets))]

    def _push_batch(self, path: str, targets: Sequence[Target], what: str) -> dict[int, PushResult]:
        body = {"update": [{"id": target.item_id, **target.fields} for target in targets]}
        answer = json_of(self._call("POST", path, body=body, batch_size=len(targets)))
        entries = answer.get("update") if isinstance(answer, dict) else None
        if not isinstance(entries, list):
            entries = []
        by_id: dict[int, list[dict[str, Any]]] = {}
        for entry in entries:
            if isinstance(entry, dict) and str(entry.get("id", "")).lstrip("-").isdigit():
                by_id.setdefault(int(entry["id"]), []).append(entry)
        results: dict[int, PushResult] = {}
        for target in targets:
            answered = by_id.get(target.item_id)
            if not answered:
                results[target.index] = failed(
                    target.sku,
                    f"WooCommerce did not answer for {target.description}: push again; if it lasts, check "
                    "the store's error log",
                )
                continue
            results[target.index] = outcome_of(target, answered.pop(0), what)
        return results

    # -- one call: pacing, throttling, retries ------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        missing_ok: bool = False,
        batch_size: int | None = None,
    ) -> httpx.Response:
        """An authenticated request to the wc/v3 API; raises ChannelError unless it succeeds."""
        return self._send(
            method,
            f"{self._api}{path}",
            params=params,
            body=body,
            authenticated=True,
            missing_ok=missing_ok,
            batch_size=batch_size,
        )

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None,
        body: dict[str, Any] | None,
        authenticated: bool,
        missing_ok: bool = False,
        batch_size: int | None = None,
    ) -> httpx.Response:
        where = url.removeprefix(self._store_url) or "/"

        def attempt() -> httpx.Response:
            target, extra = (
                self._signer.signed(method, url, params) if authenticated else (url, {"params": params})
            )
            return self._http.request(method, target, json=body, headers=self._headers, **extra)

        def read(response: httpx.Response) -> httpx.Response:
            if response.status_code < 400 or (response.status_code == 404 and missing_ok):
                return response
            raise refusal(self._store_url, method, where, response, batch_size)

        return send(attempt, read, self._retrying, self._limiter)
