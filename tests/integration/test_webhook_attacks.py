"""Webhooks that cannot be replayed, twisted or lost (issue 17, part 3), on moto with the Shopify
sandbox: each attack as the door and the worker meet it. Only the body is signed: its topic, event
id and shop headers are the sender's to choose."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.client
import httpx
import pytest
from botocore.exceptions import ClientError

from functions.webhook_worker import handler as worker_function
from functions.webhooks import handler as webhooks_function
from shared.channels import retry
from shared.channels.base import ChannelError
from shared.domain.channel import Channel, ChannelType
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.messages import WebhookMessage
from shared.domain.webhooks import delivery_key, trimmed
from shared.services.channel_events import handle
from shared.services.webhooks import MAX_QUEUED_BYTES
from shared.settings import settings
from shared.storage import channels, links, listings, secrets, webhook_bodies
from shared.storage.aws import client
from tests.e2e.test_auto_sync import signed
from tidemark.local.lambdas import LocalContext
from tidemark.local.pollers import wait_until_drained
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.integration

CHANNEL, SECRET = "attacks", "attack-secret"


@pytest.fixture(scope="module")
def shop(stack, api):
    sandbox = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": CHANNEL,
            "type": "shopify",
            "store_url": sandbox.url,
            "webhook_secret": SECRET,
            "allow_insecure_url": True,
        }
        | sandbox.credentials
    )
    return sandbox.store


USED: set[str] = set()


@pytest.fixture
def variant(shop):
    """A sandbox variant not used before, in master with auto sync off, linked in sync."""
    found = next(v for v in shop.variants() if v.quantity >= 5 and v.status == "ACTIVE" and v.sku not in USED)
    USED.add(found.sku)
    listings.put_many([Listing(sku=found.sku, on_hand=found.quantity, updated_at=datetime.now(UTC))])
    links.put_many(
        [
            Link(
                sku=found.sku,
                channel=CHANNEL,
                status=LinkStatus.LINKED,
                variant_id=found.variant_id,
                product_id=found.product_id,
                inventory_item_id=found.inventory_item_id,
                location_id=found.location_id,
                matched_value=found.sku,
                last_pushed_quantity=found.quantity,
                last_observed_quantity=found.quantity,
                sync_state=SyncState.IN_SYNC,
                updated_at=datetime.now(UTC),
            )
        ]
    )
    return found


def number(gid: str) -> int:
    return int(gid.rsplit("/", 1)[-1])


def now(**delta: float) -> str:
    return (datetime.now(UTC).replace(microsecond=0) + timedelta(**delta)).isoformat()


def order(sku: str, quantity: int, *, cancelled: bool = False) -> dict[str, Any]:
    at = now(seconds=1 if cancelled else 0)
    return {
        "id": uuid.uuid4().int % 10**12,
        "email": "shopper@example.com",
        "updated_at": at,
        "cancelled_at": at if cancelled else None,
        "line_items": [{"id": 1, "sku": sku, "quantity": quantity, "name": "A thing"}],
    }


def shopify_headers(topic: str, raw: bytes, secret: str = SECRET, **headers: str) -> dict[str, str]:
    return {
        "x-shopify-topic": topic,
        "x-shopify-event-id": f"evt-{uuid.uuid4().hex}",
        "x-shopify-hmac-sha256": signed(secret, raw),
        **headers,
    }


def post(
    topic: str, body: bytes | dict[str, Any], channel: str = CHANNEL, secret: str = SECRET, **headers: str
) -> dict[str, Any]:
    """A signed delivery through the webhooks function, as API Gateway hands it over; its answer."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    event = {
        "version": "2.0",
        "routeKey": "POST /v1/webhooks/shopify/{channel}",
        "rawPath": f"/v1/webhooks/shopify/{channel}",
        "rawQueryString": "",
        "headers": shopify_headers(topic, raw, secret, **headers),
        "requestContext": {"http": {"method": "POST", "path": f"/v1/webhooks/shopify/{channel}"}},
        "pathParameters": {"channel": channel},
        "body": raw.decode(),
        "isBase64Encoded": False,
    }
    context = LocalContext("webhooks", "arn:aws:lambda:us-east-1:123456789012:function:webhooks", 512, 5)
    answer = webhooks_function.lambda_handler(event, context)
    assert wait_until_drained(client("sqs"), [settings().webhook_queue_url], timeout_s=60)
    return {"status": answer["statusCode"], **json.loads(answer["body"])}


