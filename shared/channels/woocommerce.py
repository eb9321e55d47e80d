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

import base64
import binascii
import json
import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from oauthlib.oauth1 import (  # type: ignore[import-untyped]
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_TYPE_QUERY,
)
from oauthlib.oauth1 import Client as OAuth1Client

from shared.channels.base import (
    CatalogPage,
    ChannelAuthError,
    ChannelError,
    ChannelVariant,
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)

logger = logging.getLogger(__name__)

API_PATH = "/wp-json/wc/v3"
PAGE_SIZE = 100  # the most per_page WooCommerce accepts
BATCH_LIMIT = 100  # the default of WooCommerce's woocommerce_rest_batch_items_limit filter
# Requests one read_catalog_page may make; a page that needs more (many variable products)
# ends early with a cursor that resumes inside it.
CATALOG_REQUEST_BUDGET = 20
NOT_STOCKED_TYPES = frozenset({"grouped", "external"})
MAX_TRANSIENT_ATTEMPTS = 5
MAX_THROTTLED_RETRIES = 10
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 120.0  # a host asking for a longer wait fails the call (retryable)
# The AIMD limiter: requests a second.
MIN_RATE = 0.2
MAX_RATE = 50.0  # above this the client stops pacing itself
# A host's limit is a token bucket: any steady rate above it is throttled sooner or later, any
# rate under it never is. So the first 429 paces the client a little under what it was sending
# (which the host's burst inflates), each later 429 cuts that by THROTTLE_BACKOFF, and between
# throttles the rate creeps up by about RATE_GROWTH requests a second every second, to find room
# the host made since. Every 429 costs a Retry-After of a second or more: they must stay rare.
FIRST_THROTTLE_SHARE = 0.9
THROTTLE_BACKOFF = 0.85
RATE_GROWTH = 0.01
RATE_WINDOW_SECONDS = 10.0
TIMEOUT = httpx.Timeout(60.0, connect=5.0)  # a batch of 100 saves can take a while on small hosts
KEY_FIX = "check the key and secret, and that the key has read/write permission"
RELINK = "link the listing again, or unlink it"
# WooCommerce keeps a status per product and per variation, with the same values
STATUSES = {VariantStatus.ACTIVE: "publish", VariantStatus.HIDDEN: "private"}

_ITEM_ID = re.compile(r"^(?P<product>\d+)(?:/(?P<variation>\d+))?$")
_ID = re.compile(r"[0-9]+")
_T = TypeVar("_T")


