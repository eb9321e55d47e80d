"""The in-memory WooCommerce store, called directly and through its ASGI app in process."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from oauthlib.oauth1 import (  # type: ignore[import-untyped]
    SIGNATURE_HMAC_SHA1,
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_TYPE_QUERY,
    Client,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from typer.testing import CliRunner

from shared.domain.webhooks import signature_is_valid
from tests.fakes import FakeClock, InProcess
from tidemark.cli import app as cli
from tidemark.sandbox import webhooks
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.woocommerce import WooError, WooStore, create_app

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def one_delivery_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read what each change sends in the order it was sent: one sender worker keeps
    it (tests/unit/test_sandbox_webhooks.py has the concurrent senders)."""
    monkeypatch.setattr(webhooks, "SENDER_WORKERS", 1)


KEY = "ck_sandbox"
SECRET = "cs_sandbox"
API = "http://testserver/wp-json/wc/v3"
ADMIN = "http://testserver/admin/sandbox"
HOOK_SECRET = "whsec_sandbox"


def http(store: WooStore, **options: Any) -> httpx.Client:
    return httpx.Client(transport=InProcess(create_app(store, KEY, SECRET, **options)))


def signed(url: str, method: str = "GET", *, secret: str = SECRET, **client_options: Any) -> str:
    client = Client(
        KEY,
        client_secret=secret,
        signature_method=client_options.pop("signature_method", SIGNATURE_HMAC_SHA256),
        signature_type=SIGNATURE_TYPE_QUERY,
        **client_options,
    )
    uri, _, _ = client.sign(url, http_method=method)
    return str(uri)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert body["data"]["status"] == response.status_code
    return response.status_code, body["code"], body["message"]


# -- the catalog --------------------------------------------------------------------------------


def test_generate_is_repeatable_and_numbers_sellable_skus_in_order() -> None:
    store = WooStore.generate(60, seed=3, duplicate_skus=4, blank_barcodes=5)
    again = WooStore.generate(60, seed=3, duplicate_skus=4, blank_barcodes=5)
    variants = store.variants()
    skus = [f"SKU-{i:05d}" for i in range(1, 61)]

    assert variants == again.variants()
    assert [v.sku for v in variants[:60]] == skus
    assert len(variants) == 64 and all(v.sku in skus and v.variation_id is None for v in variants[60:])
    assert sum(v.barcode == "" for v in variants) == 5
    assert all(len(v.barcode) == 13 for v in variants if v.barcode)
    assert all(0 <= v.quantity <= 50 for v in variants)
    assert any(v.variation_id is not None for v in variants) and any(v.variation_id is None for v in variants)
    assert WooStore.generate(60, seed=4).variants() != WooStore.generate(60, seed=3).variants()


def test_products_are_simple_or_variable_with_two_to_four_variations_mostly_published() -> None:
    store = WooStore.generate(600, seed=1)
    per_parent: dict[int, int] = {}
    for variant in store.variants():
        if variant.variation_id is not None:
            per_parent[variant.product_id] = per_parent.get(variant.product_id, 0) + 1
    statuses = [v.status for v in store.variants()]

    assert set(per_parent.values()) <= {2, 3, 4} and len(per_parent) > 50
    assert statuses.count("publish") > 0.85 * len(statuses) and "draft" in statuses
    parent = store.get_product(next(iter(per_parent)))
    assert parent["type"] == "variable" and parent["manage_stock"] is False
    assert parent["stock_quantity"] is None and len(parent["variations"]) == per_parent[parent["id"]]


def test_items_carry_woocommerce_fields() -> None:
    store = WooStore.generate(10, seed=2)
    first = store.variants()[0]
    product = store.get_product(first.product_id)

    assert product["sku"] == "SKU-00001" and product["type"] == "simple" and product["parent_id"] == 0
    assert isinstance(product["regular_price"], str) and product["regular_price"].count(".") == 1
    assert product["manage_stock"] is True and product["stock_quantity"] == first.quantity
    assert product["stock_status"] == ("instock" if first.quantity > 0 else "outofstock")
    assert product["global_unique_id"] == first.barcode
    assert product["date_modified"] == product["date_modified_gmt"]  # the site runs on UTC


def test_quantity_by_hand_moves_date_modified() -> None:
    store = WooStore.generate(3)
    before = store.get_product(store.variants()[0].product_id)["date_modified_gmt"]

    store.edit_by_hand("SKU-00001", {"quantity": 0})

    after = store.get_product(store.variants()[0].product_id)
    assert store.quantity("SKU-00001") == 0 and after["stock_status"] == "outofstock"
    assert after["date_modified_gmt"] > before
    with pytest.raises(KeyError):
        store.quantity("SKU-99999")


# -- reading ------------------------------------------------------------------------------------