def on_hand(sku: str) -> int:
    listing = listings.get(sku)
    assert listing is not None
    return listing.on_hand


def link_of(sku: str) -> Link:
    return links.get_many(CHANNEL, [sku])[sku]


def test_a_body_replayed_with_a_new_event_id_is_a_duplicate(shop, variant):
    body = order(variant.sku, 2)
    assert post("orders/create", body)["message"] == "queued"
    assert on_hand(variant.sku) == variant.quantity - 2
    replayed = post("orders/create", body, **{"x-shopify-event-id": "a-new-event-id"})
    assert (replayed["status"], replayed["message"]) == (200, "duplicate")
    assert on_hand(variant.sku) == variant.quantity - 2


def test_an_orders_create_body_sent_as_orders_cancelled_is_refused(shop, variant):
    body = order(variant.sku, 3)
    assert post("orders/create", body)["message"] == "queued"
    twisted = post("orders/cancelled", body)
    assert twisted["status"] == 400 and "cancelled_at" in twisted["message"]
    assert on_hand(variant.sku) == variant.quantity - 3  # nothing put back


def test_a_product_update_sent_as_a_delete_is_refused(shop, variant):
    body = {
        "id": number(variant.product_id),
        "updated_at": now(),
        "title": "A product",
        "variants": [
            {
                "inventory_item_id": number(variant.inventory_item_id),
                "sku": variant.sku,
                "inventory_quantity": 7,
            }
        ],
    }
    twisted = post("products/delete", body)
    assert twisted["status"] == 400 and "id alone" in twisted["message"]
    assert link_of(variant.sku).status is LinkStatus.LINKED


def test_a_delete_of_a_product_the_channel_still_has_unlinks_nothing(shop, variant):
    """A delete's body is the product's id alone: one replayed, or sent for another product, is
    read back from the channel before anything is unlinked."""
    assert post("products/delete", {"id": number(variant.product_id)})["message"] == "queued"
    assert link_of(variant.sku).status is LinkStatus.LINKED


def forged_cancel(placed: dict[str, Any]) -> dict[str, Any]:
    """A sandbox order's body as a cancel the store never made, timed an hour ahead."""
    return {**placed, "updated_at": now(hours=1), "cancelled_at": now(hours=1)}


def test_a_signed_cancel_the_store_has_not_made_puts_nothing_back_and_spoils_no_order(shop, variant):
    """A cancel is read back from the channel first: a forged one (a leaked secret, an altered or
    replayed body) arriving before its order would otherwise mark the lines cancelled, so that the
    order took nothing off master. Its time is not recorded either: the real webhooks that follow
    are not stale."""
    placed = shop.place_order([(variant.sku, 2)])
    assert post("orders/cancelled", forged_cancel(placed))["message"] == "queued"
    assert on_hand(variant.sku) == variant.quantity
    body = json.dumps(forged_cancel(placed))
    assert handle(CHANNEL, ChannelType.SHOPIFY, "orders/cancelled", body) == {"cancel_not_confirmed": 1}

    assert post("orders/create", {**placed, "updated_at": now()})["message"] == "queued"
    assert on_hand(variant.sku) == variant.quantity - 2
    cancelled = shop.cancel_order(placed["id"])  # the store's own cancel: put back, once
    assert post("orders/cancelled", cancelled)["message"] == "queued"
    assert on_hand(variant.sku) == variant.quantity
    assert handle(CHANNEL, ChannelType.SHOPIFY, "orders/cancelled", json.dumps(cancelled)) == {"put_back": 0}
    assert on_hand(variant.sku) == variant.quantity


