"""Webhooks on moto: an order line is applied once however its webhooks arrive (duplicated,
reordered, concurrent), and the door drops a duplicate delivery and refuses what it cannot take.
(The worker and the door delivered twice: test_duplicate_delivery.py.)"""

import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.client import BaseClient

from functions.auto_push import handler as auto_push_function
from functions.webhook_worker import handler as worker_function
from shared.domain.channel import ChannelType
from shared.domain.channel_events import OrderLine
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.messages import AutoPushMessage, PushOrigin, WebhookMessage
from shared.services import autosync, channel_events
from shared.services.autosync import queue_pushes
from shared.services.channel_events import handle
from shared.services.webhooks import MAX_BODY_BYTES, receive
from shared.settings import settings
from shared.storage import applied, history, links, listings, orders
from shared.storage.aws import client
from tests.e2e.test_auto_sync import eventually, signed
from tests.fakes import sqs_record
from tidemark.local.lambdas import LocalContext
from tidemark.local.pollers import wait_until_drained

pytestmark = pytest.mark.integration
SECRET = "worker-secret"


def added(api, name: str, sandbox) -> str:
    """A channel of the sandbox, signed with SECRET."""
    api.add_channel(
        {
            "name": name,
            "type": sandbox.channel_type,
            "store_url": sandbox.url,
            "allow_insecure_url": True,
            "webhook_secret": SECRET,
            **sandbox.credentials,
        }
    )
    return name


@pytest.fixture(scope="module")
def channel(stack, api):
    return added(api, "hooks", stack.sandboxes["shopify"])


@pytest.fixture(scope="module")
def woo_channel(stack, api):
    return added(api, "hooks-woo", stack.sandboxes["woocommerce"])


def on_hand(sku: str) -> int:
    listing = listings.get(sku)
    assert listing is not None
    return listing.on_hand


def fresh(sku: str, quantity: int = 10) -> str:
    listings.put_many([Listing(sku=sku, on_hand=quantity, updated_at=datetime.now(UTC))])
    return sku


def test_an_order_line_is_taken_once_and_put_back_once(channel):
    sku = fresh("ORD-1")
    line = OrderLine("1", sku, 3)
    assert [orders.place(channel, "A", line) for _ in range(3)] == [3, 0, 0]
    assert on_hand(sku) == 7
    assert [orders.cancel(channel, "A", line) for _ in range(3)] == [3, 0, 0]
    assert on_hand(sku) == 10
    assert orders.place(channel, "A", line) == 0  # a late duplicate of the order: it ended


def test_a_cancel_before_its_order_takes_nothing(channel):
    sku = fresh("ORD-2")
    line = OrderLine("1", sku, 4)
    assert orders.cancel(channel, "B", line) == 0
    assert orders.place(channel, "B", line) == 0
    assert on_hand(sku) == 10