def test_products_page_with_woocommerce_headers() -> None:
    store = WooStore.generate(40, seed=5)
    products = [p for p in store.list_products({"per_page": "100"})[0]]
    with http(store) as client:
        first = client.get(
            f"{API}/products", params={"per_page": 7, "orderby": "id", "order": "asc"}, auth=(KEY, SECRET)
        )
        second = client.get(
            f"{API}/products",
            params={"per_page": 7, "page": 2, "orderby": "id", "order": "asc"},
            auth=(KEY, SECRET),
        )

    pages = -(-len(products) // 7)
    assert first.headers["X-WP-Total"] == str(len(products)) and first.headers["X-WP-TotalPages"] == str(
        pages
    )
    assert first.headers["Link"] == f'<{API}/products?per_page=7&orderby=id&order=asc&page=2>; rel="next"'
    assert second.headers["Link"] == (
        f'<{API}/products?per_page=7&page=1&orderby=id&order=asc>; rel="prev", '
        f'<{API}/products?per_page=7&page=3&orderby=id&order=asc>; rel="next"'
    )
    ids = [p["id"] for p in first.json() + second.json()]
    assert ids == sorted(p["id"] for p in products)[:14]


def test_products_default_to_newest_first_and_hide_variations() -> None:
    store = WooStore.generate(30, seed=6)

    items, total, _, _ = store.list_products({"per_page": "100"})

    assert [p["id"] for p in items] == sorted((p["id"] for p in items), reverse=True)  # orderby=date desc
    assert total == len(items) and all(p["type"] in ("simple", "variable") for p in items)


def test_per_page_above_100_is_refused_as_wordpress_does() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        response = client.get(f"{API}/products", params={"per_page": 101}, auth=(KEY, SECRET))

    assert response.status_code == 400
    message = "per_page must be between 1 (inclusive) and 100 (inclusive)"
    assert response.json() == {
        "code": "rest_invalid_param",
        "message": "Invalid parameter(s): per_page",
        "data": {
            "status": 400,
            "params": {"per_page": message},
            "details": {"per_page": {"code": "rest_out_of_bounds", "message": message, "data": None}},
        },
    }
    with pytest.raises(WooError) as raised:
        store.list_products({"page": "0", "orderby": "sku"})
    assert raised.value.message == "Invalid parameter(s): page, orderby"


def test_the_sku_filter_finds_variations_too() -> None:
    store = WooStore.generate(20, seed=2)
    variation = next(v for v in store.variants() if v.variation_id is not None)
    simple = next(v for v in store.variants() if v.variation_id is None)

    items, total, _, _ = store.list_products(
        {"sku": f"{variation.sku},{simple.sku}", "orderby": "id", "order": "asc"}
    )

    assert total == 2
    assert [(p["id"], p["type"], p["parent_id"]) for p in items] == [
        (simple.product_id, "simple", 0),
        (variation.variation_id, "variation", variation.product_id),
    ]


def test_variations_page_and_belong_to_their_product() -> None:
    store = WooStore.generate(40, seed=3)
    variation = next(v for v in store.variants() if v.variation_id is not None)
    assert variation.variation_id is not None
    siblings = [v for v in store.variants() if v.product_id == variation.product_id]

    items, total, pages, _ = store.list_variations(
        variation.product_id, {"per_page": "1", "orderby": "id", "order": "asc"}
    )
    one = store.get_variation(variation.product_id, variation.variation_id)

    assert (total, pages) == (len(siblings), len(siblings)) and items[0]["id"] == siblings[0].variation_id
    assert one["sku"] == variation.sku and one["stock_quantity"] == variation.quantity
    assert one["attributes"][0]["name"] == "Size" and "type" not in one
    with pytest.raises(WooError) as raised:
        store.get_variation(variation.product_id + 10_000, variation.variation_id)
    assert (raised.value.status, raised.value.code) == (404, "woocommerce_rest_product_variation_invalid_id")
    assert store.list_variations(99_999, {})[:2] == ([], 0)


def test_an_unknown_product_is_a_404() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        response = client.get(f"{API}/products/99999", auth=(KEY, SECRET))
        no_route = client.get("http://testserver/wp-json/wc/v3/orders", auth=(KEY, SECRET))

    assert error_of(response) == (404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    assert error_of(no_route)[:2] == (404, "rest_no_route")


def test_the_index_names_the_site_and_honours_fields() -> None:
    store = WooStore(name="Harbour Goods")
    with http(store) as client:
        index = client.get("http://testserver/wp-json/", params={"_fields": "name,namespaces"})

    assert index.json() == {"name": "Harbour Goods", "namespaces": index.json()["namespaces"]}
    assert "wc/v3" in index.json()["namespaces"]


# -- writing ------------------------------------------------------------------------------------


def test_batch_updates_stock_and_answers_errors_per_item() -> None:
    store = WooStore.generate(10, seed=1)
    first, second = store.variants()[:2]

    answer = store.batch(
        None,
        {
            "update": [
                {"id": first.product_id, "stock_quantity": 33, "manage_stock": True},
                {"id": 99_999, "stock_quantity": 1},
                {"id": second.product_id, "stock_quantity": "0"},
            ]
        },
    )

    assert list(answer) == ["update"]
    assert answer["update"][0]["stock_quantity"] == 33 and answer["update"][0]["stock_status"] == "instock"
    assert answer["update"][1] == {
        "id": 99_999,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 400},
        },
    }
    assert answer["update"][2]["stock_quantity"] == 0 and answer["update"][2]["stock_status"] == "outofstock"
    assert (store.quantity(first.sku), store.quantity(second.sku)) == (33, 0)