def test_a_signed_cancel_of_an_order_the_store_does_not_know_puts_nothing_back(shop, variant):
    body = order(variant.sku, 2, cancelled=True)
    assert post("orders/cancelled", body)["message"] == "queued"
    assert handle(CHANNEL, ChannelType.SHOPIFY, "orders/cancelled", json.dumps(body)) == {
        "cancel_not_confirmed": 1
    }
    assert post("orders/create", {**body, "cancelled_at": None})["message"] == "queued"
    assert on_hand(variant.sku) == variant.quantity - 2  # the order still takes its lines


@pytest.fixture
def store_down(shop, monkeypatch):
    """The sandbox answering every API call with a 5xx, and the client's backoff made short."""
    monkeypatch.setattr(retry, "BACKOFF_BASE_SECONDS", 0.001)
    monkeypatch.setattr(retry, "BACKOFF_MAX_SECONDS", 0.001)
    shop.faults.configure(FaultRates(server_error=1.0))
    yield
    shop.faults.configure(FaultRates())


def test_a_cancel_the_store_cannot_confirm_now_is_left_to_the_queue_and_applied_later(
    shop, variant, store_down
):
    placed = shop.place_order([(variant.sku, 3)])
    assert post("orders/create", {**placed, "updated_at": now()})["message"] == "queued"
    cancelled = shop.cancel_order(placed["id"])
    message = WebhookMessage(
        channel=CHANNEL,
        type=ChannelType.SHOPIFY,
        topic="orders/cancelled",
        delivery=uuid.uuid4().hex,
        body=json.dumps(cancelled),
    )
    record = sqs_record(message, f"{CHANNEL}#order:{placed['id']}")
    with pytest.raises(ChannelError) as raised:
        handle(CHANNEL, ChannelType.SHOPIFY, "orders/cancelled", message.body)
    assert raised.value.retryable

    # another group's record in the batch: a batch whose every record failed is raised whole
    other = WebhookMessage(
        channel=CHANNEL,
        type=ChannelType.SHOPIFY,
        topic="inventory_levels/update",
        delivery=uuid.uuid4().hex,
        body=json.dumps({"inventory_item_id": 55_000_002, "available": 1, "updated_at": now()}),
    )
    batch = {"Records": [record, sqs_record(other, f"{CHANNEL}#item:55000002")]}
    answer = worker_function.lambda_handler(batch, worker_context())
    assert [failure["itemIdentifier"] for failure in answer["batchItemFailures"]] == [record["messageId"]]
    assert on_hand(variant.sku) == variant.quantity - 3

    shop.faults.configure(FaultRates())  # the store is back: the queue's next delivery applies it
    assert worker_function.lambda_handler({"Records": [record]}, worker_context()) == {
        "batchItemFailures": []
    }
    assert on_hand(variant.sku) == variant.quantity


def test_a_delivery_older_than_the_window_is_dropped(shop, variant):
    body = order(variant.sku, 2)
    body["updated_at"] = now(hours=-49)
    answer = post("orders/create", body)
    assert (answer["status"], answer["message"]) == (200, "too old")
    assert on_hand(variant.sku) == variant.quantity


def test_a_delivery_older_than_what_was_applied_to_its_resource_is_dropped(shop, variant):
    item = number(variant.inventory_item_id)
    newer = {"inventory_item_id": item, "available": variant.quantity, "updated_at": now()}
    older = {"inventory_item_id": item, "available": 1, "updated_at": now(minutes=-5)}
    assert post("inventory_levels/update", newer)["message"] == "queued"
    assert post("inventory_levels/update", older)["message"] == "queued"  # within the window
    link = link_of(variant.sku)
    assert (link.sync_state, link.last_observed_quantity) == (SyncState.IN_SYNC, variant.quantity)
    assert handle(CHANNEL, ChannelType.SHOPIFY, "inventory_levels/update", json.dumps(older)) == {"stale": 1}