def test_concurrent_deliveries_of_one_line_take_it_once(channel):
    sku = fresh("ORD-3")
    taken: list[int] = []
    threads = [
        threading.Thread(target=lambda: taken.append(orders.place(channel, "C", OrderLine("1", sku, 2))))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [0, 0, 0, 0, 0, 2]
    assert on_hand(sku) == 8


def test_an_order_can_oversell_master(channel):
    sku = fresh("ORD-4", quantity=1)
    assert orders.place(channel, "D", OrderLine("1", sku, 3)) == 3
    listing = listings.get(sku)
    assert listing is not None and (listing.on_hand, listing.syncable_balance) == (-2, 0)


def test_the_door_drops_a_duplicate_and_refuses_an_oversized_body(channel):
    body = json.dumps({"id": 78, "line_items": [], "updated_at": datetime.now(UTC).isoformat()}).encode()
    headers = {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Event-Id": "evt-door",
        "X-Shopify-Hmac-Sha256": signed(SECRET, body),
    }
    assert receive(ChannelType.SHOPIFY, channel, headers, body).message == "queued"
    again = receive(ChannelType.SHOPIFY, channel, headers, body)
    assert (again.status, again.message) == (200, "duplicate")
    big = b"{" + b" " * MAX_BODY_BYTES + b"}"
    assert (
        receive(
            ChannelType.SHOPIFY, channel, {**headers, "X-Shopify-Hmac-Sha256": signed(SECRET, big)}, big
        ).status
        == 413
    )
    assert receive(ChannelType.WOOCOMMERCE, channel, headers, body).status == 401  # not that channel's type


def test_an_order_moves_its_channels_pushed_quantity_so_the_stock_webhooks_after_it_push_nothing_back(
    channel,
):
    sku = fresh("ORD-5")
    item = "gid://shopify/InventoryItem/99000005"
    links.put_many(
        [
            Link(
                sku=sku,
                channel=channel,
                status=LinkStatus.LINKED,
                inventory_item_id=item,
                matched_value=sku,
                last_pushed_quantity=10,
                last_observed_quantity=10,
                sync_state=SyncState.IN_SYNC,
                updated_at=datetime.now(UTC),
            )
        ]
    )
    order = json.dumps({"id": 501, "line_items": [{"id": 1, "sku": sku, "quantity": 3}]})
    assert handle(channel, ChannelType.SHOPIFY, "orders/create", order)["taken"] == 3
    assert handle(channel, ChannelType.SHOPIFY, "orders/create", order)["taken"] == 0  # once
    link = links.get_many(channel, [sku])[sku]
    assert (link.last_pushed_quantity, link.last_observed_quantity) == (7, 7)
    level = json.dumps({"inventory_item_id": 99000005, "available": 7})
    assert handle(channel, ChannelType.SHOPIFY, "inventory_levels/update", level) == {}  # not a hand edit
    hand = json.dumps({"inventory_item_id": 99000005, "available": 50})
    assert handle(channel, ChannelType.SHOPIFY, "inventory_levels/update", hand)["pushed_back"] == 1


USED: set[str] = set()  # the SKUs the tests below took, one each


def in_master_and_linked(sku: str, quantity: int, channel: str, **ids: str) -> None:
    """The listing in master at `quantity` with auto sync on, linked in sync on `channel`."""
    listings.put_many([Listing(sku=sku, on_hand=quantity, auto_sync=True, updated_at=datetime.now(UTC))])
    links.put_many(
        [
            Link(
                sku=sku,
                channel=channel,
                status=LinkStatus.LINKED,
                matched_value=sku,
                last_pushed_quantity=quantity,
                last_observed_quantity=quantity,
                sync_state=SyncState.IN_SYNC,
                updated_at=datetime.now(UTC),
                **ids,
            )
        ]
    )


def linked_variant(stack, channel: str):
    """A Shopify sandbox variant not used before, its listing in master at its quantity with auto
    sync on, linked in sync on `channel`."""
    shop = stack.sandboxes["shopify"].store
    variant = next(
        v for v in shop.variants() if v.quantity >= 5 and v.status == "ACTIVE" and v.sku not in USED
    )
    USED.add(variant.sku)
    in_master_and_linked(
        variant.sku,
        variant.quantity,
        channel,
        variant_id=variant.variant_id,
        product_id=variant.product_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=variant.location_id,
    )
    return shop, variant


def linked_simple_product(stack, channel: str):
    """A WooCommerce sandbox simple product not used before, in master and linked as
    linked_variant does."""
    store = stack.sandboxes["woocommerce"].store
    variant = next(
        v for v in store.variants() if v.variation_id is None and v.quantity >= 5 and v.sku not in USED
    )
    USED.add(variant.sku)
    item = str(variant.product_id)
    in_master_and_linked(
        variant.sku, variant.quantity, channel, variant_id=item, product_id=item, inventory_item_id=item
    )
    return store, variant


def channel_edit_pushes(sku: str, channel: str) -> list[str]:
    entries, _ = history.for_listing(sku, channel=channel)
    return [e.to_value for e in entries if e.field == "quantity" and e.job_id == PushOrigin.CHANNEL_EDIT]


def test_a_sales_stock_webhook_before_its_order_causes_no_push_back(stack, channel):
    """Found by bench/auto_sync_latency.py: each channel resource is its own webhook message group,
    so a sale's inventory_levels/update often ran before its orders/create and looked like a hand
    edit. Its push-back first sent master's quantity from before the sale back to the channel (an
    oversell window); then, delayed a few seconds (template.yaml PushBackQueue), it sent the sale's
    balance the channel already held (378 push-backs in 500 orders). Now it is not sent at all:
    when it is due, master agrees with what the channel holds."""
    shop, variant = linked_variant(stack, channel)
    sold = variant.quantity - 2
    order = shop.place_order([(variant.sku, 2)])
    assert shop.quantity(variant.sku) == sold
    item = int(variant.inventory_item_id.rsplit("/", 1)[-1])
    level = json.dumps({"inventory_item_id": item, "available": sold})
    assert handle(channel, ChannelType.SHOPIFY, "inventory_levels/update", level)["pushed_back"] == 1
    assert wait_until_drained(client("sqs"), [settings().auto_push_queue_url], 30)  # then the order comes
    body = json.dumps({"id": order["id"], "line_items": [{"id": 1, "sku": variant.sku, "quantity": 2}]})
    assert handle(channel, ChannelType.SHOPIFY, "orders/create", body)["taken"] == 2
    # the stock report already held the sale: the push-back will expect what the channel holds
    # (no stale compare-and-set, no re-read and retry)
    link = links.get_many(channel, [variant.sku])[variant.sku]
    assert (link.last_observed_quantity, link.last_pushed_quantity) == (sold, sold)

    assert wait_until_drained(
        client("sqs"), [settings().auto_push_queue_url, settings().push_back_queue_url], 60
    )
    assert on_hand(variant.sku) == sold
    assert shop.quantity(variant.sku) == sold
    entries, _ = history.for_listing(variant.sku, channel=channel)
    pushed = [e.to_value for e in entries if e.field == "quantity"]
    assert str(variant.quantity) not in pushed, pushed
    assert channel_edit_pushes(variant.sku, channel) == []
    assert links.get_many(channel, [variant.sku])[variant.sku].sync_state is SyncState.IN_SYNC


def test_a_hand_edit_is_still_pushed_back(stack, channel):
    shop, variant = linked_variant(stack, channel)
    shop.edit_by_hand(variant.sku, {"quantity": variant.quantity + 40})
    item = int(variant.inventory_item_id.rsplit("/", 1)[-1])
    level = json.dumps({"inventory_item_id": item, "available": variant.quantity + 40})
    assert handle(channel, ChannelType.SHOPIFY, "inventory_levels/update", level)["pushed_back"] == 1
    assert wait_until_drained(client("sqs"), [settings().push_back_queue_url], 60)

    assert shop.quantity(variant.sku) == variant.quantity  # master's, overwriting the hand edit
    assert channel_edit_pushes(variant.sku, channel) == [str(variant.quantity)]
    assert links.get_many(channel, [variant.sku])[variant.sku].sync_state is SyncState.IN_SYNC


def test_a_push_that_overwrote_a_channels_own_restock_is_sent_again_after_the_cancel(
    stack, woo_channel, monkeypatch
):
    """Found in CI (tests/e2e/test_auto_sync.py): an auto push of master's balance from before a
    cancel landed on WooCommerce after WooCommerce had put the cancelled stock back itself, and
    overwrote it (WooCommerce has no compare-and-set: the last write wins). The cancel then moved
    the link by what the channel had supposedly put back, so auto sync took WooCommerce for
    holding master already and left it 3 short for good. (The stream read the links after the
    cancel moved them about one run in three; here it always does.)"""
    store, variant = linked_simple_product(stack, woo_channel)
    sku = variant.sku
    queues = [settings().auto_push_queue_url, settings().push_back_queue_url]
    reads, order_read, shifted = [], threading.Event(), threading.Event()
    shift, read = links.shift_pushed_quantity, autosync._read_links

    def reading(skus, channel):
        """The order's read goes at once, so does the stale push's; the cancel's waits for its shift."""
        if sku in skus:
            reads.append(skus)
            if len(reads) == 1:
                order_read.set()
            elif len(reads) > 2:
                shifted.wait(10)
        return read(skus, channel)

    monkeypatch.setattr(autosync, "_read_links", reading)
    order = store.place_order([(sku, 3)])
    lines = [{"id": 1, "sku": sku, "quantity": 3}]
    placed = json.dumps({"id": order["id"], "status": "processing", "line_items": lines})
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.created", placed)["taken"] == 3
    assert order_read.wait(10)
    assert wait_until_drained(client("sqs"), queues, 30)

    store.cancel_order(order["id"])
    assert store.quantity(sku) == variant.quantity  # WooCommerce put it back itself
    queue_pushes([sku], PushOrigin.AUTO_SYNC)  # master's balance from before the cancel lands after it
    eventually(lambda: store.quantity(sku) == variant.quantity - 3)
    cancelled = json.dumps({"id": order["id"], "status": "cancelled", "line_items": lines})
    monkeypatch.setattr(links, "shift_pushed_quantity", lambda *a: (shift(*a), shifted.set())[0])
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.updated", cancelled)["put_back"] == 3

    assert on_hand(sku) == variant.quantity
    eventually(lambda: store.quantity(sku) == variant.quantity)


def test_a_woocommerce_cancel_is_read_back_before_anything_is_put_back(stack, woo_channel):
    """order.updated with status cancelled puts the lines back only once WooCommerce's own
    GET /orders/{id} says cancelled: a forged one, or one for an order the store does not know,
    changes nothing."""
    store, variant = linked_simple_product(stack, woo_channel)
    sku = variant.sku
    placed = store.place_order([(sku, 3)])
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.created", json.dumps(placed))["taken"] == 3

    def cancel_of(order: dict) -> str:
        return json.dumps({**order, "status": "cancelled"})

    not_confirmed = {"cancel_not_confirmed": 1}
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.updated", cancel_of(placed)) == not_confirmed
    unknown = cancel_of({**placed, "id": 999_999})
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.updated", unknown) == not_confirmed
    assert on_hand(sku) == variant.quantity - 3

    cancelled = json.dumps(store.cancel_order(placed["id"]))
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.updated", cancelled) == {"put_back": 3}
    assert handle(woo_channel, ChannelType.WOOCOMMERCE, "order.updated", cancelled) == {"put_back": 0}
    assert on_hand(sku) == variant.quantity


def counted_calls(monkeypatch) -> Counter[str]:
    """Every DynamoDB item this thread reads or writes from now on, as 'Operation KIND' (KIND the
    item's PK up to its first #; a BatchGetItem counted once for each kind it reads)."""
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def kind(key: dict[str, Any]) -> str:
        pk = key.get("PK", "")
        return str(next(iter(pk.values())) if isinstance(pk, dict) else pk).split("#", 1)[0]

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        key = params.get("Key") or params.get("Item")
        asked = [r for r in params.get("RequestItems", {}).values() if isinstance(r, dict)]  # reads
        batch = [k for request in asked for k in request.get("Keys", [])]
        if threading.get_ident() == mine:  # not the local stack's own threads
            for name in {kind(k) for k in ([key] if isinstance(key, dict) else []) + batch}:
                calls[f"{operation} {name}"] += 1
        return original(self, operation, params)

    mine = threading.get_ident()

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return calls


def lambda_context(name: str) -> LocalContext:
    return LocalContext(name, f"arn:aws:lambda:us-east-1:123456789012:function:{name}", 512, 60)


def test_a_webhook_batch_reads_when_its_resources_were_last_applied_once(channel, monkeypatch):
    """Profiled under bench/auto_sync_latency.py (issue 23): the worker read each message's APPLIED
    item with a GetItem of its own, 4 an order. A batch now reads them in one BatchGetItem, and
    still drops a message older than one its batch applied before it on the same resource."""
    at = datetime.now(UTC).replace(microsecond=0)
    items = [880_001 + n for n in range(5)]

    def level(item: int, when: datetime) -> dict[str, Any]:
        body = json.dumps({"inventory_item_id": item, "available": 4, "updated_at": when.isoformat()})
        message = WebhookMessage(
            channel=channel,
            type=ChannelType.SHOPIFY,
            topic="inventory_levels/update",
            delivery=uuid.uuid4().hex,
            body=body,
        )
        return sqs_record(message.model_dump_json(), f"{channel}#item:{item}")

    records = [level(item, at) for item in items] + [level(items[0], at - timedelta(seconds=5))]
    applying = channel_events._apply
    events: list[object] = []
    monkeypatch.setattr(channel_events, "_apply", lambda c, e: (events.append(e), applying(c, e))[1])
    calls = counted_calls(monkeypatch)
    event = {"Records": records}
    assert worker_function.lambda_handler(event, lambda_context("webhook-worker")) == {
        "batchItemFailures": []
    }
    assert (calls["BatchGetItem APPLIED"], calls["GetItem APPLIED"]) == (1, 0)
    assert calls["PutItem APPLIED"] == len(items)  # the stale one records nothing
    assert len(events) == len(items)  # and applies nothing
    assert all(applied.last(channel, f"item:{item}") == at for item in items)


def test_an_auto_push_batch_reads_its_channels_config_once(stack, channel, monkeypatch):
    """Profiled under bench/auto_sync_latency.py (issue 23): each auto-push message read its
    channel, location map, rules and guard again (four GetItems a message, about eleven an order).
    A batch reads each once; every message is still pushed."""
    variants = [linked_variant(stack, channel)[1] for _ in range(3)]
    assert wait_until_drained(client("sqs"), [settings().auto_push_queue_url], 30)
    listings.put_many(
        [
            Listing(sku=v.sku, on_hand=v.quantity - 1, auto_sync=False, updated_at=datetime.now(UTC))
            for v in variants
        ]
    )
    records = [
        sqs_record(
            AutoPushMessage(channel=channel, origin=PushOrigin.AUTO_SYNC, skus=[v.sku]).model_dump_json(),
            f"{channel}#{n}",
        )
        for n, v in enumerate(variants)
    ]
    calls = counted_calls(monkeypatch)
    event = {"Records": records}
    assert auto_push_function.lambda_handler(event, lambda_context("auto-push")) == {"batchItemFailures": []}
    assert (calls["GetItem CHANNELS"], calls["GetItem LOCATIONS"], calls["GetItem RULES"]) == (1, 1, 2)
    shop = stack.sandboxes["shopify"].store
    assert [shop.quantity(v.sku) for v in variants] == [v.quantity - 1 for v in variants]