class _AdaptiveRate:
    """How fast the client sends requests: unpaced until a host answers 429, then paced just under
    the host's limit as the 429s reveal it."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.rate: float | None = None  # requests a second; None: not pacing
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=50)

    def wait_turn(self) -> None:
        now = self._clock()
        if self.rate is not None and self._starts:
            due = self._starts[-1] + 1 / self.rate
            if due > now:
                self._sleep(due - now)
                now = self._clock()
        self._starts.append(now)

    def throttled(self) -> None:
        """Pace a little under the rate that was throttled."""
        if self.rate is None:
            slower = self._observed_rate() * FIRST_THROTTLE_SHARE
        else:
            slower = self.rate * THROTTLE_BACKOFF
        self.rate = max(MIN_RATE, min(slower, MAX_RATE))
        logger.info("WooCommerce's host throttled the client; pacing at %.2f requests a second", self.rate)

    def succeeded(self) -> None:
        """Additive increase, until the client stops pacing itself."""
        if self.rate is not None:
            self.rate += RATE_GROWTH / self.rate
            if self.rate > MAX_RATE:
                self.rate = None

    def _observed_rate(self) -> float:
        now = self._clock()
        recent = [start for start in self._starts if start >= now - RATE_WINDOW_SECONDS]
        if not recent:
            return MAX_RATE
        return len(recent) / max(now - recent[0], 1.0)


@dataclass(frozen=True)
class _Cursor:
    """Where the catalog read stands: a page of products (sorted by id), the last product of it
    already read in full, and the variable product being read with its next variation page."""

    page: int = 1
    after_id: int = 0
    product_id: int | None = None
    variation_page: int = 1

    def encode(self) -> str:
        raw = {"p": self.page, "a": self.after_id, "v": self.product_id, "vp": self.variation_page}
        return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, cursor: str | None) -> _Cursor:
        if cursor is None:
            return cls()
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            return cls(
                int(raw["p"]), int(raw["a"]), None if raw["v"] is None else int(raw["v"]), int(raw["vp"])
            )
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise ChannelError(
                "the catalog cursor is not one this WooCommerce client wrote: start the catalog read again",
                retryable=False,
            ) from error


@dataclass(frozen=True)
class _Target:
    """One push, parsed: a simple product (variation None) or a variation of a product, and the
    fields its batch update sets."""

    index: int
    sku: str
    product_id: int
    variation_id: int | None
    fields: dict[str, Any]

    @property
    def item_id(self) -> int:
        return self.variation_id if self.variation_id is not None else self.product_id

    @property
    def description(self) -> str:
        if self.variation_id is None:
            return f"product {self.product_id}"
        return f"variation {self.variation_id} of product {self.product_id}"


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
        self._limiter = _AdaptiveRate(clock, sleep)
        self._headers = {"Accept": "application/json"}
        # WooCommerce reads Basic credentials only over HTTPS; over HTTP it wants OAuth 1.0a
        self._basic: httpx.BasicAuth | None = None
        self._oauth: OAuth1Client | None = None
        if urlsplit(self._store_url).scheme == "https":
            self._basic = httpx.BasicAuth(key, secret)
        else:
            self._oauth = OAuth1Client(
                key,
                client_secret=secret,
                signature_method=SIGNATURE_HMAC_SHA256,
                signature_type=SIGNATURE_TYPE_QUERY,
            )

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
        state = _Cursor.decode(cursor)
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
                variation_page = state.variation_page if state.product_id == product_id else 1
                while True:
                    if budget == 0:
                        next_cursor = _Cursor(state.page, after_id, product_id, variation_page)
                        return CatalogPage(variants=variants, next_cursor=next_cursor.encode())
                    variations, variation_pages = self._page(
                        f"/products/{product_id}/variations",
                        {"per_page": PAGE_SIZE, "page": variation_page, "orderby": "id", "order": "asc"},
                        missing_ok=True,  # deleted since the products page was read
                    )
                    budget -= 1
                    variants += [_variation_variant(product, variation) for variation in variations]
                    if variation_page >= variation_pages:
                        break
                    variation_page += 1
            elif product_type not in NOT_STOCKED_TYPES:
                variants.append(_product_variant(product))
            after_id = product_id
        if state.page < pages:
            return CatalogPage(variants=variants, next_cursor=_Cursor(state.page + 1, after_id).encode())
        return CatalogPage(variants=variants, next_cursor=None)

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """One request for every 100 products (variations' parents included), then one for every
        100 variations of each variable product. A variant deleted or trashed, or no longer of its
        product, is None."""
        located = [_locate(ref.product_id, ref.variant_id) for ref in refs]
        products: dict[int, dict[str, Any]] = {}
        for ids in _chunks(sorted({where[0] for where in located if where is not None}), PAGE_SIZE):
            products.update((int(item["id"]), item) for item in self._by_ids("/products", ids))
        wanted: dict[int, set[int]] = {}
        for where in located:
            if where is not None and where[1] is not None and _type_of(products.get(where[0])) == "variable":
                wanted.setdefault(where[0], set()).add(where[1])
        variations: dict[int, dict[str, Any]] = {}
        for product_id, variation_ids in wanted.items():
            for ids in _chunks(sorted(variation_ids), PAGE_SIZE):
                path = f"/products/{product_id}/variations"
                variations.update((int(item["id"]), item) for item in self._by_ids(path, ids))
        current: list[ChannelVariant | None] = []
        for where in located:
            product = products.get(where[0]) if where is not None else None
            if where is None or product is None:
                current.append(None)
            elif where[1] is None:
                stocked = _type_of(product) not in ("variable", *NOT_STOCKED_TYPES)
                current.append(_product_variant(product) if stocked else None)
            else:
                variation = variations.get(where[1])
                current.append(_variation_variant(product, variation) if variation is not None else None)
        return current

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        """Set `stock_quantity`, turning stock management on. `expected` is ignored: WooCommerce has
        no compare-and-set, the last write wins. It has no idempotency key either; `idempotency_key`
        is only logged, as pushing the same absolute values again is harmless."""
        _check_size(len(pushes), self.quantity_batch_size, "quantities")
        logger.debug("pushing %d quantities to WooCommerce (push %s)", len(pushes), idempotency_key)
        targets: list[_Target | PushResult] = []
        for index, push in enumerate(pushes):
            match = _ITEM_ID.match(push.inventory_item_id)
            if match is None:
                targets.append(
                    _failed(
                        push.sku,
                        f"inventory item id {push.inventory_item_id!r} is not a WooCommerce product or "
                        f"variation: {RELINK}",
                    )
                )
                continue
            variation = match["variation"]
            fields = {"stock_quantity": push.quantity, "manage_stock": True}
            targets.append(
                _Target(index, push.sku, int(match["product"]), int(variation) if variation else None, fields)
            )
        return self._push(targets, "quantity")

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        """Set `regular_price`, a string as WooCommerce wants it (a sale price stays as it is)."""
        _check_size(len(pushes), self.price_batch_size, "prices")
        logger.debug("pushing %d prices to WooCommerce (push %s)", len(pushes), idempotency_key)
        return self._push(
            [
                _target(
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
        _check_size(len(pushes), self.status_batch_size, "statuses")
        logger.debug("pushing %d statuses to WooCommerce (push %s)", len(pushes), idempotency_key)
        targets = [
            _target(index, push.sku, push.product_id, push.variant_id, {"status": STATUSES[push.status]})
            for index, push in enumerate(pushes)
        ]
        shown = [t for t in targets if isinstance(t, _Target) and t.variation_id is not None]
        parents = sorted({t.product_id for t in shown if t.fields["status"] == "publish"})
        refused = self._publish(parents)
        results = self._push(targets, "status")
        for target in shown:
            if target.product_id in refused and results[target.index].outcome is PushOutcome.PUSHED:
                results[target.index] = _failed(target.sku, refused[target.product_id])
        return results

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each WooCommerce variation has a status of its own: nothing hides a sibling."""
        return {}

    def _publish(self, product_ids: Sequence[int]) -> dict[int, str]:
        """Publish these products; the ones WooCommerce refused, with why and the fix."""
        refused: dict[int, str] = {}
        for chunk in _chunks(product_ids, BATCH_LIMIT):
            body = {"update": [{"id": product_id, "status": "publish"} for product_id in chunk]}
            answer = _json_of(self._call("POST", "/products/batch", body=body, batch_size=len(chunk)))
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
        items = _json_of(response)
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

    def _push(self, targets: Sequence[_Target | PushResult], what: str) -> list[PushResult]:
        """Simple products together on products/batch, variations per product on its
        variations/batch; a PushResult among the targets (a push that could not be parsed) stays."""
        results = {index: target for index, target in enumerate(targets) if isinstance(target, PushResult)}
        simple: list[_Target] = []
        by_parent: dict[int, list[_Target]] = {}
        for target in targets:
            if isinstance(target, _Target):
                if target.variation_id is None:
                    simple.append(target)
                else:
                    by_parent.setdefault(target.product_id, []).append(target)
        for chunk in _chunks(simple, BATCH_LIMIT):
            results.update(self._push_batch("/products/batch", chunk, what))
        for parent, variations in by_parent.items():
            for chunk in _chunks(variations, BATCH_LIMIT):
                results.update(self._push_batch(f"/products/{parent}/variations/batch", chunk, what))
        return [results[index] for index in range(len(targets))]

    def _push_batch(self, path: str, targets: Sequence[_Target], what: str) -> dict[int, PushResult]:
        body = {"update": [{"id": target.item_id, **target.fields} for target in targets]}
        answer = _json_of(self._call("POST", path, body=body, batch_size=len(targets)))
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
                results[target.index] = _failed(
                    target.sku,
                    f"WooCommerce did not answer for {target.description}: push again; if it lasts, check "
                    "the store's error log",
                )
                continue
            results[target.index] = _outcome(target, answered.pop(0), what)
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
        transient_failures = 0
        throttled = 0
        where = url.removeprefix(self._store_url) or "/"
        while True:
            self._limiter.wait_turn()
            target, extra = self._signed(method, url, params, authenticated)
            try:
                response = self._http.request(method, target, json=body, headers=self._headers, **extra)
            except httpx.TransportError as error:
                transient_failures += 1
                self._back_off(
                    transient_failures, f"could not reach WooCommerce ({type(error).__name__})", None
                )
                continue
            status = response.status_code
            if status == 429:
                throttled += 1
                self._limiter.throttled()
                self._wait_after_throttle(response, throttled)
                continue
            if status >= 500:
                transient_failures += 1
                self._back_off(
                    transient_failures, f"WooCommerce answered HTTP {status}", _retry_after(response)
                )
                continue
            if status < 400 or (status == 404 and missing_ok):
                self._limiter.succeeded()
                return response
            raise self._refusal(method, where, response, batch_size)

    def _signed(
        self, method: str, url: str, params: dict[str, Any] | None, authenticated: bool
    ) -> tuple[str, dict[str, Any]]:
        """The URL to send and httpx's extra arguments: Basic auth, or an OAuth-signed query
        (signed again on every attempt: WooCommerce refuses a nonce it has seen)."""
        if not authenticated:
            return url, {"params": params}
        if self._basic is not None:
            return url, {"params": params, "auth": self._basic}
        assert self._oauth is not None
        full = str(httpx.URL(url, params=params)) if params else url
        signed_url, _, _ = self._oauth.sign(full, http_method=method)
        return str(signed_url), {}

    def _refusal(
        self, method: str, where: str, response: httpx.Response, batch_size: int | None
    ) -> ChannelError:
        code, message = _error_of(response)
        status = response.status_code
        if status in (401, 403):
            return ChannelAuthError(
                f"WooCommerce refused the consumer key for {self._store_url}: {KEY_FIX}; for HTTP 403, also "
                f"that the key's user is a shop manager or administrator (HTTP {status}, {code}: {message})"
                if status == 403
                else f"WooCommerce refused the consumer key for {self._store_url}: {KEY_FIX} "
                f"(HTTP 401, {code}: {message})"
            )
        if status == 413:
            return ChannelError(
                f"WooCommerce refused a batch of {batch_size or 'several'} items at {self._store_url}{where} "
                f"with HTTP 413 ({code}: {message}): the store accepts fewer than WooCommerce's default of "
                f"{BATCH_LIMIT} items a batch; raise its woocommerce_rest_batch_items_limit filter (or the "
                "web server's request size limit) back to 100",
                retryable=False,
            )
        if status == 404 and code == "rest_no_route":
            return ChannelError(
                f"{self._store_url} has no WooCommerce route {method} {where} ({code}: {message}): check the "
                "store URL, that WooCommerce is active, and that WordPress permalinks are not set to Plain",
                retryable=False,
            )
        return ChannelError(
            f"WooCommerce refused {method} {where} with HTTP {status} ({code}: {message}); check the store "
            "URL and the product on WooCommerce",
            retryable=False,
        )

    def _back_off(self, failures: int, reason: str, retry_after: float | None) -> None:
        if failures >= MAX_TRANSIENT_ATTEMPTS:
            raise ChannelError(
                f"{reason} at {self._store_url}, {failures} times in a row: nothing was lost, try again "
                "later; if it lasts, check that the store is up and its URL",
                retryable=True,
            )
        if retry_after is not None:
            delay = self._bounded_wait(retry_after, reason)
        else:
            delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (failures - 1))
            delay *= 0.5 + random.random() / 2  # jitter, so that shards don't retry in step
        logger.warning(
            "%s; retrying in %.2f s (attempt %d of %d)", reason, delay, failures + 1, MAX_TRANSIENT_ATTEMPTS
        )
        self._sleep(delay)

    def _wait_after_throttle(self, response: httpx.Response, throttled: int) -> None:
        if throttled > MAX_THROTTLED_RETRIES:
            raise ChannelError(
                f"WooCommerce's host throttled {self._store_url} {throttled} times in a row: another "
                "integration is using the host's request budget, or its limit is very low; try again later",
                retryable=True,
            )
        retry_after = _retry_after(response)
        if retry_after is not None:
            wait = self._bounded_wait(retry_after, "WooCommerce's host throttled the client")
        else:
            wait = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (throttled - 1))
            wait *= 0.5 + random.random() / 2
        logger.info("WooCommerce's host answered 429; waiting %.2f s", wait)
        self._sleep(wait)

    def _bounded_wait(self, retry_after: float, reason: str) -> float:
        if retry_after > MAX_RETRY_AFTER_SECONDS:
            raise ChannelError(
                f"{reason} at {self._store_url} and asked to wait {retry_after:.0f} s: try again later",
                retryable=True,
            )
        return max(0.0, retry_after)