@pytest.fixture
def other_shops():
    """Two channels on real myshopify.com stores sharing one app (and so one webhook secret)."""
    names = []
    for shop_name in ("shop-a", "shop-b"):
        name = f"{shop_name}-{uuid.uuid4().hex[:6]}"
        channels.create(
            Channel(
                name=name,
                type=ChannelType.SHOPIFY,
                store_url=f"https://{shop_name}.myshopify.com",
                created_at=datetime.now(UTC),
            )
        )
        secrets.store(name, {"token": "shpat_x", "webhook_secret": SECRET})
        names.append(name)
    return names


def test_a_body_for_one_shop_posted_to_another_shops_channel_is_refused(other_shops):
    _, shop_b = other_shops
    body = order("SKU-NOT-LINKED", 1)
    answer = post("orders/create", body, channel=shop_b, **{"x-shopify-shop-domain": "shop-a.myshopify.com"})
    assert answer["status"] == 400 and "shop-a.myshopify.com" in answer["message"]
    taken = post("orders/create", body, channel=shop_b, **{"x-shopify-shop-domain": "shop-b.myshopify.com"})
    assert taken["message"] == "queued"


class LambdaTimedOut(BaseException):
    """What Lambda's timeout does to a handler: it stops, no `except Exception` runs."""


@contextlib.contextmanager
def intercepted(before_call: Callable[[str, dict[str, Any]], None]) -> Iterator[None]:
    """Every AWS call made meanwhile (any thread) goes through `before_call` first, which may raise."""
    original = botocore.client.BaseClient._make_api_call

    def make_api_call(self: Any, operation: str, params: dict[str, Any]) -> Any:
        before_call(operation, params)
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def is_queued(operation: str, params: dict[str, Any]) -> bool:
    return operation == "SendMessage" and params.get("QueueUrl") == settings().webhook_queue_url


@pytest.fixture
def queueing_times_out_once() -> Iterator[None]:
    calls = {"sent": 0}

    def time_out_once(operation: str, params: dict[str, Any]) -> None:
        if is_queued(operation, params):
            calls["sent"] += 1
            if calls["sent"] == 1:
                raise LambdaTimedOut

    with intercepted(time_out_once):
        yield


def test_a_timeout_between_recording_and_queueing_lets_the_retry_in(shop, variant, queueing_times_out_once):
    body, event = order(variant.sku, 2), {"x-shopify-event-id": f"evt-{uuid.uuid4().hex}"}
    with pytest.raises(LambdaTimedOut):
        post("orders/create", body, **event)
    retry = post("orders/create", body, **event)  # Shopify's retry: the same event
    assert (retry["status"], retry["message"]) == (200, "queued")
    assert on_hand(variant.sku) == variant.quantity - 2


def product_update(variant: Any, others: list[dict[str, Any]], **fields: Any) -> bytes:
    """A products/update of the variant's product: the variant's quantity 9 up, then `others`."""
    mine = {
        "id": 1,
        "inventory_item_id": number(variant.inventory_item_id),
        "sku": variant.sku,
        "inventory_quantity": variant.quantity + 9,
    }
    product = {"id": number(variant.product_id), "updated_at": now(), **fields, "variants": [mine, *others]}
    return json.dumps(product).encode()


def other_variants(count: int, sku_length: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "inventory_item_id": 10**9 + n,
            "sku": f"BIG-{n:05d}-".ljust(sku_length, "x"),
            "inventory_quantity": 1,
            **fields,
        }
        for n in range(count)
    ]


def seen_nine_up(variant: Any) -> bool:
    link = link_of(variant.sku)
    return (link.sync_state, link.last_observed_quantity) == (SyncState.OUT_OF_SYNC, variant.quantity + 9)


def test_a_signed_300_kib_products_update_is_taken_and_applied(shop, variant):
    body = product_update(
        variant,
        other_variants(2_000, 10, title="x" * 60),
        body_html="<p>" + "a long description " * 2_000 + "</p>",
    )
    assert len(body) > 300 * 1024
    answer = post("products/update", body)
    assert (answer["status"], answer["message"]) == (200, "queued")
    assert seen_nine_up(variant)


