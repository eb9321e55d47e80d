"""The in-memory Shopify store, called directly (no HTTP)."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.domain.webhooks import signature_is_valid
from tests.fakes import FakeClock, InProcess
from tidemark.sandbox import webhooks
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import GRAPHQL_PATH, SandboxVariant, ShopifyStore, create_app

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def one_delivery_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read what each change sends in the order it was sent: one sender worker keeps
    it (tests/unit/test_sandbox_webhooks.py has the concurrent senders)."""
    monkeypatch.setattr(webhooks, "SENDER_WORKERS", 1)


CATALOG_QUERY = """
query ($first: Int!, $cursor: String) {
  productVariants(first: $first, after: $cursor) {
    nodes {
      id sku barcode price inventoryQuantity
      inventoryItem {
        id
        inventoryLevels(first: 1) {
          nodes { location { id } quantities(names: ["available"]) { name quantity } }
        }
      }
      product { id status }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

SET_QUANTITIES = """
mutation ($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id reason referenceDocumentUri changes { name delta quantityAfterChange } }
    userErrors { code field message }
  }
}
"""


def in_process(store: ShopifyStore) -> httpx.Client:
    return httpx.Client(transport=InProcess(create_app(store, "shpat_x")), base_url="http://testserver")


class AnyMessage(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and bool(other)

    __hash__ = str.__hash__


ANY_MESSAGE = AnyMessage()


def set_input(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "tidemark://push/test",
        "quantities": list(entries),
    }


def entry(store: ShopifyStore, sku: str, quantity: int, change_from: Any = "current") -> dict[str, Any]:
    variant = next(v for v in store.variants() if v.sku == sku)
    return {
        "inventoryItemId": variant.inventory_item_id,
        "locationId": variant.location_id,
        "quantity": quantity,
        "changeFromQuantity": variant.quantity if change_from == "current" else change_from,
    }


def set_quantities(store: ShopifyStore, key: str, *entries: dict[str, Any]) -> dict[str, Any]:
    answer = store.graphql(SET_QUANTITIES, {"input": set_input(*entries), "key": key})
    assert "errors" not in answer, answer
    payload: dict[str, Any] = answer["data"]["inventorySetQuantities"]
    return payload


def test_generate_is_repeatable_and_numbers_skus_in_order() -> None:
    store = ShopifyStore.generate(40, seed=3, duplicate_skus=4, blank_barcodes=5, location_count=2)
    again = ShopifyStore.generate(40, seed=3, duplicate_skus=4, blank_barcodes=5, location_count=2)
    variants = store.variants()

    assert variants == again.variants()
    assert [v.sku for v in variants[:40]] == [f"SKU-{i:05d}" for i in range(1, 41)]
    assert len(variants) == 44 and all(v.sku in {f"SKU-{i:05d}" for i in range(1, 41)} for v in variants[40:])
    assert sum(v.barcode is None for v in variants) == 5
    assert all(0 <= v.quantity <= 50 for v in variants)
    assert {v.location_id for v in variants} == {
        "gid://shopify/Location/60000001",
        "gid://shopify/Location/60000002",
    }
    assert variants[0].variant_id.startswith("gid://shopify/ProductVariant/")
    assert variants[0].inventory_item_id.startswith("gid://shopify/InventoryItem/")
    assert variants[0].product_id.startswith("gid://shopify/Product/")
    assert ShopifyStore.generate(40, seed=4).variants() != ShopifyStore.generate(40, seed=3).variants()


def test_products_hold_one_to_three_variants_mostly_active() -> None:
    variants = ShopifyStore.generate(600, seed=1).variants()
    per_product: dict[str, int] = {}
    for variant in variants:
        per_product[variant.product_id] = per_product.get(variant.product_id, 0) + 1
    statuses = [v.status for v in variants]

    assert set(per_product.values()) <= {1, 2, 3}
    assert statuses.count("ACTIVE") > 0.85 * len(statuses)
    assert "DRAFT" in statuses


def test_catalog_pages_with_opaque_cursors_cover_every_variant_once() -> None:
    store = ShopifyStore.generate(30, seed=2)
    seen: list[str] = []
    cursor = None
    while True:
        answer = store.graphql(CATALOG_QUERY, {"first": 7, "cursor": cursor})
        connection = answer["data"]["productVariants"]
        seen += [node["sku"] for node in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        cursor = connection["pageInfo"]["endCursor"]
        assert json.loads(base64.b64decode(cursor))  # opaque to clients, but base64 like Shopify's

    assert seen == [f"SKU-{i:05d}" for i in range(1, 31)]
    first = store.graphql(CATALOG_QUERY, {"first": 1})["data"]["productVariants"]["nodes"][0]
    assert first["inventoryItem"]["inventoryLevels"]["nodes"][0]["quantities"] == [
        {"name": "available", "quantity": store.quantity("SKU-00001")}
    ]


def test_last_and_before_page_backwards() -> None:
    store = ShopifyStore.generate(10)
    query = "query ($b: String) { productVariants(last: 3, before: $b) { edges { cursor node { sku } } } }"
    last = store.graphql(query)["data"]["productVariants"]["edges"]
    before = store.graphql(query, {"b": last[0]["cursor"]})["data"]["productVariants"]["edges"]

    assert [edge["node"]["sku"] for edge in last] == ["SKU-00008", "SKU-00009", "SKU-00010"]
    assert [edge["node"]["sku"] for edge in before] == ["SKU-00005", "SKU-00006", "SKU-00007"]


def test_search_query_filters_by_sku() -> None:
    store = ShopifyStore.generate(20, duplicate_skus=0)
    answer = store.graphql('{ productVariants(first: 5, query: "sku:SKU-00012") { nodes { sku } } }')

    assert answer["data"]["productVariants"]["nodes"] == [{"sku": "SKU-00012"}]


def test_every_answer_carries_the_calculated_cost() -> None:
    store = ShopifyStore.generate(10)

    shop = store.graphql("{ shop { name } }")
    page = store.graphql(CATALOG_QUERY, {"first": 124})
    mutation = store.graphql(SET_QUANTITIES, {"input": set_input(entry(store, "SKU-00001", 5)), "key": "k"})
    invalid = store.graphql("{ shop { nope } }")

    assert shop["extensions"]["cost"]["requestedQueryCost"] == 1
    # 2 + 124 x (variant 1 + item 1 + levels 2 + level 1 + location 1 + quantities 1 + product 1)
    assert page["extensions"]["cost"]["requestedQueryCost"] == 994
    assert page["extensions"]["cost"]["actualQueryCost"] == 2 + 10 * 8  # only 10 variants came back
    assert mutation["extensions"]["cost"]["requestedQueryCost"] == 10
    assert "data" not in invalid and invalid["errors"][0]["message"]
    assert set(invalid["extensions"]["cost"]["throttleStatus"]) == {
        "maximumAvailable",
        "currentlyAvailable",
        "restoreRate",
    }


def test_a_query_above_1000_points_is_refused() -> None:
    store = ShopifyStore.generate(10)

    answer = store.graphql(CATALOG_QUERY, {"first": 250})

    assert "data" not in answer
    assert answer["errors"][0]["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 2002, "maxCost": 1000}
    assert answer["extensions"]["cost"]["actualQueryCost"] is None


def test_set_quantities_writes_and_reports_the_changes() -> None:
    store = ShopifyStore.generate(5)
    before = store.quantity("SKU-00002")

    payload = set_quantities(store, "k1", entry(store, "SKU-00002", before + 7))

    assert payload["userErrors"] == []
    assert store.quantity("SKU-00002") == before + 7
    group = payload["inventoryAdjustmentGroup"]
    assert group["reason"] == "correction" and group["referenceDocumentUri"] == "tidemark://push/test"
    assert {"name": "available", "delta": 7, "quantityAfterChange": before + 7} in group["changes"]


def test_an_explicit_null_change_from_quantity_skips_the_check() -> None:
    store = ShopifyStore.generate(5)
    store.set_quantity_by_hand("SKU-00001", 33)

    payload = set_quantities(store, "k1", entry(store, "SKU-00001", 4, change_from=None))

    assert payload["userErrors"] == [] and store.quantity("SKU-00001") == 4


def test_change_from_quantity_must_be_sent() -> None:
    store = ShopifyStore.generate(5)
    quantities = entry(store, "SKU-00001", 4)
    del quantities["changeFromQuantity"]

    answer = store.graphql(SET_QUANTITIES, {"input": set_input(quantities), "key": "k1"})

    assert answer["data"]["inventorySetQuantities"] is None
    assert "changeFromQuantity is required" in answer["errors"][0]["message"]
    assert store.adjustment_count == 0


def test_the_idempotent_directive_is_required() -> None:
    store = ShopifyStore.generate(5)
    mutation = SET_QUANTITIES.replace("@idempotent(key: $key)", "").replace(", $key: String!", "")

    answer = store.graphql(mutation, {"input": set_input(entry(store, "SKU-00001", 4))})

    assert answer["data"]["inventorySetQuantities"] is None
    assert "@idempotent" in answer["errors"][0]["message"]
    assert store.adjustment_count == 0


def test_the_same_key_replays_the_first_result_and_other_input_is_refused() -> None:
    store = ShopifyStore.generate(5)
    quantities = entry(store, "SKU-00001", 12)

    first = set_quantities(store, "key-1", quantities)
    store.set_quantity_by_hand("SKU-00001", 3)
    replay = set_quantities(store, "key-1", quantities)
    other = set_quantities(store, "key-1", {**quantities, "quantity": 13})

    assert replay == first
    assert store.quantity("SKU-00001") == 3  # the replay applied nothing
    assert store.adjustment_count == 1
    assert other["inventoryAdjustmentGroup"] is None
    assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"


def test_a_stale_change_from_quantity_writes_nothing_for_the_whole_call() -> None:
    store = ShopifyStore.generate(5)
    fresh = entry(store, "SKU-00001", 20)
    stale = entry(store, "SKU-00002", 21, change_from=store.quantity("SKU-00002") + 1)
    before = (store.quantity("SKU-00001"), store.quantity("SKU-00002"))

    payload = set_quantities(store, "k1", fresh, stale)

    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [
        {
            "code": "CHANGE_FROM_QUANTITY_STALE",
            "field": ["input", "quantities", "1", "changeFromQuantity"],
            "message": "The changeFromQuantity value does not match persisted value.",
        }
    ]
    assert (store.quantity("SKU-00001"), store.quantity("SKU-00002")) == before


def test_each_refused_entry_gets_its_user_error_and_nothing_is_written() -> None:
    store = ShopifyStore.generate(6, location_count=2)
    variants = store.variants()
    other_location = next(v.location_id for v in variants if v.location_id != variants[0].location_id)
    good = entry(store, "SKU-00001", 9)
    entries = [
        {**good, "inventoryItemId": "gid://shopify/InventoryItem/1"},
        {**good, "locationId": "gid://shopify/Location/1"},
        {**good, "quantity": -1},
        {**good, "quantity": 1_000_000_001},
        {**good, "locationId": other_location},
        good,
    ]
    before = store.quantity("SKU-00001")

    payload = set_quantities(store, "k1", *entries)

    assert [(e["code"], e["field"][-2:]) for e in payload["userErrors"]] == [
        ("INVALID_INVENTORY_ITEM", ["0", "inventoryItemId"]),
        ("INVALID_LOCATION", ["1", "locationId"]),
        ("INVALID_QUANTITY_NEGATIVE", ["2", "quantity"]),
        ("INVALID_QUANTITY_TOO_HIGH", ["3", "quantity"]),
        ("ITEM_NOT_STOCKED_AT_LOCATION", ["4", "locationId"]),
    ]
    assert store.quantity("SKU-00001") == before


def test_more_than_250_quantities_is_refused_like_shopify() -> None:
    store = ShopifyStore.generate(5)
    quantities = [entry(store, "SKU-00001", 1)] * 251

    answer = store.graphql(SET_QUANTITIES, {"input": set_input(*quantities), "key": "k1"})

    assert "data" not in answer
    assert answer["errors"][0]["extensions"] == {"code": "MAX_INPUT_SIZE_EXCEEDED"}
    assert answer["errors"][0]["path"] == ["inventorySetQuantities", "input", "quantities"]
    assert "251" in answer["errors"][0]["message"]


def test_the_leaky_bucket_throttles_and_refills_with_time() -> None:
    clock = FakeClock()
    store = ShopifyStore.generate(5, restore_rate=1, clock=clock)  # a bucket of 20 points

    first = store.graphql(SET_QUANTITIES, {"input": set_input(entry(store, "SKU-00001", 1)), "key": "a"})
    second = store.graphql(SET_QUANTITIES, {"input": set_input(entry(store, "SKU-00001", 2)), "key": "b"})
    throttled = store.graphql(SET_QUANTITIES, {"input": set_input(entry(store, "SKU-00001", 3)), "key": "c"})
    clock.advance(10)
    after_waiting = store.graphql(
        SET_QUANTITIES, {"input": set_input(entry(store, "SKU-00001", 3)), "key": "c"}
    )

    assert first["extensions"]["cost"]["throttleStatus"] == {
        "maximumAvailable": 20.0,
        "currentlyAvailable": 10,
        "restoreRate": 1.0,
    }
    assert "errors" not in second
    assert throttled == {
        "errors": [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ],
        "extensions": {
            "cost": {
                "requestedQueryCost": 10,
                "actualQueryCost": None,
                "throttleStatus": {"maximumAvailable": 20.0, "currentlyAvailable": 0, "restoreRate": 1.0},
            }
        },
    }
    assert after_waiting["data"]["inventorySetQuantities"]["userErrors"] == []
    assert store.quantity("SKU-00001") == 3


def test_plans_set_the_restore_rate_and_a_bucket_of_twenty_seconds() -> None:
    answer = ShopifyStore.generate(1, plan="plus").graphql("{ shop { name } }")

    assert answer["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 1000.0
    assert answer["extensions"]["cost"]["throttleStatus"]["maximumAvailable"] == 20000.0
    with pytest.raises(ValueError, match="unknown Shopify plan"):
        ShopifyStore(plan="gold")


# -- prices, statuses, counts ------------------------------------------------------------------

SET_PRICES = """
mutation ($productId: ID!, $variants: [ProductVariantsBulkInput!]!, $partial: Boolean) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: $partial) {
    product { id }
    productVariants { id price }
    userErrors { code field message }
  }
}
"""

SET_STATUS = """
mutation ($product: ProductUpdateInput!) {
  productUpdate(product: $product) { product { id status } userErrors { field message } }
}
"""


def siblings(store: ShopifyStore) -> list[SandboxVariant]:
    """The variants of the first product that has two or more."""
    by_product: dict[str, list[SandboxVariant]] = {}
    for variant in store.variants():
        by_product.setdefault(variant.product_id, []).append(variant)
    return next(group for group in by_product.values() if len(group) >= 2)


def test_prices_are_set_for_one_product_and_refused_entries_get_user_errors() -> None:
    store = ShopifyStore.generate(20, seed=4)
    first, second = siblings(store)[:2]
    elsewhere = next(v for v in store.variants() if v.product_id != first.product_id)
    variants = [
        {"id": first.variant_id, "price": "12.50"},
        {"id": "gid://shopify/ProductVariant/1", "price": "1.00"},
        {"id": elsewhere.variant_id, "price": "2.00"},
        {"id": second.variant_id, "price": "-1.00"},
    ]

    answer = store.graphql(SET_PRICES, {"productId": first.product_id, "variants": variants, "partial": True})

    payload = answer["data"]["productVariantsBulkUpdate"]
    assert payload["productVariants"] == [{"id": first.variant_id, "price": "12.50"}]
    assert payload["userErrors"] == [
        {
            "code": "PRODUCT_VARIANT_DOES_NOT_EXIST",
            "field": ["variants", "1", "id"],
            "message": "Product variant does not exist",
        },
        {"code": "MUST_BE_FOR_THIS_PRODUCT", "field": ["variants", "2", "id"], "message": ANY_MESSAGE},
        {"code": "NEGATIVE_PRICE_VALUE", "field": ["variants", "3", "price"], "message": ANY_MESSAGE},
    ]
    prices = {v.variant_id: v.price for v in store.variants()}
    assert prices[first.variant_id] == Decimal("12.50")
    assert (prices[second.variant_id], prices[elsewhere.variant_id]) == (second.price, elsewhere.price)
    assert answer["extensions"]["cost"]["requestedQueryCost"] == 10


def test_without_partial_updates_one_refused_price_writes_none() -> None:
    store = ShopifyStore.generate(20, seed=4)
    first, second = siblings(store)[:2]
    variants = [{"id": first.variant_id, "price": "12.50"}, {"id": second.variant_id, "price": "-1"}]

    payload = store.graphql(SET_PRICES, {"productId": first.product_id, "variants": variants})["data"][
        "productVariantsBulkUpdate"
    ]
    unknown = store.graphql(SET_PRICES, {"productId": "gid://shopify/Product/1", "variants": variants})

    assert payload["productVariants"] is None and len(payload["userErrors"]) == 1
    assert next(v for v in store.variants() if v.variant_id == first.variant_id).price == first.price
    assert unknown["data"]["productVariantsBulkUpdate"]["userErrors"] == [
        {"code": "PRODUCT_DOES_NOT_EXIST", "field": ["productId"], "message": "Product does not exist"}
    ]


def test_product_update_sets_the_status_and_refuses_an_unknown_product() -> None:
    store = ShopifyStore.generate(5, seed=4)
    variant = store.variants()[0]

    hidden = store.graphql(SET_STATUS, {"product": {"id": variant.product_id, "status": "DRAFT"}})
    unknown = store.graphql(SET_STATUS, {"product": {"id": "gid://shopify/Product/1", "status": "ACTIVE"}})

    assert hidden["data"]["productUpdate"] == {
        "product": {"id": variant.product_id, "status": "DRAFT"},
        "userErrors": [],
    }
    assert store.variants()[0].status == "DRAFT"
    assert unknown["data"]["productUpdate"] == {
        "product": None,
        "userErrors": [{"field": ["id"], "message": "Product does not exist"}],
    }


def test_the_variant_count_is_capped_at_its_limit() -> None:
    store = ShopifyStore.generate(30)
    query = "query ($limit: Int) { productVariantsCount(limit: $limit) { count precision } }"

    assert store.graphql(query, {"limit": None})["data"]["productVariantsCount"] == {
        "count": 30,
        "precision": "EXACT",
    }
    assert store.graphql(query, {"limit": 10})["data"]["productVariantsCount"] == {
        "count": 10,
        "precision": "AT_LEAST",
    }


# -- bulk operations -----------------------------------------------------------------------------

BULK_QUERY = """
{
  productVariants {
    edges {
      node {
        id sku
        inventoryItem {
          id
          inventoryLevels { edges { node { location { id } quantities(names: ["available"]) { quantity } } } }
        }
        product { id }
      }
    }
  }
}
"""

RUN_BULK = """
mutation ($query: String!) {
  bulkOperationRunQuery(query: $query) {
    bulkOperation { id status url }
    userErrors { code field message }
  }
}
"""

POLL_BULK = """
query ($id: ID!) {
  node(id: $id) {
    ... on BulkOperation { id status errorCode objectCount rootObjectCount fileSize url completedAt }
  }
}
"""


def run_bulk(store: ShopifyStore, query: str = BULK_QUERY) -> dict[str, Any]:
    payload: dict[str, Any] = store.graphql(RUN_BULK, {"query": query})["data"]["bulkOperationRunQuery"]
    return payload


def poll(store: ShopifyStore, operation_id: str) -> dict[str, Any]:
    node: dict[str, Any] = store.graphql(POLL_BULK, {"id": operation_id}, base_url="http://shop.test")[
        "data"
    ]["node"]
    return node


def bulk_output(store: ShopifyStore, url: str) -> bytes:
    number = int(url.split("/bulk-")[-1].split(".")[0])
    output = store.bulk_output(number, url.split("Signature=")[1])
    assert output is not None
    return output


def test_a_bulk_query_writes_each_connection_node_on_its_own_line_after_its_parent() -> None:
    store = ShopifyStore.generate(4, seed=2)
    variants = store.variants()

    started = run_bulk(store)
    done = poll(store, started["bulkOperation"]["id"])

    assert started["userErrors"] == [] and started["bulkOperation"]["status"] == "CREATED"
    assert done["status"] == "COMPLETED" and done["errorCode"] is None and done["completedAt"]
    assert (done["objectCount"], done["rootObjectCount"]) == ("8", "4")  # JSON strings: UnsignedInt64
    assert done["url"].startswith("http://shop.test/bulk-operation-outputs/bulk-")
    output = bulk_output(store, done["url"])
    assert done["fileSize"] == str(len(output)) and output.endswith(b"\n")
    lines = [json.loads(line) for line in output.splitlines()]
    assert lines[0] == {
        "id": variants[0].variant_id,
        "sku": "SKU-00001",
        "inventoryItem": {"id": variants[0].inventory_item_id},  # its connection is not inline
        "product": {"id": variants[0].product_id},
    }
    assert lines[1] == {
        "location": {"id": variants[0].location_id},
        "quantities": [{"quantity": variants[0].quantity}],
        "__parentId": variants[0].variant_id,
    }
    assert [line.get("__parentId") for line in lines[2::2]] == [None] * 3
    assert [line["__parentId"] for line in lines[3::2]] == [v.variant_id for v in variants[1:]]


def test_a_bulk_operation_runs_until_its_time_and_reads_the_catalog_then() -> None:
    clock = FakeClock()
    store = ShopifyStore.generate(3, clock=clock, bulk_seconds=30)

    operation_id = run_bulk(store)["bulkOperation"]["id"]
    running = poll(store, operation_id)
    store.set_quantity_by_hand("SKU-00001", 44)
    clock.advance(30)
    done = poll(store, operation_id)
    current = store.graphql("{ currentBulkOperation { id status } }")["data"]["currentBulkOperation"]

    assert (running["status"], running["url"], running["objectCount"]) == ("RUNNING", None, "0")
    assert done["status"] == "COMPLETED" and current == {"id": operation_id, "status": "COMPLETED"}
    assert json.loads(bulk_output(store, done["url"]).splitlines()[1])["quantities"] == [{"quantity": 44}]


def test_five_bulk_operations_run_at_once_and_a_sixth_is_refused() -> None:
    clock = FakeClock()
    store = ShopifyStore.generate(3, clock=clock, bulk_seconds=60)

    started = [run_bulk(store) for _ in range(6)]
    clock.advance(60)
    after = run_bulk(store)

    assert all(s["userErrors"] == [] for s in started[:5])
    assert started[5] == {
        "bulkOperation": None,
        "userErrors": [
            {
                "code": "LIMIT_REACHED",
                "field": None,
                "message": "Bulk operations limit reached. Please try again later.",
            }
        ],
    }
    assert after["userErrors"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ shop { name } }", "Bulk queries must contain at least one connection."),
        ('{ node(id: "gid://shopify/Product/1") { id } }', "cannot contain a top level `node` or `nodes`"),
        ("{ productVariants { nodes { nope } } }", "Invalid bulk query: Cannot query field 'nope'"),
        ("{ productVariants { ", "Invalid bulk query: Syntax Error"),
        (
            "{ productVariants { nodes { sku inventoryItem { inventoryLevels { nodes { id } } } } } }",
            "must select the 'id' field",
        ),
        (
            "{ " + " ".join(f"v{i}: productVariants {{ nodes {{ id }} }}" for i in range(6)) + " }",
            "Bulk queries cannot contain more than 5 connections.",
        ),
    ],
)
def test_a_bulk_query_shopify_would_refuse_gets_its_user_error(query: str, message: str) -> None:
    store = ShopifyStore.generate(3)

    answer = run_bulk(store, query)

    assert answer["bulkOperation"] is None
    (error,) = answer["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["query"]) and message in error["message"]


def test_the_bulk_output_is_served_at_its_signed_url_in_byte_ranges() -> None:
    store = ShopifyStore.generate(5, seed=2)
    with in_process(store) as http:
        started = http.post(
            f"http://testserver{GRAPHQL_PATH}",
            json={"query": RUN_BULK, "variables": {"query": BULK_QUERY}},
            headers={"X-Shopify-Access-Token": "shpat_x"},
        ).json()["data"]["bulkOperationRunQuery"]
        url = poll_over(http, started["bulkOperation"]["id"])
        whole = http.get(url)
        part = http.get(url, headers={"Range": "bytes=10-19"})
        tail = http.get(url, headers={"Range": "bytes=-5"})
        beyond = http.get(url, headers={"Range": f"bytes={len(whole.content)}-"})
        forged = http.get(url.split("Signature=")[0] + "Signature=forged")

    assert url.startswith("http://testserver/bulk-operation-outputs/bulk-")
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert len(whole.content.splitlines()) == 10
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole.content)}"
    assert tail.status_code == 206 and tail.content == whole.content[-5:]
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(whole.content)}"
    assert forged.status_code == 403 and b"SignatureDoesNotMatch" in forged.content


def poll_over(http: httpx.Client, operation_id: str) -> str:
    answer = http.post(
        f"http://testserver{GRAPHQL_PATH}",
        json={"query": POLL_BULK, "variables": {"id": operation_id}},
        headers={"X-Shopify-Access-Token": "shpat_x"},
    ).json()
    return str(answer["data"]["node"]["url"])


# -- the sandbox admin API -----------------------------------------------------------------------


def test_the_admin_api_edits_deletes_and_takes_orders_as_a_merchant_and_shoppers_would() -> None:
    store = ShopifyStore.generate(6, seed=4)
    first = store.variants()[0]
    base = "http://testserver/admin/sandbox"
    with in_process(store) as http:
        rows = http.get(f"{base}/variants").json()
        edited = http.post(
            f"{base}/variants/SKU-00001",
            json={"quantity": 9, "price": "4.5", "sku": "NEW-1", "status": "hidden"},
        )
        order = http.post(f"{base}/orders", json={"lines": [{"sku": "NEW-1", "quantity": 4}]})
        unknown_sku = http.post(f"{base}/orders", json={"lines": [{"sku": "NOPE", "quantity": 1}]})
        after_order = store.quantity("NEW-1")
        cancelled = http.post(f"{base}/orders/{order.json()['id']}/cancel")
        again = http.post(f"{base}/orders/{order.json()['id']}/cancel")
        no_order = http.post(f"{base}/orders/123/cancel")
        deleted = http.delete(f"{base}/variants/SKU-00002")
        missing = http.post(f"{base}/variants/SKU-00002", json={"quantity": 1})
        orders = http.get(f"{base}/orders").json()

    assert rows[0] == {
        "sku": "SKU-00001",
        "barcode": first.barcode,
        "price": f"{first.price:.2f}",
        "quantity": first.quantity,
        "status": "active" if first.status == "ACTIVE" else "hidden",
        "variant_id": first.variant_id,
        "product_id": first.product_id,
        "inventory_item_id": first.inventory_item_id,
        "location_id": first.location_id,
    }
    assert edited.status_code == 200
    assert {k: edited.json()[k] for k in ("sku", "quantity", "price", "status")} == {
        "sku": "NEW-1",
        "quantity": 9,
        "price": "4.50",
        "status": "hidden",
    }
    assert order.status_code == 200 and order.json()["line_items"][0]["sku"] == "NEW-1"
    assert after_order == 5  # taken off what is available, as Shopify does
    assert unknown_sku.status_code == 400 and "'NOPE'" in unknown_sku.json()["error"]
    assert cancelled.json()["cancelled_at"] is not None and store.quantity("NEW-1") == 9  # restocked
    assert again.status_code == 400 and "already cancelled" in again.json()["error"]
    assert no_order.status_code == 404
    assert deleted.status_code == 200 and missing.status_code == 404
    assert "SKU-00002" not in {v.sku for v in store.variants()}
    assert [o["financial_status"] for o in orders] == ["refunded"]


# -- webhooks ------------------------------------------------------------------------------------

WEBHOOK_SECRET = "shpss_app_secret"


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def topic(self) -> str:
        return self.headers["x-shopify-topic"]

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery]

    def of(self, topic: str) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.topic == topic]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    deliveries: list[Delivery] = []

    async def hook(request: Request) -> Response:
        deliveries.append(Delivery(dict(request.headers), await request.body()))
        return Response(status_code=200)

    with serve_in_thread(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as server:
        yield Receiver(f"{server.url}/hooks", deliveries)


HookedStore = Callable[..., ShopifyStore]


@pytest.fixture
def hooked_store(receiver: Receiver) -> Iterator[HookedStore]:
    """Stores that send their webhooks to the receiver, until the test ends."""
    stores: list[ShopifyStore] = []

    def build(faults: Faults | None = None, variants: int = 6) -> ShopifyStore:
        store = ShopifyStore.generate(
            variants, seed=4, faults=faults, webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET
        )
        stores.append(store)
        return store

    yield build
    for store in stores:
        store.close()


def test_webhooks_carry_shopify_headers_and_a_valid_signature(
    receiver: Receiver, hooked_store: HookedStore
) -> None:
    store = hooked_store()

    store.set_quantity_by_hand("SKU-00001", 12)
    assert store.webhooks is not None
    store.webhooks.flush()

    assert [d.topic for d in receiver.deliveries] == ["inventory_levels/update", "products/update"]
    for delivery in receiver.deliveries:
        assert signature_is_valid(WEBHOOK_SECRET, delivery.body, delivery.headers["x-shopify-hmac-sha256"])
        assert not signature_is_valid(
            "another secret", delivery.body, delivery.headers["x-shopify-hmac-sha256"]
        )
        assert delivery.headers["x-shopify-shop-domain"] == "tidemark-sandbox.myshopify.com"
        assert delivery.headers["x-shopify-api-version"] == "2026-10"
        assert delivery.headers["x-shopify-triggered-at"].startswith("20")
        assert delivery.headers["content-type"] == "application/json"
    event_ids = {d.headers["x-shopify-event-id"] for d in receiver.deliveries}
    webhook_ids = {d.headers["x-shopify-webhook-id"] for d in receiver.deliveries}
    assert len(event_ids) == len(webhook_ids) == 2


def test_each_change_sends_the_webhooks_shopify_sends_for_it(
    receiver: Receiver, hooked_store: HookedStore
) -> None:
    store = hooked_store()
    first, second = siblings(store)[:2]
    per_product = Counter(v.product_id for v in store.variants())
    lone = next(v for v in store.variants() if per_product[v.product_id] == 1)
    item = int(first.inventory_item_id.rsplit("/", 1)[1])

    order = store.place_order([(first.sku, 2)])
    store.cancel_order(order["id"])
    store.graphql(
        SET_QUANTITIES, {"input": set_input(entry(store, second.sku, 40, change_from=None)), "key": "k1"}
    )
    store.graphql(
        SET_PRICES, {"productId": first.product_id, "variants": [{"id": first.variant_id, "price": "7"}]}
    )
    store.graphql(SET_STATUS, {"product": {"id": first.product_id, "status": "DRAFT"}})
    store.delete_by_hand(second.sku)
    store.delete_by_hand(lone.sku)
    assert store.webhooks is not None
    store.webhooks.flush()

    assert [d.topic for d in receiver.deliveries][:10] == [
        "orders/create",
        "inventory_levels/update",
        "products/update",
        "orders/cancelled",
        "inventory_levels/update",
        "products/update",
        "inventory_levels/update",  # for API writes too
        "products/update",
        "products/update",  # the price
        "products/update",  # the status
    ]
    created, cancelled = receiver.of("orders/create")[0].payload, receiver.of("orders/cancelled")[0].payload
    assert (
        created["id"] == order["id"]
        and created["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    )
    assert created["line_items"][0] | {"sku": first.sku, "quantity": 2} == created["line_items"][0]
    assert created["line_items"][0]["variant_id"] == int(first.variant_id.rsplit("/", 1)[1])
    assert created["cancelled_at"] is None and cancelled["cancelled_at"] is not None
    levels = [d.payload for d in receiver.of("inventory_levels/update")]
    assert [level["available"] for level in levels] == [first.quantity - 2, first.quantity, 40]
    assert (
        levels[0]
        | {
            "inventory_item_id": item,
            "location_id": int(first.location_id.rsplit("/", 1)[1]),
            "admin_graphql_api_id": f"gid://shopify/InventoryLevel/{first.location_id.rsplit('/', 1)[1]}"
            f"?inventory_item_id={item}",
        }
        == levels[0]
        and "updated_at" in levels[0]
    )
    status_update = receiver.of("products/update")[4].payload
    assert (
        status_update["id"] == int(first.product_id.rsplit("/", 1)[1]) and status_update["status"] == "draft"
    )
    variant = next(v for v in status_update["variants"] if v["sku"] == first.sku)
    assert (
        variant | {"price": "7.00", "inventory_item_id": item, "inventory_quantity": first.quantity}
        == variant
    )
    assert variant["admin_graphql_api_id"] == first.variant_id
    after_delete = receiver.of("products/update")[5].payload
    assert second.sku not in {v["sku"] for v in after_delete["variants"]}
    assert [d.payload for d in receiver.of("products/delete")] == [
        {"id": int(lone.product_id.rsplit("/", 1)[1])}
    ]


def test_a_duplicated_webhook_shares_its_event_id_but_not_its_webhook_id(
    receiver: Receiver, hooked_store: HookedStore
) -> None:
    store = hooked_store(Faults(FaultRates(webhook_duplicate=1.0)))

    store.place_order([("SKU-00003", 1)])
    assert store.webhooks is not None
    store.webhooks.flush()

    orders = receiver.of("orders/create")
    assert len(orders) == 2 and orders[0].body == orders[1].body
    assert orders[0].headers["x-shopify-event-id"] == orders[1].headers["x-shopify-event-id"]
    assert orders[0].headers["x-shopify-webhook-id"] != orders[1].headers["x-shopify-webhook-id"]
    assert len({d.headers["x-shopify-event-id"] for d in receiver.deliveries}) == 3  # 3 webhooks, each twice
    assert store.faults.counts()["webhook_duplicate"] == 3


def test_webhooks_are_dropped_and_reordered_at_the_configured_share(
    receiver: Receiver, hooked_store: HookedStore
) -> None:
    def three_hundred_edits() -> dict[str, int]:
        store = hooked_store(Faults(FaultRates(webhook_drop=0.1, webhook_reorder=0.1), seed=11), variants=1)
        for quantity in range(300):
            store.set_quantity_by_hand("SKU-00001", quantity)  # an inventory level and a product update each
        assert store.webhooks is not None
        store.webhooks.flush()
        return store.faults.counts()

    injected = three_hundred_edits()

    seen = [d.payload["available"] for d in receiver.of("inventory_levels/update")]
    assert len(receiver.deliveries) == 600 - injected["webhook_drop"]
    assert 0.07 <= injected["webhook_drop"] / 600 <= 0.13
    assert 0.07 <= injected["webhook_reorder"] / (600 - injected["webhook_drop"]) <= 0.13
    assert len(set(seen)) == len(seen) and seen != sorted(seen)  # each at most once, some out of order
    assert three_hundred_edits() == injected  # the seed replays the same faults


def test_a_dropped_webhook_is_delivered_again_when_the_store_retries(
    receiver: Receiver, hooked_store: HookedStore
) -> None:
    store = hooked_store(Faults(FaultRates(webhook_drop=1.0, webhook_retry_seconds=0.2)))

    order = store.place_order([("SKU-00002", 1)])  # an order, a level and a product update: 3 webhooks
    assert store.webhooks is not None
    store.webhooks.flush()  # waits for the retries too

    orders = receiver.of("orders/create")
    assert [d.payload["id"] for d in orders] == [order["id"]]
    assert {sent.attempt for sent in store.webhooks.sent} == {2}  # each first attempt dropped
    assert len(receiver.deliveries) == 3 == store.faults.counts()["webhook_drop"]
