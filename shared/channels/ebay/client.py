"""The eBay channel client: the Sell Inventory API v1 over one pooled httpx client.

- OAuth (auth.py): the seller's access token from the refresh token, kept and shared by the
  client's calls until 5 minutes before it expires, fetched again after a 401 errorId 1001.
- The daily call quota (quota.py) is the retry layer's pacer: calls wait for a reset that is near,
  or fail retryably saying when it resets; a 429 re-reads the quota.
- A variant is an offer on the channel's marketplace (`marketplace_id`): its offerId is the variant
  id and the inventory item id, the SKU is the product. The catalog is getInventoryItems in pages
  of 200, and each SKU's offers (getOffers): eBay has no call that lists offers across SKUs, so a
  page costs 201 calls of the quota. An item without an offer on the marketplace is not a variant.
- Quantities and prices go by bulk_update_price_quantity, 25 SKUs a call: the item's ship-to-home
  quantity and the offer's availableQuantity together (eBay lists the lower of the two), or the
  offer's price in the marketplace's currency. eBay revises only published offers that way: an
  unpublished one is refused per entry and comes back as a failure saying so ("skipped"). eBay has
  no compare-and-set and no idempotency key: pushes write absolute values, so sending one again is
  harmless; `expected` is ignored.
- Status: withdrawOffer ends the listing (hidden), publishOffer lists it again (active), one call
  each; withdrawing an offer already unpublished is read back and counts as pushed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from shared.channels.base import (
    CatalogPage,
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
from shared.channels.ebay.answers import (
    CURRENCY,
    Order,
    chunks,
    entry_result,
    errors_of,
    order_of,
    refusal,
    said,
    variant_of,
)
from shared.channels.ebay.auth import EbayAuthError, Tokens
from shared.channels.ebay.quota import DailyQuota, Limits, parse_limits
from shared.channels.retry import MAX_THROTTLED_RETRIES, MAX_TRANSIENT_ATTEMPTS, Retrying, Unpaced, send

logger = logging.getLogger(__name__)

API_PATH = "/sell/inventory/v1"
RATE_LIMIT_PATH = "/developer/analytics/v1_beta/rate_limit/"
PUBLIC_KEY_PATH = "/commerce/notification/v1/public_key"
FULFILLMENT_PATH = "/sell/fulfillment/v1"
PAGE_SIZE = 200  # the most getInventoryItems returns
BULK_LIMIT = 25  # requests in one bulk_update_price_quantity
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class _Expired(Exception):
    """The access token was refused (401 errorId 1001): fetch another and send again, once."""


class EbayClient:
    """A ChannelClient for one eBay seller on one marketplace. Not thread-safe: one per worker."""

    quantity_batch_size = BULK_LIMIT
    price_batch_size = BULK_LIMIT
    status_batch_size = BULK_LIMIT

    def __init__(
        self,
        api_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        marketplace_id: str = "EBAY_US",
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_quota_wait: float = 60.0,
        attempts: int = MAX_TRANSIENT_ATTEMPTS,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self.marketplace_id = marketplace_id
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=TIMEOUT)
        self._retrying = Retrying(
            sleep=sleep,
            store_url=self._api_url,
            unreachable="could not reach eBay",
            answered="eBay answered",
            lasting_fix="check eBay's status page (developer.ebay.com/support/api-status) and the API URL",
            throttler="eBay throttled",
            throttled_fix="the app's call limits are spent; try again later",
            max_transient_attempts=attempts,
            max_throttled_retries=min(attempts, MAX_THROTTLED_RETRIES),
        )
        self.tokens = Tokens(
            self._api_url,
            client_id,
            client_secret,
            refresh_token,
            http=self._http,
            retrying=self._retrying,
            clock=clock,
        )
        self.quota = DailyQuota(self._read_limits, clock=clock, sleep=sleep, max_wait=max_quota_wait)
        self.calls = 0  # Inventory API calls sent, retries included

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the ChannelClient protocol ----------------------------------------------------------

    def check_access(self) -> str:
        """The seller's account as a name, once the refresh token gives a token that reads the
        inventory; an unknown marketplace id is refused here too."""
        if self.marketplace_id not in CURRENCY:
            raise EbayAuthError(
                "marketplace_id",
                f"{self.marketplace_id!r} is not an eBay marketplace id: use one of "
                f"{', '.join(sorted(CURRENCY))}",
            )
        answer = self._json("GET", "/inventory_item", params={"limit": 1, "offset": 0})
        return f"eBay seller ({self.marketplace_id}, {int(answer.get('total') or 0)} inventory items)"

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        offset = int(cursor or 0)
        page = self._json("GET", "/inventory_item", params={"limit": PAGE_SIZE, "offset": offset})
        items = _items_with_sku(page)
        variants: list[ChannelVariant] = []
        for item in items:
            variants += [variant_of(offer, item) for offer in self._offers_of(str(item["sku"]))]
        total = int(page.get("total") or 0)
        more = bool(page.get("next")) or offset + len(items) < total
        return CatalogPage(variants=variants, next_cursor=str(offset + PAGE_SIZE) if more and items else None)

    def _offers_of(self, sku: str) -> list[dict[str, Any]]:
        response = self._call(
            "GET", "/offer", params={"sku": sku, "marketplace_id": self.marketplace_id}, missing_ok=True
        )
        if response.status_code == 404:
            return []  # no offer on this marketplace (25713), or the item went meanwhile (25702)
        offers = _body(response).get("offers") or []
        return [o for o in offers if isinstance(o, dict) and o.get("marketplaceId") == self.marketplace_id]

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """getOffer for each: None for an offer gone, or no longer of its SKU or marketplace."""
        found: list[ChannelVariant | None] = []
        for ref in refs:
            response = self._call("GET", f"/offer/{ref.variant_id}", missing_ok=True)
            offer = _body(response) if response.status_code != 404 else {}
            if offer.get("sku") != ref.sku or offer.get("marketplaceId") != self.marketplace_id:
                found.append(None)
            else:
                found.append(variant_of(offer, None))
        return found

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        logger.debug("pushing %d quantities to eBay (push %s)", len(pushes), idempotency_key)
        requests = [
            {
                "sku": push.sku,
                "shipToLocationAvailability": {"quantity": push.quantity},
                "offers": [{"offerId": push.inventory_item_id, "availableQuantity": push.quantity}],
            }
            for push in pushes
        ]
        return self._bulk([(push.sku, push.inventory_item_id) for push in pushes], requests, "quantity")

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        logger.debug("pushing %d prices to eBay (push %s)", len(pushes), idempotency_key)
        currency = CURRENCY.get(self.marketplace_id, "USD")
        requests = [
            {
                "sku": push.sku,
                "offers": [
                    {
                        "offerId": push.variant_id,
                        "price": {"value": f"{push.price:.2f}", "currency": currency},
                    }
                ],
            }
            for push in pushes
        ]
        return self._bulk([(push.sku, push.variant_id) for push in pushes], requests, "price")

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """withdrawOffer to hide, publishOffer to show: a call each."""
        logger.debug("pushing %d statuses to eBay (push %s)", len(pushes), idempotency_key)
        return [self._status(push) for push in pushes]

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each eBay offer is listed on its own: nothing hides a sibling."""
        return {}

    # -- notifications and orders (the webhooks) -------------------------------------------------

    def public_key(self, kid: str) -> str:
        """getPublicKey (an application token): the PEM of the key eBay signs notifications with."""
        url = f"{self._api_url}{PUBLIC_KEY_PATH}/{kid}"

        def attempt() -> httpx.Response:
            headers = {"Authorization": f"Bearer {self.tokens.app()}", "Accept": "application/json"}
            return self._http.get(url, headers=headers)

        def read(response: httpx.Response) -> str:
            if response.status_code == 200:
                return str(_body(response).get("key") or "")
            if response.status_code == 401:
                self.tokens.drop("app")
            raise ChannelError(
                f"eBay answered getPublicKey {kid} HTTP {response.status_code}: {said(errors_of(response))}",
                retryable=response.status_code == 401,
            )

        return send(attempt, read, self._retrying, Unpaced())

    def read_order(self, order_id: str) -> Order | None:
        """getOrder (the Fulfillment API): the order's lines and whether it was cancelled; None for
        an order eBay does not know."""
        response = self._call_url(
            "GET", f"{self._api_url}{FULFILLMENT_PATH}/order/{order_id}", missing_ok=True
        )
        if response.status_code == 404:
            return None
        return order_of(_body(response))

    # -- pushing ------------------------------------------------------------------------------

    def _bulk(
        self, targets: Sequence[tuple[str, str]], requests: list[dict[str, Any]], what: str
    ) -> list[PushResult]:
        if len(requests) > BULK_LIMIT:
            raise ValueError(f"at most {BULK_LIMIT} {what} pushes a call, got {len(requests)}")
        if not requests:
            return []
        results: list[PushResult] = []
        for chunk_targets, chunk in zip(
            chunks(targets, BULK_LIMIT), chunks(requests, BULK_LIMIT), strict=True
        ):
            answer = self._json("POST", "/bulk_update_price_quantity", body={"requests": list(chunk)})
            entries: dict[tuple[str, str], dict[str, Any]] = {}
            for entry in answer.get("responses") or []:
                if isinstance(entry, dict):
                    entries.setdefault((str(entry.get("sku")), str(entry.get("offerId", ""))), entry)
            for sku, offer_id in chunk_targets:
                entry = entries.get((sku, offer_id)) or entries.get((sku, ""))
                results.append(entry_result(sku, offer_id, entry, what))
        return results

    def _status(self, push: StatusPush) -> PushResult:
        action = "publish" if push.status is VariantStatus.ACTIVE else "withdraw"
        response = self._call("POST", f"/offer/{push.variant_id}/{action}", refused_ok=True)
        if response.status_code < 400:
            return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED)
        current = self.read_variants(
            [
                VariantRef(
                    sku=push.sku,
                    variant_id=push.variant_id,
                    product_id=push.product_id,
                    inventory_item_id=push.variant_id,
                    location_id=self.marketplace_id,
                )
            ]
        )[0]
        if current is not None and current.status is push.status:
            return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED)  # it already was
        fix = (
            "the offer is gone from eBay: link the listing again, or unlink it"
            if current is None
            else "fix what eBay names in Seller Hub (a policy, a category, a picture) and push again"
        )
        return PushResult(
            sku=push.sku,
            outcome=PushOutcome.FAILED,
            message=f"eBay refused to {action} offer {push.variant_id} of SKU {push.sku}: "
            f"{said(errors_of(response))}; {fix}",
        )

    # -- one call: token, quota, retries -------------------------------------------------------

    def _json(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> dict[str, Any]:
        return _body(self._call(method, path, params=params, body=body))

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        missing_ok: bool = False,
        refused_ok: bool = False,
    ) -> httpx.Response:
        """An Inventory API call; raises ChannelError unless eBay accepted it (or, with missing_ok,
        answered 404; with refused_ok, any 4xx)."""
        return self._call_url(
            method,
            f"{self._api_url}{API_PATH}{path}",
            params=params,
            body=body,
            missing_ok=missing_ok,
            refused_ok=refused_ok,
        )

    def _call_url(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        missing_ok: bool = False,
        refused_ok: bool = False,
    ) -> httpx.Response:
        path = url.removeprefix(self._api_url)

        def attempt() -> httpx.Response:
            self.calls += 1
            headers = {
                "Authorization": f"Bearer {self.tokens.user()}",
                "Accept": "application/json",
                "Content-Language": "en-US",
            }
            if body is not None:
                headers["Content-Type"] = "application/json"
            return self._http.request(method, url, params=params, json=body, headers=headers)

        def read(response: httpx.Response) -> httpx.Response:
            status = response.status_code
            if status == 401:
                raise _Expired
            if status < 400 or (status == 404 and missing_ok) or refused_ok:
                return response
            raise refusal(self._api_url, method, path, response)

        try:
            return send(attempt, read, self._retrying, self.quota)
        except _Expired:
            self.tokens.drop("user")
        try:
            return send(attempt, read, self._retrying, self.quota)
        except _Expired:
            raise EbayAuthError(
                "refresh_token",
                "eBay refused a fresh access token (401 errorId 1001): the seller's consent may have been "
                "revoked; get a new refresh token and edit the channel",
            ) from None

    def _read_limits(self) -> Limits | None:
        """getRateLimits with the application token (not counted against the Inventory API's quota)."""

        def attempt() -> httpx.Response:
            headers = {"Authorization": f"Bearer {self.tokens.app()}", "Accept": "application/json"}
            return self._http.get(
                f"{self._api_url}{RATE_LIMIT_PATH}", params={"api_name": "inventory"}, headers=headers
            )

        def read(response: httpx.Response) -> Limits | None:
            if response.status_code == 401:
                self.tokens.drop("app")
                return None
            return parse_limits(_body(response)) if response.status_code == 200 else None

        try:
            return send(attempt, read, self._retrying, Unpaced())
        except ChannelError as error:
            if isinstance(error, EbayAuthError):
                raise
            logger.warning("could not read eBay's call limits: %s", error.message)
            return None


def _items_with_sku(page: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in page.get("inventoryItems") or [] if isinstance(i, dict) and i.get("sku")]


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ChannelError(
            f"eBay answered HTTP {response.status_code} with something other than JSON", retryable=True
        ) from None
    return body if isinstance(body, dict) else {}
