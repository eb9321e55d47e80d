"""The in-memory Shopify store, called directly (no HTTP)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tidemark.sandbox.shopify import ShopifyStore

pytestmark = pytest.mark.unit

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


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
