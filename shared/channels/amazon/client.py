"""The Amazon channel client: Selling Partner API (Listings Items 2021-08-01, Feeds 2021-06-30) over
one pooled httpx client.

- Auth: a Login with Amazon access token, exchanged from the seller's refresh token and shared by
  every call (lwa.py), sent as `x-amz-access-token`.
- Pacing: a token bucket per operation with SP-API's usage plans (pacing.py), through the one retry
  layer (shared/channels/retry.py): 429 QuotaExceeded waits a token's time, 5xx and lost answers
  back off and are sent again. Pushes write absolute values, so a patch or a feed applied twice (a
  lost answer) leaves what one leaves; `idempotency_key` is only logged.
- The catalog: searchListingsItems pages of 20, sorted by creation; one search pages through at
  most 1,000 items, so the cursor starts a new search from the last creation time read (skipping the
  SKUs already read at that time). The SKU is the variant, the ASIN its product, the UPC (else EAN)
  its barcode, the DEFAULT (merchant-fulfilled) availability its quantity, the B2C offer its price.
- Pushes: up to FEED_THRESHOLD listings by patchListingsItem, one patch each (5 a second: auto sync
  and small selections); more by one JSON_LISTINGS_FEED (feeds.py). Quantity is
  `fulfillment_availability`, price `purchasable_offer` (our_price, with tax). No compare-and-set:
  `expected` is ignored and the link's last pushed and observed values find hand edits.
- Status: Amazon has no status flag; "hidden" is quantity 0 (as Amazon documents closing a listing).
  The plan itself sends a hidden listing quantity 0 and no status (HIDES_BY_QUANTITY in the domain),
  and reconcile compares no status; push_statuses (hidden: quantity 0, active: nothing to write) is
  there for the protocol. Statuses are read as active.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from shared.channels.amazon.answers import (
    LOCATION,
    TokenExpired,
    failed,
    issues_failure,
    json_of,
    pushed,
    refusal,
    variant_of,
)
from shared.channels.amazon.cursor import SEARCH_PAGE, Cursor
from shared.channels.amazon.feeds import MAX_MESSAGES, FeedSender, Message
from shared.channels.amazon.lwa import DEFAULT_LWA_URL, AccessToken
from shared.channels.amazon.pacing import TokenBucket, buckets
from shared.channels.base import (
    CatalogPage,
    ChannelError,
    ChannelOrder,
    ChannelVariant,
    PricePush,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)
from shared.channels.retry import Retrying, send
from shared.domain.marketplaces import AMAZON_MARKETPLACES

logger = logging.getLogger(__name__)

LISTINGS = "/listings/2021-08-01/items"
ORDERS = "/orders/v0/orders"
INCLUDED = "summaries,attributes,offers,fulfillmentAvailability"
FEED_THRESHOLD = 50  # more listings than this in one push go by feed (50 patches take 10 s at 5 a second)
# Listings one push call takes: one feed's most. The domain's push batches carry 5,000 (PUSH_BATCH_SIZE:
# a batch's SKUs travel in one SQS message), so a job's feeds hold up to 5,000 messages each.
PUSH_BATCH = MAX_MESSAGES
READ_BY_SKUS = 20  # searchListingsItems' identifiers: at most 20
PRODUCT_TYPE = "PRODUCT"  # patches of offer attributes need no product-type-specific attributes
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class AmazonClient:
    """A ChannelClient for one seller in one marketplace."""

    quantity_batch_size = PUSH_BATCH
    price_batch_size = PUSH_BATCH
    status_batch_size = PUSH_BATCH

    def __init__(
        self,
        endpoint: str,
        *,
        seller_id: str,
        marketplace_id: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        lwa_url: str = DEFAULT_LWA_URL,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        feed_threshold: int = FEED_THRESHOLD,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._sleep = sleep
        self.feed_threshold = feed_threshold
        self._retrying = Retrying(
            sleep=sleep,
            store_url=self._endpoint,
            unreachable="could not reach Amazon's Selling Partner API",
            answered="Amazon's Selling Partner API answered",
            lasting_fix="check the endpoint (sellingpartnerapi-na|eu|fe.amazon.com) and Amazon's status page",
            throttler="Amazon throttled",
            throttled_fix="another app of this seller's is spending the same usage plan; try again later",
        )
        self.buckets: dict[str, TokenBucket] = buckets(clock, sleep)
        self.token = AccessToken(
            self._http, lwa_url, client_id, client_secret, refresh_token, self._retrying, clock
        )
        self.feeds = FeedSender(self._json_call, self._transfer, seller_id, marketplace_id, sleep)
        self.calls: dict[str, int] = {}

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the ChannelClient protocol ----------------------------------------------------------

    def check_access(self) -> str:
        """One page of one listing: the token exchange checks the app and the grant, the call the
        seller id and the marketplace."""
        self._search({"pageSize": "1"})
        return f"Amazon seller {self.seller_id} ({self.marketplace_id})"

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        state = Cursor.decode(cursor)
        params = {
            "pageSize": str(SEARCH_PAGE),
            "sortBy": "createdDate",
            "sortOrder": "ASC",
            "includedData": INCLUDED,
        }
        if state.after:
            params["createdAfter"] = state.after
        if state.token:
            params["pageToken"] = state.token
        answer = self._search(params)
        items = [i for i in answer.get("items") or [] if isinstance(i, dict) and i.get("sku")]
        fresh = [i for i in items if str(i["sku"]) not in state.seen]
        variants = [variant_of(item, self.marketplace_id) for item in fresh]
        return CatalogPage(variants=variants, next_cursor=state.after_page(answer, items))

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """searchListingsItems by SKU, 20 to a call; a SKU not found is None."""
        found: dict[str, ChannelVariant] = {}
        skus = list(dict.fromkeys(ref.variant_id or ref.sku for ref in refs))
        for start in range(0, len(skus), READ_BY_SKUS):
            chunk = skus[start : start + READ_BY_SKUS]
            params = {
                "identifiers": ",".join(chunk),
                "identifiersType": "SKU",
                "pageSize": str(READ_BY_SKUS),
                "includedData": INCLUDED,
            }
            for item in self._search(params).get("items") or []:
                if isinstance(item, dict) and item.get("sku") in chunk:
                    found[str(item["sku"])] = variant_of(item, self.marketplace_id)
        return [found.get(ref.variant_id or ref.sku) for ref in refs]

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        _check_size(len(pushes), self.quantity_batch_size, "quantities")
        logger.debug("pushing %d quantities to Amazon (push %s)", len(pushes), idempotency_key)
        return self._push(
            [(p.inventory_item_id or p.sku, [quantity_patch(p.quantity)]) for p in pushes], "quantity"
        )

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        _check_size(len(pushes), self.price_batch_size, "prices")
        logger.debug("pushing %d prices to Amazon (push %s)", len(pushes), idempotency_key)
        currency = AMAZON_MARKETPLACES.get(self.marketplace_id, ("", "USD"))[1]
        patches = [
            (p.variant_id or p.sku, [price_patch(p.price, self.marketplace_id, currency)]) for p in pushes
        ]
        return self._push(patches, "price")

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """Hidden: quantity 0. Active: nothing to write (the quantity pushed with it lists it)."""
        _check_size(len(pushes), self.status_batch_size, "statuses")
        hides = [(index, p) for index, p in enumerate(pushes) if p.status is VariantStatus.HIDDEN]
        results = [pushed(p.sku) for p in pushes]
        hidden = self._push([(p.variant_id or p.sku, [quantity_patch(0)]) for _, p in hides], "status")
        for (index, _), result in zip(hides, hidden, strict=True):
            results[index] = result
        return results

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each Amazon SKU is an offer of its own: hiding one never hides another of the same ASIN."""
        return {}

    def read_order(self, order_id: str) -> ChannelOrder | None:
        """getOrder: the order's OrderStatus as Amazon holds it (Canceled: cancelled); an order
        Amazon does not know (404) is None."""
        path = f"{ORDERS}/{quote(order_id, safe='')}"
        answer = self._json_call("getOrder", "GET", path, None, missing_is_none=True)
        if not isinstance(answer, dict):
            return None
        payload = answer.get("payload") or {}
        return ChannelOrder(order_id=order_id, cancelled=payload.get("OrderStatus") == "Canceled")

    # -- pushing ------------------------------------------------------------------------------

    def _push(self, work: list[tuple[str, list[dict[str, Any]]]], what: str) -> list[PushResult]:
        if len(work) > self.feed_threshold:
            results: list[PushResult] = []
            for start in range(0, len(work), MAX_MESSAGES):
                chunk = work[start : start + MAX_MESSAGES]
                results += self.feeds.push(
                    [Message(sku, PRODUCT_TYPE, patches) for sku, patches in chunk], what
                )
            return results
        return [self._patch(sku, patches, what) for sku, patches in work]

    def _patch(
        self, sku: str, patches: list[dict[str, Any]], what: str, *, preview: bool = False
    ) -> PushResult:
        params = {"marketplaceIds": self.marketplace_id, "issueLocale": "en_US"}
        if preview:
            params["mode"] = "VALIDATION_PREVIEW"
        body = {"productType": PRODUCT_TYPE, "patches": patches}
        try:
            answer = self._json_call(
                "patchListingsItem", "PATCH", f"{self._items()}/{quote(sku, safe='')}", body, params
            )
        except ChannelError as error:
            if error.retryable:
                raise
            return failed(sku, error.message)
        status = answer.get("status")
        failure = issues_failure(sku, answer.get("issues") or [], what)
        if failure is not None or status not in ("ACCEPTED", "VALID"):
            return failure or failed(sku, f"Amazon answered the {what} patch {status!r}: push again")
        return pushed(sku)

    def validate(self, pushes: Sequence[QuantityPush]) -> list[PushResult]:
        """A dry run Amazon checks: VALIDATION_PREVIEW patches, nothing written."""
        return [self._patch(p.sku, [quantity_patch(p.quantity)], "quantity", preview=True) for p in pushes]

    # -- one call: token, pacing, retries -----------------------------------------------------

    def _items(self) -> str:
        return f"{LISTINGS}/{quote(self.seller_id, safe='')}"

    def _search(self, params: dict[str, str]) -> dict[str, Any]:
        answer = self._json_call(
            "searchListingsItems",
            "GET",
            self._items(),
            None,
            {"marketplaceIds": self.marketplace_id, **params},
        )
        return answer if isinstance(answer, dict) else {}

    def _json_call(
        self,
        operation: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        params: dict[str, str] | None = None,
        *,
        missing_is_none: bool = False,
    ) -> Any:
        """An authenticated SP-API call, its JSON answer (with `missing_is_none`, None for a 404); a
        token refused as expired is exchanged once."""
        bucket = self.buckets[operation]
        used: list[str] = []  # the access token of each attempt
        for attempt_number in (1, 2):

            def attempt() -> httpx.Response:
                self.calls[operation] = self.calls.get(operation, 0) + 1
                used.append(self.token.current())
                headers = {
                    "x-amz-access-token": used[-1],
                    "Accept": "application/json",
                    "User-Agent": "Tidemark/1.0",
                }
                return self._http.request(
                    method, f"{self._endpoint}{path}", params=params, json=body, headers=headers
                )

            def read(response: httpx.Response) -> Any:
                bucket.observe(response.headers.get("x-amzn-RateLimit-Limit"))
                if response.status_code == 404 and missing_is_none:
                    return None
                if response.status_code >= 400:
                    raise refusal(response, f"{operation} ({method} {path})", self.seller_id)
                return json_of(response)

            try:
                return send(attempt, read, self._retrying, bucket)
            except TokenExpired:
                self.token.expired(used[-1])
                if attempt_number == 2:
                    raise ChannelError(
                        "Amazon refused a fresh access token as expired: check this machine's clock",
                        retryable=True,
                    ) from None
        raise AssertionError("unreachable")

    def _transfer(self, method: str, url: str, content: bytes | None) -> httpx.Response:
        """A presigned-URL request (a feed document's upload or download): no token, no usage plan."""

        def attempt() -> httpx.Response:
            headers = {"Content-Type": "application/json"} if content is not None else {}
            return self._http.request(method, url, content=content, headers=headers)

        return send(attempt, lambda response: response, self._retrying)


def quantity_patch(quantity: int) -> dict[str, Any]:
    return {
        "op": "replace",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": LOCATION, "quantity": quantity}],
    }


def price_patch(price: Any, marketplace_id: str, currency: str) -> dict[str, Any]:
    offer = {
        "marketplace_id": marketplace_id,
        "currency": currency,
        "our_price": [{"schedule": [{"value_with_tax": float(price)}]}],
    }
    return {"op": "replace", "path": "/attributes/purchasable_offer", "value": [offer]}


def _check_size(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ValueError(f"at most {limit} {what} a push, not {count}")