# -- mapping WooCommerce's answers ---------------------------------------------------------------


def _product_variant(product: dict[str, Any]) -> ChannelVariant:
    product_id = str(product["id"])
    return ChannelVariant(
        variant_id=product_id,
        product_id=product_id,
        sku=str(product.get("sku") or ""),
        barcode=str(product.get("global_unique_id") or ""),
        inventory_item_id=product_id,
        location_id="",  # WooCommerce has no locations
        quantity=_quantity(product.get("stock_quantity")),
        price=_decimal(product.get("regular_price")),
        status=VariantStatus.ACTIVE if product.get("status") == "publish" else VariantStatus.HIDDEN,
    )


def _variation_variant(product: dict[str, Any], variation: dict[str, Any]) -> ChannelVariant:
    """A variation is on sale when it and its product are published."""
    product_id, variation_id = str(product["id"]), str(variation["id"])
    published = product.get("status") == "publish" and variation.get("status", "publish") == "publish"
    return ChannelVariant(
        variant_id=variation_id,
        product_id=product_id,
        sku=str(variation.get("sku") or ""),
        barcode=str(variation.get("global_unique_id") or ""),
        inventory_item_id=f"{product_id}/{variation_id}",
        location_id="",
        quantity=_quantity(variation.get("stock_quantity")),
        price=_decimal(variation.get("regular_price")),
        status=VariantStatus.ACTIVE if published else VariantStatus.HIDDEN,
    )