def test_a_products_update_past_the_queue_even_trimmed_is_kept_in_s3_and_applied(shop, variant):
    """Shopify's most variants, 2,048, with 200-character SKUs: what the worker reads is over what a
    queue message holds, so the body goes to S3 and the message carries its key."""
    body = product_update(variant, other_variants(2_047, 200))
    kept = json.dumps(
        trimmed(ChannelType.SHOPIFY, "products/update", json.loads(body)), separators=(",", ":")
    )
    assert len(kept.encode()) > MAX_QUEUED_BYTES
    sent: list[str] = []
    with intercepted(
        lambda op, params: sent.append(params["MessageBody"]) if is_queued(op, params) else None
    ):
        answer = post("products/update", body)
    assert (answer["status"], answer["message"]) == (200, "queued")
    key = webhook_bodies.key_for(CHANNEL, delivery_key("products/update", body))
    assert webhook_bodies.get(key) == kept
    (queued,) = [WebhookMessage.model_validate_json(message) for message in sent]
    assert (queued.body, queued.body_key) == ("", key)
    assert len(sent[0].encode()) < 1024
    assert seen_nine_up(variant)
    again = post("products/update", body, **{"x-shopify-event-id": "a-new-event-id"})
    assert (again["status"], again["message"]) == (200, "duplicate")


def test_a_body_s3_does_not_take_is_answered_5xx_queued_never_and_taken_on_the_retry(stack, shop, variant):
    body = product_update(variant, other_variants(2_047, 200))
    headers = shopify_headers("products/update", body)
    url = f"{stack.api_url}/v1/webhooks/shopify/{CHANNEL}"
    sent: list[dict[str, Any]] = []

    def s3_fails(operation: str, params: dict[str, Any]) -> None:
        if is_queued(operation, params):
            sent.append(params)
        if operation == "PutObject":
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "S3 is down"}}, operation)

    with intercepted(s3_fails):
        failed = httpx.post(url, content=body, headers=headers, timeout=60)
    assert failed.status_code >= 500 and sent == []
    retry = httpx.post(url, content=body, headers=headers, timeout=60)  # Shopify's retry: the same event
    assert (retry.status_code, retry.json()["message"]) == (200, "queued")
    assert wait_until_drained(client("sqs"), [settings().webhook_queue_url], timeout_s=60)
    assert seen_nine_up(variant)


def sqs_record(message: WebhookMessage, group: str) -> dict[str, Any]:
    return {
        "messageId": uuid.uuid4().hex,
        "receiptHandle": uuid.uuid4().hex,
        "body": message.model_dump_json(),
        "attributes": {"MessageGroupId": group, "ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:webhooks.fifo",
        "awsRegion": "us-east-1",
    }


def worker_context() -> LocalContext:
    return LocalContext(
        "webhook-worker", "arn:aws:lambda:us-east-1:123456789012:function:webhook-worker", 512, 60
    )


def test_a_poison_inventory_webhook_holds_back_only_its_own_group(shop, variant):
    def level(item: int, available: object) -> WebhookMessage:
        body = {"inventory_item_id": item, "available": available, "updated_at": now()}
        return WebhookMessage(
            channel=CHANNEL,
            type=ChannelType.SHOPIFY,
            topic="inventory_levels/update",
            delivery=uuid.uuid4().hex,
            body=json.dumps(body),
        )

    mine = number(variant.inventory_item_id)
    poison = sqs_record(level(55_000_001, "not a number"), f"{CHANNEL}#item:55000001")
    after_poison = sqs_record(level(55_000_001, 3), f"{CHANNEL}#item:55000001")
    other = sqs_record(level(mine, variant.quantity + 4), f"{CHANNEL}#item:{mine}")
    answer = worker_function.lambda_handler({"Records": [poison, after_poison, other]}, worker_context())
    failed = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}
    assert failed == {poison["messageId"], after_poison["messageId"]}
    assert link_of(variant.sku).last_observed_quantity == variant.quantity + 4
