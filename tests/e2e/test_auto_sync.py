"""End to end in local mode: orders on one sandbox reach the other through signed webhooks, master
and auto sync; a hand edit on a channel is overwritten; a variant deleted or a SKU changed there
unlinks; every kind of forged or malformed webhook is refused and changes nothing."""

import base64
import hashlib
import hmac
import json
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.waiting import eventually
from tidemark.local.linked import link_both_sandboxes

pytestmark = pytest.mark.e2e

SHOP_SECRET = "shop-webhook-secret"
WOO_SECRET = "woo-webhook-secret"
SKUS = [f"SKU-{i:05d}" for i in range(1, 41)]


@pytest.fixture(scope="module")
def both(stack, api):
    """Master listings with auto sync on, linked and synced to both sandboxes, whose webhooks come
    back to the local API."""
    rows = "\n".join(f"{sku},{20 + n},0,0,true" for n, sku in enumerate(SKUS))
    return link_both_sandboxes(
        stack,
        api,
        "sku,on_hand,committed,safety_buffer,auto_sync\n" + rows + "\n",
        {"shop": SHOP_SECRET, "woo": WOO_SECRET},
    )


def balance(api, sku: str) -> int:
    return int(api.listing(sku)["syncable_balance"])


def test_an_order_on_shopify_reaches_woocommerce(both, api):
    shop, woo = both
    before = balance(api, "SKU-00003")
    shop.place_order([("SKU-00003", 2)])
    eventually(lambda: woo.quantity("SKU-00003") == before - 2)
    assert balance(api, "SKU-00003") == before - 2
    assert shop.quantity("SKU-00003") == before - 2


def test_an_order_on_woocommerce_reaches_shopify_and_its_cancel_puts_it_back(both, api):
    shop, woo = both
    before = balance(api, "SKU-00004")
    order = woo.place_order([("SKU-00004", 3)])
    eventually(lambda: shop.quantity("SKU-00004") == before - 3)
    woo.cancel_order(order["id"])
    eventually(lambda: shop.quantity("SKU-00004") == before and balance(api, "SKU-00004") == before)
    eventually(lambda: woo.quantity("SKU-00004") == before)


def test_a_hand_edit_on_a_channel_is_overwritten_by_master(both, api):
    shop, woo = both
    shop.set_quantity_by_hand("SKU-00005", 999)
    eventually(lambda: shop.quantity("SKU-00005") == balance(api, "SKU-00005"))
    woo.edit_by_hand("SKU-00006", {"quantity": 777})
    eventually(lambda: woo.quantity("SKU-00006") == balance(api, "SKU-00006"))
    entries = api.history("SKU-00005", channel="shop")["entries"]
    assert entries[0]["job_id"] == "channel-edit" and entries[0]["outcome"] == "pushed", entries[0]


def test_a_balance_change_pushes_with_auto_sync_on_and_not_with_it_off(both, api):
    shop, woo = both
    api.import_listings("sku,on_hand\nSKU-00007,3\n")
    eventually(lambda: shop.quantity("SKU-00007") == 3 and woo.quantity("SKU-00007") == 3)
    api.import_listings("sku,auto_sync\nSKU-00008,false\n")
    before = shop.quantity("SKU-00008")
    api.import_listings("sku,on_hand\nSKU-00008,1\n")
    time.sleep(2)
    assert shop.quantity("SKU-00008") == before and woo.quantity("SKU-00008") == before


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def shopify_order(order_id: int, sku: str, quantity: int, line_id: int, *, cancelled: bool = False) -> bytes:
    """An order as Shopify's webhooks carry it: its lines and its times (a cancel a second later)."""
    now = datetime.now(UTC).replace(microsecond=0)
    at = (now + timedelta(seconds=1) if cancelled else now).isoformat()
    return json.dumps(
        {
            "id": order_id,
            "updated_at": at,
            "cancelled_at": at if cancelled else None,
            "line_items": [{"id": line_id, "sku": sku, "quantity": quantity}],
        }
    ).encode()


def post_shopify(stack, topic: str, body: bytes, event_id: str, secret: str = SHOP_SECRET, **headers):
    return httpx.post(
        f"{stack.api_url}/v1/webhooks/shopify/shop",
        content=body,
        headers={
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": signed(secret, body),
            "X-Shopify-Event-Id": event_id,
            "Content-Type": "application/json",
            **headers,
        },
    )