def _quantity(value: Any) -> int:
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _type_of(product: dict[str, Any] | None) -> str:
    return str((product or {}).get("type") or "simple")


def _locate(product_id: str, variant_id: str) -> tuple[int, int | None] | None:
    """(product, variation) from a variant's ids; a simple product is its own variant."""
    if not (_ID.fullmatch(product_id) and _ID.fullmatch(variant_id)):
        return None
    return int(product_id), None if variant_id == product_id else int(variant_id)


def _target(
    index: int, sku: str, product_id: str, variant_id: str, fields: dict[str, Any]
) -> _Target | PushResult:
    where = _locate(product_id, variant_id)
    if where is None:
        return _failed(
            sku,
            f"variant {variant_id!r} of product {product_id!r} is not a WooCommerce product or "
            f"variation: {RELINK}",
        )
    return _Target(index, sku, where[0], where[1], fields)


def _outcome(target: _Target, entry: dict[str, Any], what: str) -> PushResult:
    error = entry.get("error")
    if isinstance(error, dict):
        return _failed(target.sku, _fix_for(target, error, what))
    if what != "quantity":
        return PushResult(sku=target.sku, outcome=PushOutcome.PUSHED)
    held = entry.get("stock_quantity")
    if held is None:
        return _failed(
            target.sku,
            f"WooCommerce did not take the quantity for {target.description}: stock management is off; "
            "turn on WooCommerce > Settings > Products > Inventory > Enable stock management",
        )
    return PushResult(sku=target.sku, outcome=PushOutcome.PUSHED, observed=_quantity(held))


