"""The Shopify channel client: Admin GraphQL API 2026-10 over one pooled httpx client.

Quantities are set with `inventorySetQuantities` (absolute values, compare-and-set on
`changeFromQuantity`, an `@idempotent` key per call), prices with `productVariantsBulkUpdate` and
statuses with `productUpdate` (one call per product). The catalog is read in pages of
`productVariants`, or, past 25,000 variants (as far as Shopify pages), with a bulk operation whose
JSONL output is paged through with HTTP Range requests. Every call is paced from the cost bucket
Shopify reports in `extensions.cost.throttleStatus`, so a sync is almost never throttled.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

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

API_VERSION = "2026-10"
MAX_QUERY_COST = 1000
# Shopify's calculated cost of one catalog node: the variant 1, its inventory item 1, the
# inventoryLevels(first: 1) connection 2 + 1 x (level, location, quantities) = 5, its product 1.
CATALOG_COST_PER_VARIANT = 8
# productVariants(first: 250) with that selection would cost 2 + 250 x 8 = 2002, and Shopify
# refuses any query above 1000: 124 variants a page is the most one query may read.
CATALOG_PAGE_SIZE = (MAX_QUERY_COST - 2) // CATALOG_COST_PER_VARIANT
MUTATION_COST = 10
AVAILABLE_COST_PER_ITEM = 3  # the item, its level, its quantities
READ_COST_PER_VARIANT = (
    5  # the variant, its inventory item, the level at its location, its quantities, product
)
# Half the 1000-point cap: a chunk Shopify costs a little higher than this count is still never refused.
READ_VARIANTS_CHUNK = MAX_QUERY_COST // 2 // READ_COST_PER_VARIANT
# productVariants pages stop at 25,000 objects; past that the catalog is read in bulk.
BULK_THRESHOLD = 25_000
BULK_CURSOR = "bulk:"  # bulk:<byte offset>:<url of the JSONL>
BULK_PAGE_BYTES = 512 * 1024  # about 1,000 variants with their inventory levels
BULK_TIMEOUT_SECONDS = 90.0  # under the link function's 120 s; a retry resumes the running operation
BULK_POLL_SECONDS = 1.0
BULK_POLL_MAX_SECONDS = 10.0
BULK_BUSY_CODES = ("LIMIT_REACHED", "OPERATION_IN_PROGRESS")
BULK_ENDED = ("FAILED", "CANCELED", "CANCELING", "EXPIRED")
MAX_TRANSIENT_ATTEMPTS = 5
MAX_THROTTLED_RETRIES = 10
MAX_PUSH_ROUNDS = 3  # the push, its retry after re-reading stale items, one more for bystanders
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
SCOPES_FIX = "the app needs the read_products, read_inventory and write_inventory access scopes"

CHECK_ACCESS_QUERY = "query TidemarkCheckAccess { shop { name } }"

CATALOG_QUERY = """
query TidemarkCatalogPage($first: Int!, $cursor: String) {
  productVariants(first: $first, after: $cursor) {
    nodes {
      id
      sku
      barcode
      price
      inventoryQuantity
      inventoryItem {
        id
        inventoryLevels(first: 1) {
          nodes {
            location { id }
            quantities(names: ["available"]) { name quantity }
          }
        }
      }
      product { id status }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

SET_QUANTITIES_MUTATION = """
mutation TidemarkSetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { createdAt referenceDocumentUri }
    userErrors { code field message }
  }
}
"""

READ_VARIANTS_QUERY = """
query TidemarkReadVariants($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on ProductVariant {
      id
      sku
      barcode
      price
      inventoryQuantity
      inventoryItem {
        id
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available"]) { name quantity }
        }
      }
      product { id status }
    }
  }
}
"""

SET_PRICES_MUTATION = """
mutation TidemarkSetPrices($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: true) {
    productVariants { id price }
    userErrors { code field message }
  }
}
"""

SET_STATUS_MUTATION = """
mutation TidemarkSetStatus($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id status }
    userErrors { field message }
  }
}
"""

# Shopify allows at most 2,048 variants a product; the first 250 are what one page holds.
PRODUCT_SKUS_QUERY = """
query TidemarkProductSkus($ids: [ID!]!) {
  nodes(ids: $ids) { ... on Product { id variants(first: 250) { nodes { sku } } } }
}
"""
PRODUCT_SKUS_COST = 252  # the product and a page of 250 variants: Shopify's requested cost
PRODUCT_SKUS_CHUNK = MAX_QUERY_COST // 2 // PRODUCT_SKUS_COST

VARIANT_COUNT_QUERY = """
query TidemarkVariantCount($limit: Int) {
  productVariantsCount(limit: $limit) { count precision }
}
"""

# A bulk query takes no page sizes: Shopify reads every connection whole.
BULK_CATALOG_QUERY = """
{
  productVariants {
    edges {
      node {
        id
        sku
        barcode
        price
        inventoryQuantity
        inventoryItem {
          id
          inventoryLevels {
            edges {
              node {
                location { id }
                quantities(names: ["available"]) { name quantity }
              }
            }
          }
        }
        product { id status }
      }
    }
  }
}
"""

RUN_BULK_QUERY_MUTATION = """
mutation TidemarkBulkCatalog($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status }
    userErrors { code field message }
  }
}
"""

CURRENT_BULK_OPERATION_QUERY = """
query TidemarkCurrentBulkOperation {
  currentBulkOperation(type: QUERY) { id status query }
}
"""

BULK_OPERATION_QUERY = """
query TidemarkBulkOperation($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount url }
  }
}
"""

AVAILABLE_AT_LOCATION_QUERY = """
query TidemarkAvailable($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""


@dataclass
class _CostBucket:
    """The last throttle status Shopify reported, and when."""

    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.observed_at) * self.restore_rate)


@dataclass(frozen=True)
class _UserError:
    code: str
    field: list[str]
    message: str

    @classmethod
    def parse(cls, error: dict[str, Any]) -> _UserError:
        return cls(
            str(error.get("code") or ""),
            [str(part) for part in error.get("field") or []],
            str(error["message"]),
        )

    def index_in(self, *path: str) -> int | None:
        """Which entry of the input list at `path` the error is about, if it is about one."""
        at = len(path)
        if len(self.field) > at and tuple(self.field[:at]) == path and self.field[at].isdigit():
            return int(self.field[at])
        return None

    @property
    def quantity_index(self) -> int | None:
        return self.index_in("input", "quantities")


class ShopifyClient:
    """A ChannelClient for one Shopify store. Not thread-safe: one client per worker."""

    quantity_batch_size = 250  # Shopify's input array limit
    # Prices and statuses cost one call per product in the batch (10 points each): 100 pushes are at
    # most 1,000 points, half the standard plan's bucket or 10 s of its restore, well inside one push
    # function's 30 s even when shards share the bucket; and a product's share of a batch never
    # passes the 250 variants one productVariantsBulkUpdate takes.
    price_batch_size = 100
    status_batch_size = 100

    def __init__(
        self,
        store_url: str,
        token: str,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        bulk_threshold: int = BULK_THRESHOLD,
        bulk_timeout: float = BULK_TIMEOUT_SECONDS,
    ) -> None:
        self._store_url = store_url.rstrip("/")
        self._endpoint = f"{self._store_url}/admin/api/{API_VERSION}/graphql.json"
        self._headers = {"X-Shopify-Access-Token": token, "Accept": "application/json"}
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
        self._sleep = sleep
        self._clock = clock
        self._bucket: _CostBucket | None = None
        self._bulk_threshold = bulk_threshold
        self._bulk_timeout = bulk_timeout

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the ChannelClient protocol ----------------------------------------------------------

    def check_access(self) -> str:
        data = self._call(CHECK_ACCESS_QUERY, {}, cost=1)
        return str(data["shop"]["name"])

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        if cursor is None and self._variant_count() > self._bulk_threshold:
            cursor = self._run_bulk_catalog()
            if cursor is None:
                return CatalogPage(variants=[])
        if cursor is not None and cursor.startswith(BULK_CURSOR):
            return self._read_bulk_page(cursor)
        data = self._call(
            CATALOG_QUERY,
            {"first": CATALOG_PAGE_SIZE, "cursor": cursor},
            cost=2 + CATALOG_PAGE_SIZE * CATALOG_COST_PER_VARIANT,
        )
        connection = data["productVariants"]
        page_info = connection["pageInfo"]
        return CatalogPage(
            variants=[_catalog_variant(node) for node in connection["nodes"]],
            next_cursor=str(page_info["endCursor"]) if page_info["hasNextPage"] else None,
        )

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """One `nodes` query per location and chunk of variants; None for a variant Shopify no longer has."""
        found: dict[tuple[str, str], ChannelVariant] = {}
        for location_id in sorted({ref.location_id for ref in refs}):
            ids = sorted({ref.variant_id for ref in refs if ref.location_id == location_id})
            for start in range(0, len(ids), READ_VARIANTS_CHUNK):
                chunk = ids[start : start + READ_VARIANTS_CHUNK]
                data = self._call(
                    READ_VARIANTS_QUERY,
                    {"ids": chunk, "locationId": location_id},
                    cost=READ_COST_PER_VARIANT * len(chunk),
                )
                for node in data["nodes"]:
                    if node and "id" in node:  # an id of another type comes back as {}
                        level = (node["inventoryItem"] or {}).get("inventoryLevel")
                        variant = _channel_variant(node, level, location_id if level else "")
                        found[(variant.variant_id, location_id)] = variant
        return [found.get((ref.variant_id, ref.location_id)) for ref in refs]

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        """One productVariantsBulkUpdate per product, with all its pushed variants. Prices are absolute,
        so a retried call writes the same values again: no idempotency key is needed. Partial updates
        are allowed, so that a variant Shopify refuses does not hold its siblings back."""
        if len(pushes) > self.price_batch_size:
            raise ValueError(f"push at most {self.price_batch_size} prices a call, not {len(pushes)}")
        results: dict[int, PushResult] = {}
        for product_id, indexes in _by_product(pushes).items():
            variants = [{"id": pushes[i].variant_id, "price": format(pushes[i].price, "f")} for i in indexes]
            data = self._call(
                SET_PRICES_MUTATION, {"productId": product_id, "variants": variants}, cost=MUTATION_COST
            )
            errors = [_UserError.parse(error) for error in data["productVariantsBulkUpdate"]["userErrors"]]
            for position, index in enumerate(indexes):
                error = next((e for e in errors if e.index_in("variants") in (position, None)), None)
                results[index] = (
                    _pushed_value(pushes[index]) if error is None else _price_failed(pushes[index], error)
                )
        return [results[index] for index in range(len(pushes))]

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """One productUpdate per product: Shopify keeps the status per product, which is ACTIVE while
        any variant of it pushed here is active, else DRAFT. Absolute too: no idempotency key needed."""
        if len(pushes) > self.status_batch_size:
            raise ValueError(f"push at most {self.status_batch_size} statuses a call, not {len(pushes)}")
        results: dict[int, PushResult] = {}
        for product_id, indexes in _by_product(pushes).items():
            shown = [pushes[i] for i in indexes if pushes[i].status is VariantStatus.ACTIVE]
            status = "ACTIVE" if shown else "DRAFT"
            data = self._call(
                SET_STATUS_MUTATION, {"product": {"id": product_id, "status": status}}, cost=MUTATION_COST
            )
            errors = [_UserError.parse(error) for error in data["productUpdate"]["userErrors"]]
            for index in indexes:
                push = pushes[index]
                if errors:
                    results[index] = _status_failed(push, status, errors[0])
                elif shown and push.status is VariantStatus.HIDDEN:
                    results[index] = _kept_active(push, shown[0])
                else:
                    results[index] = _pushed_value(push)
        return [results[index] for index in range(len(pushes))]

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Shopify shows or hides whole products: the SKUs of every variant of each product."""
        skus: dict[str, list[str]] = {}
        for start in range(0, len(product_ids), PRODUCT_SKUS_CHUNK):
            ids = list(product_ids[start : start + PRODUCT_SKUS_CHUNK])
            data = self._call(PRODUCT_SKUS_QUERY, {"ids": ids}, cost=len(ids) * PRODUCT_SKUS_COST)
            for node in data["nodes"]:
                if node:
                    skus[str(node["id"])] = [v["sku"] or "" for v in node["variants"]["nodes"]]
        return skus

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        """Set the quantities with one inventorySetQuantities call. Shopify writes nothing when it
        refuses any entry, so refused entries are dropped and the rest sent again (keys `<key>-r1`,
        `<key>-r2`); an entry whose `expected` is stale is re-read once and sent with what was read."""
        if len(pushes) > self.quantity_batch_size:
            raise ValueError(f"push at most {self.quantity_batch_size} quantities a call, not {len(pushes)}")
        results: dict[int, PushResult] = {}
        expected = {index: push.expected for index, push in enumerate(pushes)}
        reread: dict[int, int | None] = {}  # what Shopify held when a stale entry was re-read
        pending = list(range(len(pushes)))
        for round_number in range(MAX_PUSH_ROUNDS):
            if not pending:
                break
            key = idempotency_key if round_number == 0 else f"{idempotency_key}-r{round_number}"
            errors = self._set_quantities([pushes[i] for i in pending], [expected[i] for i in pending], key)
            batch_error = next((error for error in errors if error.quantity_index is None), None)
            if not errors or batch_error:
                results.update(self._settle(pushes, pending, batch_error))
                pending = []
                break
            stale, pending = _sort_refusals(pushes, pending, errors, reread, results)
            for index, held in zip(stale, self._read_available([pushes[i] for i in stale]), strict=True):
                reread[index] = held
                if held == pushes[index].quantity:
                    results[index] = _pushed(pushes[index])  # Shopify already holds what we push
                elif held is None:
                    results[index] = _conflict(pushes[index], None)  # no longer stocked there
                else:
                    expected[index] = held
                    pending.append(index)
            pending.sort()
        for index in pending:  # the rounds ran out while other entries kept changing
            results[index] = _conflict(pushes[index], reread.get(index, expected[index]))
        return [results[index] for index in range(len(pushes))]

    # -- pushing ------------------------------------------------------------------------------

    def _set_quantities(
        self, pushes: Sequence[QuantityPush], expected: Sequence[int | None], key: str
    ) -> list[_UserError]:
        variables = {
            "key": key,
            "input": {
                "name": "available",
                "reason": "correction",
                "referenceDocumentUri": f"tidemark://push/{key}",
                "quantities": [
                    {
                        "inventoryItemId": push.inventory_item_id,
                        "locationId": push.location_id,
                        "quantity": push.quantity,
                        "changeFromQuantity": expected_quantity,  # None goes out as an explicit null
                    }
                    for push, expected_quantity in zip(pushes, expected, strict=True)
                ],
            },
        }
        data = self._call(SET_QUANTITIES_MUTATION, variables, cost=MUTATION_COST)
        errors = [_UserError.parse(error) for error in data["inventorySetQuantities"]["userErrors"]]
        if any(error.code == "IDEMPOTENCY_CONCURRENT_REQUEST" for error in errors):
            raise ChannelError(
                f"Shopify is still working on the push with idempotency key {key}: "
                "push again later with the same key",
                retryable=True,
            )
        return errors

    def _settle(
        self, pushes: Sequence[QuantityPush], pending: list[int], batch_error: _UserError | None
    ) -> dict[int, PushResult]:
        """The results of a round that wrote everything, or that Shopify refused as a whole."""
        if batch_error is None:
            return {i: _pushed(pushes[i]) for i in pending}
        if batch_error.code == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH":
            # An earlier push under this key (a redelivery of this one) sent other values.
            held = self._read_available([pushes[i] for i in pending])
            return {
                i: _pushed(pushes[i]) if now == pushes[i].quantity else _conflict(pushes[i], now)
                for i, now in zip(pending, held, strict=True)
            }
        message = (
            f"Shopify refused the whole push ({batch_error.code}: {batch_error.message}); "
            "this is a Tidemark bug: report it"
        )
        return {
            i: PushResult(sku=pushes[i].sku, outcome=PushOutcome.FAILED, message=message) for i in pending
        }

    def _read_available(self, pushes: Sequence[QuantityPush]) -> list[int | None]:
        """The available quantity Shopify holds now for each push's item at its location."""
        held: dict[tuple[str, str], int | None] = {}
        locations = sorted({push.location_id for push in pushes})
        for location_id in locations:
            item_ids = sorted({push.inventory_item_id for push in pushes if push.location_id == location_id})
            data = self._call(
                AVAILABLE_AT_LOCATION_QUERY,
                {"ids": item_ids, "locationId": location_id},
                cost=AVAILABLE_COST_PER_ITEM * len(item_ids),
            )
            for node in data["nodes"]:
                if node and "id" in node:
                    held[(str(node["id"]), location_id)] = _available(node.get("inventoryLevel"))
        return [held.get((push.inventory_item_id, push.location_id)) for push in pushes]

    # -- reading the catalog in bulk ----------------------------------------------------------

    def _variant_count(self) -> int:
        """How many variants the store has, counted up to one past the bulk threshold."""
        data = self._call(VARIANT_COUNT_QUERY, {"limit": self._bulk_threshold + 1}, cost=1)
        return int((data["productVariantsCount"] or {}).get("count") or 0)

    def _run_bulk_catalog(self) -> str | None:
        """Run the bulk catalog query (or follow the one an earlier attempt left running) to its end;
        the cursor of its first page, or None when it found no variants."""
        current = self._call(CURRENT_BULK_OPERATION_QUERY, {}, cost=1)["currentBulkOperation"]
        if current and current["status"] in ("CREATED", "RUNNING") and current["query"] == BULK_CATALOG_QUERY:
            operation_id = str(current["id"])
        else:
            payload = self._call(RUN_BULK_QUERY_MUTATION, {"query": BULK_CATALOG_QUERY}, cost=MUTATION_COST)[
                "bulkOperationRunQuery"
            ]
            if payload["userErrors"]:
                raise _bulk_refused(self._store_url, _UserError.parse(payload["userErrors"][0]))
            operation_id = str(payload["bulkOperation"]["id"])
        url = self._await_bulk(operation_id)
        return f"{BULK_CURSOR}0:{url}" if url else None

    def _await_bulk(self, operation_id: str) -> str | None:
        """Poll the operation until it completed; the URL of its output (None: it found nothing)."""
        deadline = self._clock() + self._bulk_timeout
        wait = BULK_POLL_SECONDS
        while True:
            operation = self._call(BULK_OPERATION_QUERY, {"id": operation_id}, cost=1)["node"] or {}
            status = operation.get("status")
            if status == "COMPLETED":
                return str(operation["url"]) if operation.get("url") else None
            if status is None or status in BULK_ENDED:
                raise ChannelError(
                    f"Shopify's bulk read of the catalog of {self._store_url} ended {status or 'unknown'} "
                    f"({operation.get('errorCode') or 'no error code'}): nothing was changed; start the link "
                    "again, and if it keeps failing check Shopify's status page",
                    retryable=True,
                )
            if self._clock() + wait > deadline:
                raise ChannelError(
                    f"Shopify's bulk read of the catalog of {self._store_url} did not complete within "
                    f"{self._bulk_timeout:.0f} s: nothing was lost; the next attempt follows the same read",
                    retryable=True,
                )
            self._sleep(wait)
            wait = min(BULK_POLL_MAX_SECONDS, wait * 2)

    def _read_bulk_page(self, cursor: str) -> CatalogPage:
        """The whole variants (each with its inventory levels) in the next BULK_PAGE_BYTES of the JSONL."""
        _, offset_text, url = cursor.split(":", 2)
        offset = int(offset_text)
        size = BULK_PAGE_BYTES
        while True:
            chunk, total = self._download(url, offset, offset + size - 1)
            lines, length = _whole_records(chunk, at_end=offset + len(chunk) >= total)
            if lines:
                break
            size *= 2  # one variant's lines are longer than a page: read more at once
        end = offset + length
        return CatalogPage(
            variants=_bulk_variants(lines), next_cursor=f"{BULK_CURSOR}{end}:{url}" if end < total else None
        )

    def _download(self, url: str, first: int, last: int) -> tuple[bytes, int]:
        """Bytes first..last of the bulk output and its total size. The URL is signed: it takes no token."""
        failures = 0
        while True:
            try:
                response = self._http.get(url, headers={"Range": f"bytes={first}-{last}"})
            except httpx.TransportError as error:
                failures += 1
                self._back_off(failures, f"could not download the bulk catalog ({type(error).__name__})")
                continue
            if response.status_code == 206:
                return response.content, int(response.headers["Content-Range"].rsplit("/", 1)[1])
            if response.status_code == 200:  # a server that ignores Range sends it all
                return response.content[first : last + 1], len(response.content)
            if response.status_code == 429 or response.status_code >= 500:
                failures += 1
                reason = f"the bulk catalog download answered HTTP {response.status_code}"
                self._back_off(failures, reason, _retry_after(response))
                continue
            raise ChannelError(
                f"the bulk catalog of {self._store_url} could not be downloaded (HTTP "
                f"{response.status_code}: its link expired or was refused): start the link again to read "
                "the catalog afresh",
                retryable=False,
            )

    # -- one call: pacing, throttling, retries ------------------------------------------------

    def _call(self, query: str, variables: dict[str, Any], *, cost: int) -> dict[str, Any]:
        """POST one GraphQL request and return its `data`; raise ChannelError when it fails."""
        transient_failures = 0
        throttled = 0
        while True:
            self._wait_for_points(cost)
            try:
                response = self._http.post(
                    self._endpoint, json={"query": query, "variables": variables}, headers=self._headers
                )
            except httpx.TransportError as error:
                transient_failures += 1
                self._back_off(transient_failures, f"could not reach Shopify ({type(error).__name__})")
                continue
            if response.status_code in (401, 403):
                raise ChannelAuthError(_auth_message(self._store_url, response))
            if response.status_code == 429:
                throttled += 1
                self._wait_after_throttle(_retry_after(response), cost, throttled)
                continue
            if response.status_code >= 500:
                transient_failures += 1
                self._back_off(transient_failures, f"Shopify answered HTTP {response.status_code}")
                continue
            if response.status_code >= 400:
                raise ChannelError(
                    f"Shopify refused the request to {self._endpoint} with HTTP {response.status_code}: "
                    f"{response.text[:200]}; check the store URL and the API version {API_VERSION}",
                    retryable=False,
                )
            body = self._json_of(response)
            self._remember_bucket(body)
            if _error_code(body) == "THROTTLED":
                throttled += 1
                self._wait_after_throttle(_retry_after(response), cost, throttled)
                continue
            if body.get("errors"):
                raise ChannelError(_graphql_error_message(body["errors"]), retryable=False)
            if not isinstance(body.get("data"), dict):
                raise ChannelError(f"Shopify answered {self._endpoint} without data", retryable=True)
            data: dict[str, Any] = body["data"]
            return data

    def _json_of(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ChannelError(
                f"Shopify answered {self._endpoint} with a body that is not a JSON object", retryable=True
            )
        return body

    def _back_off(self, failures: int, reason: str, retry_after: float | None = None) -> None:
        if failures >= MAX_TRANSIENT_ATTEMPTS:
            raise ChannelError(
                f"{reason} at {self._store_url}, {failures} times in a row: nothing was lost, try again "
                "later; if it lasts, check Shopify's status page and the store URL",
                retryable=True,
            )
        delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (failures - 1))
        delay *= 0.5 + random.random() / 2  # jitter, so that shards don't retry in step
        delay = max(delay, retry_after or 0.0)
        logger.warning(
            "%s; retrying in %.2f s (attempt %d of %d)", reason, delay, failures + 1, MAX_TRANSIENT_ATTEMPTS
        )
        self._sleep(delay)

    # -- the cost bucket -----------------------------------------------------------------------

    def _remember_bucket(self, body: Any) -> None:
        status = (
            (body.get("extensions") or {}).get("cost", {}).get("throttleStatus")
            if isinstance(body, dict)
            else None
        )
        if not status:
            return
        self._bucket = _CostBucket(
            maximum=float(status["maximumAvailable"]),
            available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"]),
            observed_at=self._clock(),
        )

    def _wait_for_points(self, cost: int) -> None:
        """Sleep just long enough for the bucket to hold `cost` points, as far as we know it."""
        if self._bucket is None or self._bucket.restore_rate <= 0:
            return
        missing = cost - self._bucket.available_at(self._clock())
        if missing > 0:
            self._sleep(missing / self._bucket.restore_rate)

    def _wait_after_throttle(self, retry_after: float | None, cost: int, throttled: int) -> None:
        """Wait as Retry-After says, else until the bucket Shopify reported holds `cost`; 1 s at least."""
        if throttled > MAX_THROTTLED_RETRIES:
            raise ChannelError(
                f"Shopify throttled {self._store_url} {throttled} times in a row: another app or sync is "
                "using the store's API budget; try again later",
                retryable=True,
            )
        wait = retry_after
        if wait is None and self._bucket is not None and self._bucket.restore_rate > 0:
            wait = (cost - self._bucket.available) / self._bucket.restore_rate
        wait = max(1.0, wait or 0.0)
        logger.info("Shopify throttled the request; waiting %.2f s", wait)
        self._sleep(wait)


# -- mapping Shopify's answers ------------------------------------------------------------------


def _catalog_variant(node: dict[str, Any]) -> ChannelVariant:
    item = node["inventoryItem"]
    levels = item["inventoryLevels"]["nodes"] if item else []
    level = levels[0] if levels else None
    return _channel_variant(node, level, str(level["location"]["id"]) if level else "")


def _channel_variant(node: dict[str, Any], level: dict[str, Any] | None, location_id: str) -> ChannelVariant:
    """A variant from what a query read of it and of its inventory level at `location_id`."""
    item = node["inventoryItem"]
    available = _available(level)
    return ChannelVariant(
        variant_id=str(node["id"]),
        product_id=str(node["product"]["id"]),
        sku=node.get("sku") or "",
        barcode=node.get("barcode") or "",
        inventory_item_id=str(item["id"]) if item else "",
        location_id=location_id,
        quantity=available if available is not None else int(node.get("inventoryQuantity") or 0),
        price=_decimal(node.get("price")),
        status=VariantStatus.ACTIVE if node["product"]["status"] == "ACTIVE" else VariantStatus.HIDDEN,
    )


def _whole_records(chunk: bytes, *, at_end: bool) -> tuple[list[dict[str, Any]], int]:
    """The JSONL lines of the variants that lie whole in `chunk` (a variant's line, then the lines of its
    inventory levels, which carry `__parentId`), and how many bytes they take. A variant is whole once
    the next one starts, or the file ends."""
    lines: list[dict[str, Any]] = []
    whole, whole_length, length = 0, 0, 0
    for raw in chunk.splitlines(keepends=True):
        if not raw.endswith(b"\n") and not at_end:
            break  # the range cut this line
        line = json.loads(raw)
        if "__parentId" not in line:
            whole, whole_length = len(lines), length
        lines.append(line)
        length += len(raw)
    else:
        if at_end:
            whole, whole_length = len(lines), length
    return lines[:whole], whole_length


def _bulk_variants(lines: list[dict[str, Any]]) -> list[ChannelVariant]:
    """Variants from the bulk JSONL: each level line joins the variant (or inventory item) it names."""
    variants: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for line in lines:
        if "__parentId" not in line:
            line["inventoryItem"] = dict(line.get("inventoryItem") or {}, inventoryLevels={"nodes": []})
            variants.append(line)
            by_id[str(line["id"])] = by_id[str(line["inventoryItem"].get("id"))] = line
        elif (parent := by_id.get(str(line["__parentId"]))) is not None:
            parent["inventoryItem"]["inventoryLevels"]["nodes"].append(line)
    return [_catalog_variant(variant) for variant in variants]


def _by_product(pushes: Sequence[PricePush | StatusPush]) -> dict[str, list[int]]:
    """The positions of the pushes, by product, in the order products first appear."""
    groups: dict[str, list[int]] = {}
    for index, push in enumerate(pushes):
        groups.setdefault(push.product_id, []).append(index)
    return groups


def _available(level: dict[str, Any] | None) -> int | None:
    if not level:
        return None
    for quantity in level.get("quantities") or []:
        if quantity["name"] == "available":
            return int(quantity["quantity"])
    return None


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _sort_refusals(
    pushes: Sequence[QuantityPush],
    pending: list[int],
    errors: list[_UserError],
    reread: dict[int, int | None],
    results: dict[int, PushResult],
) -> tuple[list[int], list[int]]:
    """Settle the refused entries of a round in `results`; return the entries to re-read
    (stale for the first time) and those to send again as they are."""
    stale: list[int] = []
    again: list[int] = []
    for position, index in enumerate(pending):
        entry_errors = [error for error in errors if error.quantity_index == position]
        refusals = [error for error in entry_errors if error.code != "CHANGE_FROM_QUANTITY_STALE"]
        if refusals:
            results[index] = _failed(pushes[index], refusals[0])
        elif not entry_errors:
            again.append(index)  # not written only because another entry was refused
        elif index in reread:
            results[index] = _conflict(pushes[index], reread[index])  # stale even after a re-read
        else:
            stale.append(index)
    return stale, again


def _pushed_value(push: PricePush | StatusPush) -> PushResult:
    return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED)


def _price_failed(push: PricePush, error: _UserError) -> PushResult:
    variant, product, price = push.variant_id, push.product_id, format(push.price, "f")
    fixes = {
        "PRODUCT_DOES_NOT_EXIST": (
            f"product {product} no longer exists on Shopify: link the listing again, or unlink it"
        ),
        "PRODUCT_VARIANT_DOES_NOT_EXIST": (
            f"variant {variant} no longer exists on Shopify: link the listing again to pick up the variant "
            "that replaced it, or unlink it"
        ),
        "MUST_BE_FOR_THIS_PRODUCT": (
            f"variant {variant} is no longer on product {product} on Shopify: link the listing again"
        ),
        "NEGATIVE_PRICE_VALUE": f"price {price} is negative: correct the master price",
        "GREATER_THAN_OR_EQUAL_TO": f"price {price} is below 0: correct the master price",
    }
    fix = fixes.get(
        error.code,
        f"Shopify refused price {price} for variant {variant} ({error.code or 'no code'}: {error.message}); "
        "check the variant on Shopify",
    )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def _status_failed(push: StatusPush, status: str, error: _UserError) -> PushResult:
    if error.field == ["id"]:
        fix = f"product {push.product_id} no longer exists on Shopify: link the listing again, or unlink it"
    else:
        fix = (
            f"Shopify refused status {status} for product {push.product_id} ({error.message}); "
            "check the product on Shopify"
        )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def _kept_active(push: StatusPush, shown: StatusPush) -> PushResult:
    return PushResult(
        sku=push.sku,
        outcome=PushOutcome.FAILED,
        message=(
            f"{push.sku}: product {push.product_id} stays active on Shopify, which shows or hides whole "
            f"products, because {shown.sku} on it is active: hide {shown.sku} too, or move {push.sku} to a "
            "product of its own on Shopify"
        ),
    )


def _bulk_refused(store_url: str, error: _UserError) -> ChannelError:
    if error.code in BULK_BUSY_CODES:
        return ChannelError(
            f"Shopify is running as many bulk operations for the Tidemark app on {store_url} as it allows: "
            "nothing was lost; the link tries again once one has finished",
            retryable=True,
        )
    return ChannelError(
        f"Shopify refused Tidemark's bulk catalog query ({error.code}: {error.message}); "
        "this is a Tidemark bug: report it",
        retryable=False,
    )


def _pushed(push: QuantityPush) -> PushResult:
    return PushResult(sku=push.sku, outcome=PushOutcome.PUSHED, observed=push.quantity)


def _conflict(push: QuantityPush, held: int | None) -> PushResult:
    now = f"holds {held}" if held is not None else "changed"
    return PushResult(
        sku=push.sku,
        outcome=PushOutcome.CONFLICT,
        observed=held,
        message=(
            f"{push.sku}: Shopify {now} while Tidemark pushed {push.quantity} (expected {push.expected}): "
            "the quantity was changed on Shopify meanwhile; re-read it and push again"
        ),
    )


def _failed(push: QuantityPush, error: _UserError) -> PushResult:
    item, location = push.inventory_item_id, push.location_id
    fixes = {
        "ITEM_NOT_STOCKED_AT_LOCATION": (
            f"inventory item {item} is not stocked at location {location}: stock it there on Shopify, "
            "or unlink the listing"
        ),
        "INVALID_INVENTORY_ITEM": (
            f"inventory item {item} does not exist on Shopify any more: link the listing to the variant "
            "that replaced it, or unlink it"
        ),
        "INVALID_LOCATION": (
            f"location {location} does not exist on Shopify any more: link the listing again to pick up "
            "the variant's current location"
        ),
        "INVALID_QUANTITY_NEGATIVE": f"quantity {push.quantity} is negative: correct the master quantity",
        "INVALID_QUANTITY_TOO_HIGH": (
            f"quantity {push.quantity} is above Shopify's limit of 1,000,000,000: correct the master quantity"
        ),
        "NON_MUTABLE_INVENTORY_ITEM": (
            f"inventory item {item} can't be set through the API (a bundle?): manage its stock on Shopify, "
            "or unlink the listing"
        ),
        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR": (
            f"inventory item {item} at location {location} is linked to more than one listing: "
            "unlink the duplicate"
        ),
    }
    fix = fixes.get(
        error.code, f"Shopify refused the quantity ({error.code}: {error.message}); check the variant"
    )
    return PushResult(sku=push.sku, outcome=PushOutcome.FAILED, message=f"{push.sku}: {fix}")


def _error_code(body: dict[str, Any]) -> str | None:
    """The code of the first top-level GraphQL error, e.g. THROTTLED or MAX_COST_EXCEEDED."""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = (errors[0].get("extensions") or {}).get("code")
        return str(code) if code is not None else None
    return None


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def _graphql_error_message(errors: Any) -> str:
    if isinstance(errors, list):
        text = "; ".join(
            f"{error.get('message', error)} ({(error.get('extensions') or {}).get('code', 'no code')})"
            if isinstance(error, dict)
            else str(error)
            for error in errors
        )
    else:
        text = str(errors)
    return f"Shopify rejected Tidemark's query: {text[:500]}; this is a Tidemark bug: report it"


def _auth_message(store_url: str, response: httpx.Response) -> str:
    if response.status_code == 401:
        return (
            f"Shopify refused the access token for {store_url}: HTTP 401 (invalid or revoked token), "
            "fix: reinstall the Tidemark app on the store or paste a new Admin API access token; "
            f"{SCOPES_FIX}"
        )
    return (
        f"Shopify denied access to {store_url}: HTTP 403 (the token lacks a permission), "
        f"fix: grant the missing scopes to the Tidemark app and reinstall it; {SCOPES_FIX}"
    )