def test_variation_batches_update_only_their_own_product() -> None:
    store = WooStore.generate(30, seed=4)
    variation = next(v for v in store.variants() if v.variation_id is not None)
    other_parent = next(
        v.product_id for v in store.variants() if v.variation_id and v.product_id != variation.product_id
    )

    answer = store.batch(
        variation.product_id, {"update": [{"id": variation.variation_id, "stock_quantity": 12}]}
    )
    wrong = store.batch(other_parent, {"update": [{"id": variation.variation_id, "stock_quantity": 13}]})

    assert answer["update"][0]["id"] == variation.variation_id and store.quantity(variation.sku) == 12
    assert wrong["update"][0]["error"]["code"] == "woocommerce_rest_product_variation_invalid_id"


def test_more_than_100_objects_is_a_413() -> None:
    store = WooStore.generate(3)
    body = {"update": [{"id": 1, "stock_quantity": 1}] * 60, "delete": [1] * 41}
    with http(store) as client:
        response = client.post(f"{API}/products/batch", json=body, auth=(KEY, SECRET))

    assert response.status_code == 413
    assert response.json() == {
        "code": "woocommerce_rest_request_entity_too_large",
        "message": "Unable to accept more than 100 items for this request.",
        "data": {"status": 413},
    }


def test_a_duplicate_sku_is_refused_per_item_and_nothing_is_written() -> None:
    store = WooStore.generate(5)
    first, second = store.variants()[:2]

    answer = store.batch(
        None,
        {
            "create": [{"name": "Copy", "sku": first.sku, "regular_price": "9.99"}],
            "update": [{"id": second.product_id, "sku": first.sku, "stock_quantity": 44}],
        },
    )

    assert answer["create"][0]["id"] == 0
    for entry in (answer["create"][0], answer["update"][0]):
        assert entry["error"]["code"] == "product_invalid_sku"
        assert entry["error"]["message"] == "Invalid or duplicated SKU."
        assert entry["error"]["data"]["status"] == 400
        assert entry["error"]["data"]["resource_id"] == first.product_id
    assert store.quantity(second.sku) == second.quantity and len(store.variants()) == 5


def test_batch_creates_and_deletes() -> None:
    store = WooStore.generate(4)
    answer = store.batch(
        None,
        {
            "create": [
                {
                    "name": "New",
                    "sku": "NEW-1",
                    "regular_price": "5.00",
                    "manage_stock": True,
                    "stock_quantity": 9,
                }
            ]
        },
    )
    created = answer["create"][0]
    deleted = store.batch(None, {"delete": [created["id"], 0, 99_999]})

    assert (created["type"], created["sku"], created["stock_quantity"], created["status"]) == (
        "simple",
        "NEW-1",
        9,
        "publish",
    )
    assert deleted["delete"][0]["id"] == created["id"]  # 0 is skipped, as WooCommerce does
    assert deleted["delete"][1]["error"]["code"] == "woocommerce_rest_product_invalid_id"
    assert deleted["delete"][1]["error"]["data"]["status"] == 404
    assert "NEW-1" not in {v.sku for v in store.variants()}


def test_stock_quantity_counts_only_while_stock_is_managed() -> None:
    store = WooStore.generate(2)
    product_id = store.variants()[0].product_id

    unmanaged = store.update_product(product_id, {"manage_stock": False, "stock_quantity": 5})
    managed = store.update_product(product_id, {"manage_stock": True, "stock_quantity": "7"})
    delta = store.update_product(product_id, {"inventory_delta": -2})

    assert (unmanaged["manage_stock"], unmanaged["stock_quantity"]) == (False, None)
    assert (managed["stock_quantity"], delta["stock_quantity"]) == (7, 5)


