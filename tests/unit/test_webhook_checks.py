"""The door's pure checks (shared.domain.webhooks): signatures as bytes, bodies against their
topics, signed times and the window, resources, trimming, stores, and rotation's two secrets."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.channel import ChannelType
from shared.domain.messages import WebhookMessage
from shared.domain.webhooks import (
    ROTATION,
    WINDOW,
    accepted_secrets,
    delivery_key,
    from_store,
    misfit,
    resource_of,
    rotated,
    sign,
    signature_is_valid,
    signed_time,
    too_old,
    trimmed,
)

pytestmark = pytest.mark.unit
SHOPIFY, WOO = ChannelType.SHOPIFY, ChannelType.WOOCOMMERCE
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
ORDER = {"id": 1, "updated_at": "2026-12-03T05:00:00-05:00", "cancelled_at": None, "line_items": []}


@pytest.mark.parametrize("signature", [None, "", "not base64!", "é" * 44, sign("other", b"{}"), "  "])
def test_a_missing_malformed_non_ascii_or_wrong_signature_is_refused_not_raised(signature):
    assert not signature_is_valid(["secret"], b"{}", signature)


def test_either_secret_of_a_rotation_verifies_and_an_empty_one_never():
    body = b'{"id": 1}'
    assert signature_is_valid(["new", "old"], body, sign("old", body))
    assert signature_is_valid("new", body, f" {sign('new', body)} ")
    assert not signature_is_valid(["", ""], body, sign("", body))


def test_a_delivery_is_known_by_topic_and_body_not_by_event_id():
    assert delivery_key("orders/create", b"{}") == delivery_key("orders/create", b"{}")
    assert delivery_key("orders/create", b"{}") != delivery_key("orders/paid", b"{}")


@pytest.mark.parametrize(
    ("channel_type", "topic", "body", "found"),
    [
        (SHOPIFY, "orders/create", ORDER, None),
        (SHOPIFY, "orders/cancelled", ORDER, "cancelled_at"),
        (SHOPIFY, "orders/cancelled", {**ORDER, "cancelled_at": ORDER["updated_at"]}, None),
        (SHOPIFY, "orders/create", {**ORDER, "cancelled_at": ORDER["updated_at"]}, "cancelled order"),
        (SHOPIFY, "orders/create", {"id": 1, "line_items": []}, "updated_at"),
        (SHOPIFY, "products/delete", {"id": 5}, None),
        (SHOPIFY, "products/delete", {"id": 5, "variants": [], "updated_at": "x"}, "id alone"),
        (SHOPIFY, "products/update", {"id": 5, "updated_at": "x", "variants": []}, None),
        (SHOPIFY, "products/update", ORDER, "variants"),
        (
            SHOPIFY,
            "inventory_levels/update",
            {"inventory_item_id": 3, "available": None, "updated_at": "x"},
            None,
        ),
        (
            SHOPIFY,
            "inventory_levels/update",
            {"id": 5, "updated_at": "x", "variants": []},
            "inventory_item_id",
        ),
        (
            WOO,
            "order.updated",
            {"id": 1, "status": "cancelled", "line_items": [], "date_modified_gmt": "x"},
            None,
        ),
        (
            WOO,
            "product.updated",
            {"id": 1, "status": "cancelled", "line_items": [], "date_modified_gmt": "x"},
            "order",
        ),
        (WOO, "product.deleted", {"id": 1, "sku": "A"}, "id alone"),
        (WOO, "order.created", [1, 2], "JSON object"),
    ],
)
def test_a_body_is_checked_against_the_topic_it_is_sent_as(channel_type, topic, body, found):
    problem = misfit(channel_type, topic, body)
    assert problem is None if found is None else found in (problem or "")


def test_signed_times_are_read_in_utc_and_the_window_is_48_hours():
    assert signed_time(SHOPIFY, ORDER) == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    assert signed_time(WOO, {"date_modified_gmt": "2026-12-03T05:00:00"}) == datetime(
        2026, 12, 3, 5, tzinfo=UTC
    )
    assert signed_time(SHOPIFY, {"updated_at": "yesterday"}) is None
    assert timedelta(hours=48) == WINDOW
    assert too_old(NOW - timedelta(hours=49), NOW) and not too_old(NOW - timedelta(hours=47), NOW)
    assert not too_old(None, NOW)


def test_inventory_levels_are_grouped_by_inventory_item():
    level = {"inventory_item_id": 77, "location_id": 1, "available": 3}
    assert resource_of(SHOPIFY, "inventory_levels/update", level) == "item:77"
    assert resource_of(SHOPIFY, "orders/cancelled", ORDER) == "order:1"
    assert resource_of(WOO, "product.updated", {"id": 9}) == "product:9"


def test_a_body_is_trimmed_to_what_the_worker_reads():
    body = {
        **ORDER,
        "email": "shopper@example.com",
        "customer": {"name": "A Person"},
        "line_items": [{"id": 1, "sku": "A", "quantity": 2, "name": "Thing", "price": "9.00"}],
    }
    kept = trimmed(SHOPIFY, "orders/create", body)
    assert kept == {**ORDER, "line_items": [{"id": 1, "sku": "A", "quantity": 2}]}
    assert "shopper" not in json.dumps(kept)


def test_a_queued_webhook_carries_its_body_or_where_it_is_kept_never_both():
    fields = {"channel": "shop", "type": SHOPIFY, "topic": "products/update", "delivery": "d"}
    kept_aside = WebhookMessage(**fields, body="", body_key="webhooks/shop/d.json")
    assert WebhookMessage.model_validate_json(kept_aside.model_dump_json()) == kept_aside
    assert WebhookMessage(**fields, body="{}").body_key is None
    with pytest.raises(ValueError, match="no body"):
        WebhookMessage(**fields, body="{}", body_key="webhooks/shop/d.json")


def test_the_store_headers_must_name_the_channels_store():
    shop = "https://shop-a.myshopify.com"
    assert from_store(SHOPIFY, shop, {"x-shopify-shop-domain": "SHOP-A.myshopify.com"}) is None
    assert "shop-b" in (from_store(SHOPIFY, shop, {"x-shopify-shop-domain": "shop-b.myshopify.com"}) or "")
    assert from_store(SHOPIFY, shop, {}) is not None
    assert from_store(SHOPIFY, "http://127.0.0.1:8001", {}) is None  # a local store names no shop
    woo = "https://store.example.com/shop"
    assert from_store(WOO, woo, {"x-wc-webhook-source": "https://store.example.com/shop/"}) is None
    assert from_store(WOO, woo, {"x-wc-webhook-source": "https://evil.example.com/"}) is not None


def test_a_new_webhook_secret_keeps_the_old_one_for_the_rotation():
    stored = {"token": "t", "webhook_secret": "old"}
    after = rotated(stored, {"webhook_secret": "new"}, NOW)
    assert accepted_secrets(after, NOW) == ["new", "old"]
    assert accepted_secrets(after, NOW + ROTATION + timedelta(seconds=1)) == ["new"]
    assert accepted_secrets(rotated(after, {"token": "u"}, NOW), NOW) == ["new", "old"]
    assert accepted_secrets(rotated(stored, {"webhook_secret": "old"}, NOW), NOW) == ["old"]
    assert accepted_secrets({}, NOW) == []