def _fix_for(target: _Target, error: dict[str, Any], what: str) -> str:
    code, message = str(error.get("code") or ""), str(error.get("message") or "")
    data = error.get("data")
    holder = data.get("resource_id") if isinstance(data, dict) else None
    other = f"item {holder}" if holder else "another item"
    fixes = {
        "woocommerce_rest_product_invalid_id": (
            f"product {target.product_id} does not exist on WooCommerce any more: {RELINK}"
        ),
        "woocommerce_rest_product_variation_invalid_id": (
            f"variation {target.variation_id} of product {target.product_id} does not exist on WooCommerce "
            f"any more: {RELINK}"
        ),
        "product_invalid_sku": (
            f"WooCommerce would not save {target.description}: its SKU is also used by {other} "
            f"({code}: {message}); make the SKUs unique on WooCommerce, then push again"
        ),
        "woocommerce_rest_cannot_edit": (
            f"the key's user may not edit {target.description} on WooCommerce: give the user the shop "
            "manager role, or use a key of an administrator"
        ),
    }
    return fixes.get(
        code,
        f"WooCommerce refused the {what} for {target.description} ({code}: {message}); check the item on "
        "WooCommerce",
    )


def _failed(sku: str, message: str) -> PushResult:
    return PushResult(sku=sku, outcome=PushOutcome.FAILED, message=f"{sku}: {message}")


def _check_size(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ValueError(f"push at most {limit} {what} a call, not {count}")


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise ChannelError(
            f"WooCommerce answered {response.request.url.path} with a body that is not JSON (a caching or "
            "security plugin in the way?)",
            retryable=True,
        ) from error


def _error_of(response: httpx.Response) -> tuple[str, str]:
    """WordPress's error `code` and `message`, or the start of a body that is not one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return str(body.get("code") or "no code"), str(body["message"])[:300]
    return "no code", response.text[:200] or response.reason_phrase


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, from delay-seconds or an HTTP date (against the answer's Date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    try:
        now = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        now = datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