def test_put_a_product_over_http() -> None:
    store = WooStore.generate(3)
    product_id = store.variants()[0].product_id
    with http(store) as client:
        response = client.put(f"{API}/products/{product_id}", json={"stock_quantity": 21}, auth=(KEY, SECRET))
        missing = client.put(f"{API}/products/99999", json={"stock_quantity": 21}, auth=(KEY, SECRET))
        bad_json = client.put(
            f"{API}/products/{product_id}",
            content=b"{nope",
            headers={"content-type": "application/json"},
            auth=(KEY, SECRET),
        )

    assert response.json()["stock_quantity"] == 21 and store.quantity("SKU-00001") == 21
    assert error_of(missing) == (400, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    assert error_of(bad_json)[:2] == (400, "rest_invalid_json")


def test_delete_trashes_without_force_and_deletes_with_it_products_and_variations(receiver: Receiver) -> None:
    store = hooked(receiver)
    simple = next(v for v in store.variants() if v.variation_id is None)
    variable = next(v for v in store.variants() if v.variation_id is not None)
    sibling = next(
        v for v in store.variants() if v.product_id == variable.product_id and v.sku != variable.sku
    )
    product, variation = (
        f"{API}/products/{simple.product_id}",
        (f"{API}/products/{variable.product_id}/variations/{variable.variation_id}"),
    )
    with http(store) as client:
        trashed = client.delete(product, auth=(KEY, SECRET))
        listed = client.get(f"{API}/products", params={"include": simple.product_id}, auth=(KEY, SECRET))
        in_trash = client.get(f"{API}/products", params={"status": "trash"}, auth=(KEY, SECRET))
        again = client.delete(product, auth=(KEY, SECRET))
        forced = client.delete(product, params={"force": "true"}, auth=(KEY, SECRET))
        gone = client.delete(product, params={"force": "true"}, auth=(KEY, SECRET))
        not_boolean = client.delete(product, params={"force": "maybe"}, auth=(KEY, SECRET))
        variation_deleted = client.delete(variation, params={"force": "1"}, auth=(KEY, SECRET))
        other_product = client.delete(
            f"{API}/products/{simple.product_id}/variations/{sibling.variation_id}", auth=(KEY, SECRET)
        )
        refused = client.delete(product)
    store.close()

    assert trashed.status_code == 200 and trashed.json()["id"] == simple.product_id
    assert trashed.json()["status"] == "publish"  # the item as it was, as WooCommerce answers
    assert listed.json() == [] and [p["id"] for p in in_trash.json()] == [simple.product_id]
    assert error_of(again) == (
        410,
        "woocommerce_rest_already_trashed",
        "The product has already been deleted.",
    )
    assert forced.status_code == 200 and forced.json()["status"] == "trash"
    assert error_of(gone) == (404, "woocommerce_rest_product_invalid_id", "Invalid ID.")
    assert error_of(not_boolean)[:2] == (400, "rest_invalid_param")
    assert variation_deleted.json()["id"] == variable.variation_id
    assert variable.sku not in {v.sku for v in store.variants()} and store.quantity(sibling.sku) >= 0
    assert error_of(other_product)[:2] == (404, "woocommerce_rest_product_variation_invalid_id")
    assert error_of(refused)[:2] == (401, "woocommerce_rest_cannot_delete")
    assert [(topic, payload) for topic, payload in receiver.signed()] == [
        ("product.deleted", {"id": simple.product_id}),
        ("product.deleted", {"id": simple.product_id}),
        ("product.deleted", {"id": variable.variation_id}),
    ]


def test_trashing_a_variable_product_trashes_its_variations() -> None:
    store = WooStore.generate(12)
    variable = next(v for v in store.variants() if v.variation_id is not None)
    with http(store) as client:
        answer = client.delete(f"{API}/products/{variable.product_id}", auth=(KEY, SECRET))
        variations = client.get(f"{API}/products/{variable.product_id}/variations", auth=(KEY, SECRET))

    assert answer.json()["type"] == "variable" and variations.json() == []


# -- authentication -----------------------------------------------------------------------------


def test_without_credentials_woocommerce_refuses_per_route() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        listing = client.get(f"{API}/products")
        batch = client.post(f"{API}/products/batch", json={})
        one = client.get(f"{API}/products/101")

    assert error_of(listing) == (401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
    assert error_of(batch) == (
        401,
        "woocommerce_rest_cannot_batch",
        "Sorry, you are not allowed to batch manipulate this resource.",
    )
    assert error_of(one) == (401, "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource.")


def test_basic_auth_checks_the_secret() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        good = client.get(f"{API}/products", auth=(KEY, SECRET))
        wrong_secret = client.get(f"{API}/products", auth=(KEY, "cs_wrong"))
        unknown_key = client.get(f"{API}/products", auth=("ck_unknown", SECRET))

    assert good.status_code == 200
    assert error_of(wrong_secret) == (
        401,
        "woocommerce_rest_authentication_error",
        "Consumer secret is invalid.",
    )
    assert error_of(unknown_key)[1] == "woocommerce_rest_cannot_view"  # WooCommerce moves on, unauthenticated


@pytest.mark.parametrize("method", [SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256])
def test_oauth_signatures_in_the_query_are_verified(method: str) -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        good = client.get(signed(f"{API}/products?per_page=2", signature_method=method))
        post = client.post(signed(f"{API}/products/batch", "POST", signature_method=method), json={})
        wrong = client.get(signed(f"{API}/products", secret="cs_wrong", signature_method=method))
        tampered = client.get(
            signed(f"{API}/products?per_page=2", signature_method=method).replace("per_page=2", "per_page=3")
        )

    assert good.status_code == 200 and len(good.json()) == 2
    assert post.status_code == 200 and post.json() == []  # an empty batch changes nothing
    for refused in (wrong, tampered):
        assert error_of(refused) == (
            401,
            "woocommerce_rest_authentication_error",
            "Invalid signature - provided signature does not match.",
        )


def test_oauth_timestamps_expire_and_nonces_are_used_once() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        once = signed(f"{API}/products")
        first, replayed = client.get(once), client.get(once)
        stale = client.get(signed(f"{API}/products", timestamp=str(int(time.time()) - 16 * 60), nonce="n1"))
        partial = client.get(f"{API}/products?oauth_consumer_key={KEY}&oauth_nonce=abc")
        other_key = client.get(signed(f"{API}/products").replace(KEY, "ck_other"))

    assert first.status_code == 200
    assert error_of(replayed)[2] == "Invalid nonce - nonce has already been used."
    assert error_of(stale)[2] == "Invalid timestamp."
    assert error_of(partial) == (
        401,
        "woocommerce_rest_authentication_missing_parameter",
        "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method",
    )
    assert error_of(other_key)[2] == "Consumer key is invalid."


def test_a_read_only_key_cannot_write() -> None:
    store = WooStore.generate(3)
    with http(store, permissions="read") as client:
        read = client.get(f"{API}/products", auth=(KEY, SECRET))
        write = client.post(f"{API}/products/batch", json={}, auth=(KEY, SECRET))

    assert read.status_code == 200
    assert error_of(write) == (
        401,
        "woocommerce_rest_authentication_error",
        "The API key provided does not have write permissions.",
    )


# -- the host's rate limit and the admin routes -------------------------------------------------


def test_the_rate_limit_answers_429_with_retry_after_until_time_passes() -> None:
    store = WooStore.generate(3)
    clock = FakeClock()
    with http(store, rate=2, clock=clock) as client:
        answers = [client.get(f"{API}/products", auth=(KEY, SECRET)).status_code for _ in range(3)]
        throttled = client.get(f"{API}/products", auth=(KEY, SECRET))
        clock.now += 0.5
        after_waiting = client.get(f"{API}/products", auth=(KEY, SECRET))

    assert answers == [200, 200, 429]
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert after_waiting.status_code == 200


# -- the sandbox admin API ----------------------------------------------------------------------


def test_admin_lists_the_variants_and_edits_them_by_hand() -> None:
    store = WooStore.generate(6, seed=2)
    with http(store) as client:
        listed = client.get(f"{ADMIN}/variants").json()
        changed = client.post(
            f"{ADMIN}/variants/SKU-00002", json={"quantity": 8, "price": "12.50", "status": "hidden"}
        )
        renamed = client.post(f"{ADMIN}/variants/SKU-00003", json={"sku": "SKU-NEW"})
        taken = client.post(f"{ADMIN}/variants/SKU-00004", json={"sku": "SKU-00001"})
        refused = client.post(f"{ADMIN}/variants/SKU-00002", json={"quantity": -1})
        unknown = client.post(f"{ADMIN}/variants/NOPE", json={"quantity": 1})

    assert [row["sku"] for row in listed] == [f"SKU-{i:05d}" for i in range(1, 7)]
    assert set(listed[0]) == {
        "sku",
        "quantity",
        "price",
        "status",
        "product_id",
        "variation_id",
        "inventory_item_id",
    }
    assert changed.json() == {**listed[1], "quantity": 8, "price": "12.50", "status": "hidden"}
    second = store.variants()[1]
    item = store.get_product(second.variation_id or second.product_id)
    assert (item["stock_quantity"], item["regular_price"], item["status"]) == (8, "12.50", "private")
    assert renamed.json()["sku"] == "SKU-NEW" and "SKU-00003" not in {v.sku for v in store.variants()}
    assert taken.status_code == 400 and "product_invalid_sku" in taken.json()["error"]
    assert store.variants()[3].sku == "SKU-00004"  # a refused edit changes nothing
    assert (refused.status_code, unknown.status_code) == (400, 404)


def test_delete_by_hand_removes_the_item_with_that_sku() -> None:
    store = WooStore.generate(12, seed=4)
    variation = next(v for v in store.variants() if v.variation_id is not None)
    with http(store) as client:
        deleted = client.delete(f"{ADMIN}/variants/{variation.sku}")
        again = client.delete(f"{ADMIN}/variants/{variation.sku}")

    assert deleted.json() == {"deleted": variation.sku} and again.status_code == 404
    assert variation.sku not in {v.sku for v in store.variants()}
    assert variation.variation_id not in store.get_product(variation.product_id)["variations"]


def test_an_order_takes_managed_stock_and_cancelling_it_gives_the_stock_back() -> None:
    store = WooStore.generate(20, seed=3)
    simple, unmanaged = [v for v in store.variants() if v.variation_id is None][:2]
    variation = next(v for v in store.variants() if v.variation_id is not None)
    store.update_product(unmanaged.product_id, {"manage_stock": False})
    lines = [
        {"sku": simple.sku, "quantity": 2},
        {"sku": variation.sku, "quantity": 60},
        {"sku": unmanaged.sku, "quantity": 1},
    ]
    with http(store) as client:
        placed = client.post(f"{ADMIN}/orders", json={"lines": lines}).json()
        after_order = [store.quantity(v.sku) for v in (simple, variation)]
        cancelled = client.post(f"{ADMIN}/orders/{placed['id']}/cancel").json()
        twice = client.post(f"{ADMIN}/orders/{placed['id']}/cancel")
        no_order = client.post(f"{ADMIN}/orders/1/cancel")
        no_sku = client.post(
            f"{ADMIN}/orders",
            json={"lines": [{"sku": simple.sku, "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
        )
        log = client.get(f"{ADMIN}/orders").json()

    assert placed["status"] == "processing"
    assert [(i["sku"], i["quantity"], i["product_id"], i["variation_id"]) for i in placed["line_items"]] == [
        (simple.sku, 2, simple.product_id, 0),
        (variation.sku, 60, variation.product_id, variation.variation_id),
        (unmanaged.sku, 1, unmanaged.product_id, 0),
    ]
    total = 2 * Decimal(simple.price) + 60 * Decimal(variation.price) + Decimal(unmanaged.price)
    assert placed["total"] == f"{total:.2f}"
    # below zero, as for an order entered in wp-admin; nothing taken from the unmanaged item
    assert after_order == [simple.quantity - 2, variation.quantity - 60]
    assert store.get_product(unmanaged.product_id)["stock_quantity"] is None
    assert cancelled["status"] == "cancelled"
    assert [store.quantity(v.sku) for v in (simple, variation)] == [simple.quantity, variation.quantity]
    assert (twice.status_code, no_order.status_code, no_sku.status_code) == (400, 404, 400)
    assert "already cancelled" in twice.json()["error"] and "'NOPE'" in no_sku.json()["error"]
    assert [order["id"] for order in log] == [placed["id"]] and log[0]["status"] == "cancelled"


def test_include_limits_products_and_variations_to_those_ids() -> None:
    store = WooStore.generate(30, seed=5)
    simple = [v.product_id for v in store.variants() if v.variation_id is None][:3]
    variation = next(v for v in store.variants() if v.variation_id is not None)
    assert variation.variation_id is not None
    include = ",".join(map(str, [*simple, variation.variation_id]))

    products, total, _, _ = store.list_products({"include": include, "per_page": "100"})
    variations, _, _, _ = store.list_variations(
        variation.product_id, {"include": str(variation.variation_id)}
    )

    assert sorted(p["id"] for p in products) == sorted(simple) and total == 3  # a variation is not a product
    assert [v["id"] for v in variations] == [variation.variation_id]
    with pytest.raises(WooError) as raised:
        store.list_products({"include": "12,abc"})
    assert raised.value.code == "rest_invalid_param"
    assert raised.value.data["params"] == {"include": "include[1] is not of type integer."}


def test_faults_hit_the_rest_api_and_spare_the_admin_api() -> None:
    store = WooStore.generate(3)
    with http(store) as client:
        configured = client.post(f"{ADMIN}/faults", json={"server_error": 1})
        api = client.get(f"{API}/products", auth=(KEY, SECRET))
        admin = client.get(f"{ADMIN}/variants")
        seen = client.get(f"{ADMIN}/faults").json()
        refused = client.post(f"{ADMIN}/faults", json={"server_error": 2})

    assert configured.status_code == 200 and api.status_code in (500, 502, 503) and admin.status_code == 200
    assert seen["rates"]["server_error"] == 1.0 and seen["injected"] == {"server_error": 1}
    assert refused.status_code == 400 and "between 0 and 1" in refused.json()["error"]


# -- webhooks -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def topic(self) -> str | None:
        return self.headers.get("x-wc-webhook-topic")

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A webhook endpoint on loopback that keeps every delivery."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.server = serve_in_thread(Starlette(routes=[Route("/hooks", self.receive, methods=["POST"])]))
        self.url = f"{self.server.url}/hooks"

    async def receive(self, request: Request) -> Response:
        self.deliveries.append(Delivery(dict(request.headers), await request.body()))
        return Response()

    def signed(self) -> list[tuple[str | None, Any]]:
        """(topic, payload) of each delivery but the ping."""
        return [(d.topic, d.json()) for d in self.deliveries if d.topic is not None]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.server.stop()


def hooked(receiver: Receiver, products: int = 30, **options: Any) -> WooStore:
    return WooStore.generate(
        products,
        seed=2,
        url="http://shop.test",
        webhook_url=receiver.url,
        webhook_secret=HOOK_SECRET,
        webhook_id=7,
        **options,
    )


def test_a_webhook_starts_with_an_unsigned_ping_then_every_delivery_is_signed(receiver: Receiver) -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    store = hooked(receiver, now=lambda: moment)
    simple = next(v for v in store.variants() if v.variation_id is None)

    store.edit_by_hand(simple.sku, {"quantity": 3})
    store.edit_by_hand(simple.sku, {"price": Decimal("4.50")})
    store.close()

    ping, first, second = receiver.deliveries
    assert (
        ping.body == b"webhook_id=7" and ping.headers["content-type"] == "application/x-www-form-urlencoded"
    )
    assert not [name for name in ping.headers if name.startswith("x-wc-webhook")]
    headers = first.headers
    assert headers["x-wc-webhook-source"] == "http://shop.test/" and headers["x-wc-webhook-id"] == "7"
    assert (
        headers["x-wc-webhook-topic"],
        headers["x-wc-webhook-resource"],
        headers["x-wc-webhook-event"],
    ) == (
        "product.updated",
        "product",
        "updated",
    )
    assert headers["user-agent"].startswith("WooCommerce/") and "Hookshot" in headers["user-agent"]
    # a hash of (webhook id, second): not unique within one second, as CHANNELS.md warns
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-wc-webhook-delivery-id"])
    assert second.headers["x-wc-webhook-delivery-id"] == headers["x-wc-webhook-delivery-id"]
    for delivery in (first, second):
        assert signature_is_valid(HOOK_SECRET, delivery.body, delivery.headers["x-wc-webhook-signature"])
        assert not signature_is_valid(
            "whsec_other", delivery.body, delivery.headers["x-wc-webhook-signature"]
        )
    assert second.json() == store.get_product(simple.product_id, "http://shop.test")
    assert (first.json()["stock_quantity"], second.json()["regular_price"]) == (3, "4.50")
    assert second.json()["date_modified"] == "2026-03-01T12:00:00"


def test_rest_writes_send_product_updated_once_an_item_and_deletions_product_deleted(
    receiver: Receiver,
) -> None:
    store = hooked(receiver)
    first, second = [v for v in store.variants() if v.variation_id is None][:2]
    variation = next(v for v in store.variants() if v.variation_id is not None)
    batch = {
        "update": [
            {"id": first.product_id, "stock_quantity": 5},
            {"id": first.product_id, "regular_price": "9.99"},
            {"id": 99_999, "stock_quantity": 1},
        ],
        "delete": [second.product_id],
    }
    with http(store) as client:
        client.post(f"{API}/products/batch", json=batch, auth=(KEY, SECRET))
        client.put(
            f"{API}/products/{variation.product_id}/variations/{variation.variation_id}",
            json={"stock_quantity": 4},
            auth=(KEY, SECRET),
        )
    store.close()

    hooks = receiver.signed()
    assert [(topic, payload["id"]) for topic, payload in hooks] == [
        ("product.updated", first.product_id),
        ("product.deleted", second.product_id),
        ("product.updated", variation.variation_id),
    ]
    assert (hooks[0][1]["stock_quantity"], hooks[0][1]["regular_price"]) == (
        5,
        "9.99",
    )  # as the batch left it
    assert hooks[1][1] == {"id": second.product_id}
    updated_variation = hooks[2][1]
    assert (
        updated_variation["type"],
        updated_variation["parent_id"],
        updated_variation["stock_quantity"],
    ) == (
        "variation",
        variation.product_id,
        4,
    )
    assert updated_variation["_links"]["self"][0]["href"] == (
        f"http://shop.test/wp-json/wc/v3/products/{variation.variation_id}"
    )


def test_orders_send_order_created_and_order_updated_then_the_stock_they_moved(receiver: Receiver) -> None:
    store = hooked(receiver)
    simple = next(v for v in store.variants() if v.variation_id is None)
    variation = next(v for v in store.variants() if v.variation_id is not None)

    order = store.place_order([(simple.sku, 1), (variation.sku, 2)])
    store.cancel_order(order["id"])
    store.delete_by_hand(simple.sku)
    store.close()

    hooks = receiver.signed()
    assert [(topic, payload["id"]) for topic, payload in hooks] == [
        ("order.created", order["id"]),
        ("product.updated", simple.product_id),
        ("product.updated", variation.variation_id),
        ("order.updated", order["id"]),
        ("product.updated", simple.product_id),
        ("product.updated", variation.variation_id),
        ("product.deleted", simple.product_id),
    ]
    created, cancelled = hooks[0][1], hooks[3][1]
    assert [(i["sku"], i["quantity"], i["product_id"], i["variation_id"]) for i in created["line_items"]] == [
        (simple.sku, 1, simple.product_id, 0),
        (variation.sku, 2, variation.product_id, variation.variation_id),
    ]
    assert (created["status"], cancelled["status"]) == ("processing", "cancelled")
    assert (
        hooks[1][1]["stock_quantity"] == simple.quantity - 1
        and hooks[4][1]["stock_quantity"] == simple.quantity
    )
    order_headers = next(d.headers for d in receiver.deliveries if d.topic == "order.updated")
    assert (order_headers["x-wc-webhook-resource"], order_headers["x-wc-webhook-event"]) == (
        "order",
        "updated",
    )


def test_a_webhook_configured_later_needs_a_secret_and_pings_first(receiver: Receiver) -> None:
    store = WooStore.generate(3)
    store.edit_by_hand("SKU-00001", {"quantity": 1})  # no webhook yet: nothing is sent

    with pytest.raises(ValueError, match="needs a secret"):
        store.configure_webhook(receiver.url, "")
    store.configure_webhook(receiver.url, HOOK_SECRET, webhook_id=3)
    store.delete_by_hand("SKU-00002")
    store.close()

    assert receiver.deliveries[0].body == b"webhook_id=3"
    assert [topic for topic, _ in receiver.signed()] == ["product.deleted"]


def delivered_quantities(receiver: Receiver, seed: int) -> tuple[list[int], dict[str, int]]:
    """200 quantities set by hand on one item, as the receiver got them, and the faults injected."""
    faults = Faults(FaultRates(webhook_drop=0.1, webhook_duplicate=0.1, webhook_reorder=0.1), seed=seed)
    store = WooStore.generate(3, webhook_url=receiver.url, webhook_secret=HOOK_SECRET, faults=faults)
    start = len(receiver.deliveries)
    for quantity in range(200):
        store.edit_by_hand("SKU-00001", {"quantity": quantity})
    store.close()
    received = [d.json()["stock_quantity"] for d in receiver.deliveries[start:] if d.topic is not None]
    return received, faults.counts()


def test_webhooks_are_dropped_duplicated_and_reordered_at_their_share_under_a_seed(
    receiver: Receiver,
) -> None:
    received, injected = delivered_quantities(receiver, seed=11)
    again, _ = delivered_quantities(receiver, seed=11)

    assert received == again
    dropped, duplicated, reordered = (
        injected[k] for k in ("webhook_drop", "webhook_duplicate", "webhook_reorder")
    )
    assert all(10 <= count <= 30 for count in (dropped, duplicated, reordered))  # a share of 0.1 of about 200
    assert len(set(received)) == 200 - dropped
    assert len(received) - len(set(received)) == duplicated
    # each reordered delivery arrives right after a later one
    assert sum(earlier > later for earlier, later in itertools.pairwise(received)) == reordered


# -- the CLI ------------------------------------------------------------------------------------


def test_the_cli_wants_a_webhook_url_and_its_secret_together() -> None:
    result = CliRunner().invoke(cli, ["sandbox", "woocommerce", "--webhook-url", "http://127.0.0.1:9/hooks"])

    assert result.exit_code == 1 and "--webhook-url and --webhook-secret together" in result.output


def test_the_cli_serves_the_store_prints_its_url_and_credentials_and_sends_webhooks(
    receiver: Receiver,
) -> None:
    command = [sys.executable, "-c", "from tidemark.cli import app; app()", "sandbox", "woocommerce"]
    command += ["--port", "0", "--products", "5", "--key", "ck_cli", "--secret", "cs_cli", "--seed", "3"]
    command += ["--webhook-url", receiver.url, "--webhook-secret", HOOK_SECRET]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environment
    )
    try:
        assert process.stdout is not None
        printed = [process.stdout.readline() for _ in range(3)]
        found = re.search(r"http://127\.0\.0\.1:\d+", printed[0])
        assert found is not None, printed
        url = found[0]
        with httpx.Client() as client:
            products = client.get(f"{url}/wp-json/wc/v3/products", auth=("ck_cli", "cs_cli"))
            client.post(f"{url}/admin/sandbox/variants/SKU-00001", json={"quantity": 4})
        deadline = time.monotonic() + 5
        while len(receiver.deliveries) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)

    assert "key=ck_cli" in printed[0] and "secret=cs_cli" in printed[0] and "products=5" in printed[0]
    assert f"{url}/admin/sandbox" in printed[1] and receiver.url in printed[2]
    assert products.status_code == 200 and process.returncode == 0
    ping, update = receiver.deliveries
    assert ping.body == b"webhook_id=1" and update.headers["x-wc-webhook-source"] == f"{url}/"
    assert signature_is_valid(HOOK_SECRET, update.body, update.headers["x-wc-webhook-signature"])
    assert update.json()["stock_quantity"] == 4