def test_each_webhook_delivered_three_times_in_random_order_is_applied_once(both, api, stack):
    shop, woo = both
    before = balance(api, "SKU-00010")
    placed = shopify_order(91_001, "SKU-00010", 4, 1)
    # a cancel is read back from Shopify before it is applied: the other order is the store's own
    other = shop.place_order([("SKU-00010", 1)])
    shop.cancel_order(other["id"])
    other_line = other["line_items"][0]["id"]
    cancelled_other = shopify_order(other["id"], "SKU-00010", 1, other_line, cancelled=True)
    placed_other = shopify_order(other["id"], "SKU-00010", 1, other_line)
    deliveries = [
        ("orders/create", placed, "evt-a"),
        ("orders/create", placed_other, "evt-b"),
        ("orders/cancelled", cancelled_other, "evt-c"),
    ] * 3
    random.Random(5).shuffle(deliveries)
    for topic, body, event_id in deliveries:
        assert post_shopify(stack, topic, body, event_id).status_code == 200
    # order 91001 takes 4 once; the other is placed and cancelled: nothing, in whatever order
    eventually(lambda: balance(api, "SKU-00010") == before - 4)
    eventually(lambda: woo.quantity("SKU-00010") == before - 4)
    time.sleep(1)
    assert balance(api, "SKU-00010") == before - 4


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("unsigned", 401),
        ("wrong secret", 401),
        ("tampered", 401),
        ("forged channel", 401),
        ("oversized", 413),
    ],
)
def test_a_bad_webhook_is_refused_and_changes_nothing(both, api, stack, case, status):
    before = balance(api, "SKU-00011")
    body = shopify_order(92_000 + len(case), "SKU-00011", 5, 1)
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": f"bad-{case}"}
    url = f"{stack.api_url}/v1/webhooks/shopify/shop"
    if case == "unsigned":
        answer = httpx.post(url, content=body, headers=headers)
    elif case == "wrong secret":
        answer = httpx.post(
            url, content=body, headers={**headers, "X-Shopify-Hmac-Sha256": signed("nope", body)}
        )
    elif case == "tampered":
        signature = signed(SHOP_SECRET, body)
        answer = httpx.post(
            url,
            content=body.replace(b'"quantity": 5', b'"quantity": 50'),
            headers={**headers, "X-Shopify-Hmac-Sha256": signature},
        )
    elif case == "forged channel":
        answer = httpx.post(
            f"{stack.api_url}/v1/webhooks/shopify/nowhere",
            content=body,
            headers={**headers, "X-Shopify-Hmac-Sha256": signed(SHOP_SECRET, body)},
        )
    else:
        big = json.dumps({"id": 1, "line_items": [], "pad": "x" * 5_300_000}).encode()
        answer = httpx.post(
            url, content=big, headers={**headers, "X-Shopify-Hmac-Sha256": signed(SHOP_SECRET, big)}
        )
    assert answer.status_code == status, answer.text
    time.sleep(1)
    assert balance(api, "SKU-00011") == before


def test_a_non_json_webhook_gets_400_and_a_woocommerce_ping_200(both, api, stack):
    body = b"not json at all"
    answer = httpx.post(
        f"{stack.api_url}/v1/webhooks/woocommerce/woo",
        content=body,
        headers={"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Signature": signed(WOO_SECRET, body)},
    )
    assert answer.status_code == 400
    ping = httpx.post(
        f"{stack.api_url}/v1/webhooks/woocommerce/woo",
        content=b"webhook_id=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ping.status_code == 200


def test_a_variant_deleted_or_a_sku_changed_on_the_channel_unlinks(both, api):
    shop, woo = both
    shop.edit_by_hand("SKU-00030", {"sku": "RENAMED-30"})
    eventually(lambda: _link(api, "SKU-00030", "shop")["status"] == "unlinked")
    assert (
        "changed on 'shop' from 'SKU-00030' to 'RENAMED-30'"
        in _link(api, "SKU-00030", "shop")["unlinked_reason"]
    )
    woo.delete_by_hand("SKU-00031")
    eventually(lambda: _link(api, "SKU-00031", "woo")["status"] == "unlinked")
    assert "deleted on 'woo'" in _link(api, "SKU-00031", "woo")["unlinked_reason"]


def _link(api, sku: str, channel: str) -> dict:
    return next(link for link in api.listing(sku)["links"] if link["channel"] == channel)
