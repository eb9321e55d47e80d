"""The Shopify channel client: Admin GraphQL API 2026-10 over one pooled httpx client.

Quantities are set with `inventorySetQuantities` (absolute values, compare-and-set on
`changeFromQuantity`, an `@idempotent` key per call), prices with `productVariantsBulkUpdate` and
statuses with `productUpdate` (one call per product). The catalog is read in pages of
`productVariants`, or, past 25,000 variants (as far as Shopify pages), with a bulk operation whose
JSONL output is paged through with HTTP Range requests. Every call is paced from the cost bucket
Shopify reports in `extensions.cost.throttleStatus`, so a sync is almost never throttled.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from shared.channels.base import (
    CatalogPage,
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelVariant,
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)
from shared.channels.retry import Retrying, Throttled, send
from shared.channels.shopify.answers import (
    UserError,
    available_quantity,
    by_product,
    catalog_variant,
    channel_variant,
    error_code,
    graphql_error_message,
    stocked,
)
from shared.channels.shopify.bulk import BULK_CURSOR, BULK_THRESHOLD, BULK_TIMEOUT_SECONDS, BulkCatalog
from shared.channels.shopify.documents import (
    API_VERSION,
    AVAILABLE_AT_LOCATION_QUERY,
    AVAILABLE_COST_PER_ITEM,
    CATALOG_COST_PER_VARIANT,
    CATALOG_PAGE_SIZE,
    CATALOG_QUERY,
    CHECK_ACCESS_QUERY,
    LOCATIONS_PAGE_SIZE,
    LOCATIONS_QUERY,
    MUTATION_COST,
    PRODUCT_SKUS_CHUNK,
    PRODUCT_SKUS_COST,
    PRODUCT_SKUS_QUERY,
    READ_COST_PER_LEVEL,
    READ_COST_PER_VARIANT,
    READ_ORDER_COST,
    READ_ORDER_QUERY,
    READ_VARIANTS_CHUNK,
    SET_PRICES_MUTATION,
    SET_QUANTITIES_MUTATION,
    SET_STATUS_MUTATION,
    read_variants_query,
)
from shared.channels.shopify.pacing import CostBucket
from shared.channels.shopify.results import (
    auth_message,
    conflict,
    price_failed,
    pushed,
    pushed_value,
    sort_refusals,
    status_result,
)

MAX_PUSH_ROUNDS = 3  # the push, its retry after re-reading stale items, one more for bystanders


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
        self._bucket = CostBucket(clock, sleep)
        self._retrying = Retrying(
            sleep=sleep,
            store_url=self._store_url,
            unreachable="could not reach Shopify",
            answered="Shopify answered",
            lasting_fix="check Shopify's status page and the store URL",
            throttler="Shopify throttled",
            throttled_fix="another app or sync is using the store's API budget; try again later",
            min_throttle_wait=1.0,
        )
        self._bulk = BulkCatalog(
            self._call,
            self._http,
            self._retrying,
            clock=clock,
            threshold=bulk_threshold,
            timeout=bulk_timeout,
        )

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    # -- the ChannelClient protocol ----------------------------------------------------------

    def check_access(self) -> str:
        data = self._call(CHECK_ACCESS_QUERY, {}, cost=1)
        return str(data["shop"]["name"])

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        if cursor is None and self._bulk.needed():
            cursor = self._bulk.run()
            if cursor is None:
                return CatalogPage(variants=[])
        if cursor is not None and cursor.startswith(BULK_CURSOR):
            return self._bulk.read_page(cursor)
        data = self._call(
            CATALOG_QUERY,
            {"first": CATALOG_PAGE_SIZE, "cursor": cursor},
            cost=2 + CATALOG_PAGE_SIZE * CATALOG_COST_PER_VARIANT,
        )
        connection = data["productVariants"]
        page_info = connection["pageInfo"]
        return CatalogPage(
            variants=[catalog_variant(node) for node in connection["nodes"]],
            next_cursor=str(page_info["endCursor"]) if page_info["hasNextPage"] else None,
        )

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """One `nodes` query per chunk of variants read at the same locations (a ref's own, and its
        `locations`: their quantities come back in `quantities`); None for a variant Shopify no longer has."""
        found: dict[tuple[str, tuple[str, ...], str], ChannelVariant] = {}
        groups: dict[tuple[str, tuple[str, ...]], set[str]] = {}
        for ref in refs:
            groups.setdefault(_read_at(ref), set()).add(ref.variant_id)
        for (own, others), id_set in sorted(groups.items()):
            ids, size = sorted(id_set), _chunk_size(len(others) + 1)
            for start in range(0, len(ids), size):
                for variant in self._variants_at(own, others, ids[start : start + size]):
                    found[(own, others, variant.variant_id)] = variant
        return [found.get((*_read_at(ref), ref.variant_id)) for ref in refs]

    def _variants_at(self, own: str, others: tuple[str, ...], ids: list[str]) -> list[ChannelVariant]:
        """One `nodes` query: the variants with these ids that Shopify still has, each with its level
        at its own location (its quantity) and at the others."""
        where = (own, *others)
        data = self._call(
            read_variants_query(len(where)),
            {"ids": ids, **{f"l{index}": location_id for index, location_id in enumerate(where)}},
            cost=(READ_COST_PER_VARIANT + READ_COST_PER_LEVEL * len(where)) * len(ids),
        )
        variants = []
        for node in data["nodes"]:
            if node and "id" in node:  # an id of another type comes back as {}
                item = node["inventoryItem"] or {}
                levels = [item.get(f"l{index}") for index in range(len(where))]
                variant = channel_variant(node, levels[0], own if levels[0] else "")
                if others:
                    variant = variant.model_copy(update={"quantities": stocked(where, levels)})
                variants.append(variant)
        return variants

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        """One productVariantsBulkUpdate per product, with all its pushed variants. Prices are absolute,
        so a retried call writes the same values again: no idempotency key is needed. Partial updates
        are allowed, so that a variant Shopify refuses does not hold its siblings back."""
        if len(pushes) > self.price_batch_size:
            raise ValueError(f"push at most {self.price_batch_size} prices a call, not {len(pushes)}")
        results: dict[int, PushResult] = {}
        for product_id, indexes in by_product(pushes).items():
            variants = [{"id": pushes[i].variant_id, "price": format(pushes[i].price, "f")} for i in indexes]
            data = self._call(
                SET_PRICES_MUTATION, {"productId": product_id, "variants": variants}, cost=MUTATION_COST
            )
            errors = [UserError.parse(error) for error in data["productVariantsBulkUpdate"]["userErrors"]]
            for position, index in enumerate(indexes):
                error = next((e for e in errors if e.index_in("variants") in (position, None)), None)
                results[index] = (
                    pushed_value(pushes[index]) if error is None else price_failed(pushes[index], error)
                )
        return [results[index] for index in range(len(pushes))]

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """One productUpdate per product: Shopify keeps the status per product, which is ACTIVE while
        any variant of it pushed here is active, else DRAFT. Absolute too: no idempotency key needed."""
        if len(pushes) > self.status_batch_size:
            raise ValueError(f"push at most {self.status_batch_size} statuses a call, not {len(pushes)}")
        results: dict[int, PushResult] = {}
        for product_id, indexes in by_product(pushes).items():
            shown = [pushes[i] for i in indexes if pushes[i].status is VariantStatus.ACTIVE]
            status = "ACTIVE" if shown else "DRAFT"
            data = self._call(
                SET_STATUS_MUTATION, {"product": {"id": product_id, "status": status}}, cost=MUTATION_COST
            )
            errors = [UserError.parse(error) for error in data["productUpdate"]["userErrors"]]
            for index in indexes:
                results[index] = status_result(pushes[index], status, errors, shown)
        return [results[index] for index in range(len(pushes))]

    def read_order(self, order_id: str) -> ChannelOrder | None:
        """The order (its number, as webhooks give it, or its GID) and whether Shopify holds it
        cancelled; None for an order Shopify does not know (or an id no order can have)."""
        number = order_id.removeprefix("gid://shopify/Order/")
        if not number.isdigit():
            return None
        data = self._call(READ_ORDER_QUERY, {"id": f"gid://shopify/Order/{number}"}, cost=READ_ORDER_COST)
        order = data["order"]
        if not order:
            return None
        return ChannelOrder(order_id=number, cancelled=order.get("cancelledAt") is not None)

    def locations(self) -> dict[str, str]:
        """The store's locations, every page of them: id -> name."""
        found: dict[str, str] = {}
        cursor: str | None = None
        while True:
            data = self._call(
                LOCATIONS_QUERY,
                {"first": LOCATIONS_PAGE_SIZE, "cursor": cursor},
                cost=2 + LOCATIONS_PAGE_SIZE,
            )
            connection = data["locations"]
            found.update({str(node["id"]): str(node["name"]) for node in connection["nodes"]})
            if not connection["pageInfo"]["hasNextPage"]:
                return found
            cursor = str(connection["pageInfo"]["endCursor"])

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
            pending = self._push_round(pushes, pending, key, expected, reread, results)
        for index in pending:  # the rounds ran out while other entries kept changing
            results[index] = conflict(pushes[index], reread.get(index, expected[index]))
        return [results[index] for index in range(len(pushes))]

    # -- pushing ------------------------------------------------------------------------------

    def _push_round(
        self,
        pushes: Sequence[QuantityPush],
        pending: list[int],
        key: str,
        expected: dict[int, int | None],
        reread: dict[int, int | None],
        results: dict[int, PushResult],
    ) -> list[int]:
        """Send the pending entries once: settle what Shopify wrote or refused; return the entries
        to send again (bystanders of a refusal, and stale ones re-read)."""
        errors = self._set_quantities([pushes[i] for i in pending], [expected[i] for i in pending], key)
        batch_error = next((error for error in errors if error.quantity_index is None), None)
        if not errors or batch_error:
            results.update(self._settle(pushes, pending, batch_error))
            return []
        stale, again = sort_refusals(pushes, pending, errors, reread, results)
        return sorted(again + self._reread(pushes, stale, reread, expected, results))

    def _reread(
        self,
        pushes: Sequence[QuantityPush],
        stale: list[int],
        reread: dict[int, int | None],
        expected: dict[int, int | None],
        results: dict[int, PushResult],
    ) -> list[int]:
        """Read what Shopify holds for the stale entries: settle those it needs no push for, and
        return the others, to send again expecting what was read."""
        again = []
        for index, held in zip(stale, self._read_available([pushes[i] for i in stale]), strict=True):
            reread[index] = held
            if held == pushes[index].quantity:
                results[index] = pushed(pushes[index])  # Shopify already holds what we push
            elif held is None:
                results[index] = conflict(pushes[index], None)  # no longer stocked there
            else:
                expected[index] = held
                again.append(index)
        return again

    def _set_quantities(
        self, pushes: Sequence[QuantityPush], expected: Sequence[int | None], key: str
    ) -> list[UserError]:
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
        errors = [UserError.parse(error) for error in data["inventorySetQuantities"]["userErrors"]]
        if any(error.code == "IDEMPOTENCY_CONCURRENT_REQUEST" for error in errors):
            raise ChannelError(
                f"Shopify is still working on the push with idempotency key {key}: "
                "push again later with the same key",
                retryable=True,
            )
        return errors

    def _settle(
        self, pushes: Sequence[QuantityPush], pending: list[int], batch_error: UserError | None
    ) -> dict[int, PushResult]:
        """The results of a round that wrote everything, or that Shopify refused as a whole."""
        if batch_error is None:
            return {i: pushed(pushes[i]) for i in pending}
        if batch_error.code == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH":
            # An earlier push under this key (a redelivery of this one) sent other values.
            held = self._read_available([pushes[i] for i in pending])
            return {
                i: pushed(pushes[i]) if now == pushes[i].quantity else conflict(pushes[i], now)
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
                    held[(str(node["id"]), location_id)] = available_quantity(node.get("inventoryLevel"))
        return [held.get((push.inventory_item_id, push.location_id)) for push in pushes]

    # -- one call: pacing, throttling, retries ------------------------------------------------

    def _call(self, query: str, variables: dict[str, Any], *, cost: int) -> dict[str, Any]:
        """POST one GraphQL request and return its `data`; raise ChannelError when it fails."""
        return send(
            lambda: self._http.post(
                self._endpoint, json={"query": query, "variables": variables}, headers=self._headers
            ),
            self._data_of,
            self._retrying,
            self._bucket.for_cost(cost),
        )

    def _data_of(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise ChannelAuthError(auth_message(self._store_url, response))
        if response.status_code >= 400:
            raise ChannelError(
                f"Shopify refused the request to {self._endpoint} with HTTP {response.status_code}: "
                f"{response.text[:200]}; check the store URL and the API version {API_VERSION}",
                retryable=False,
            )
        body = self._json_of(response)
        self._bucket.remember(body)
        if error_code(body) == "THROTTLED":
            raise Throttled
        if body.get("errors"):
            raise ChannelError(graphql_error_message(body["errors"]), retryable=False)
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


def _read_at(ref: VariantRef) -> tuple[str, tuple[str, ...]]:
    """Where a ref is read: its own location, and the others asked for, each once."""
    others = (location for location in ref.locations if location and location != ref.location_id)
    return ref.location_id, tuple(dict.fromkeys(others))


def _chunk_size(locations: int) -> int:
    """Variants one read takes at this many locations: what one location's chunk costs, no more."""
    one = READ_COST_PER_VARIANT + READ_COST_PER_LEVEL
    return max(1, READ_VARIANTS_CHUNK * one // (READ_COST_PER_VARIANT + READ_COST_PER_LEVEL * locations))
