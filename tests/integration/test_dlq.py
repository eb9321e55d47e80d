"""Dead letters on the local stack: a poison message of each queue lands in its dead-letter queue,
`dlq list` (the console API) shows what it was and the error its handler recorded, and `dlq redrive`
puts it back, so that once the cause is fixed it is applied; redriving it twice applies it once."""

import re
import time
from contextlib import contextmanager
from datetime import UTC, datetime

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from shared.domain.channel import ChannelType
from shared.domain.listing import Listing
from shared.domain.messages import AutoPushMessage, PushOrigin, WebhookMessage
from shared.services import autosync
from shared.settings import settings
from shared.storage import listings, secrets
from shared.storage.aws import table
from tests.e2e.test_auto_sync import eventually, shopify_order
from tidemark.local.template import REGION

pytestmark = pytest.mark.integration
CHANNEL = "dlq"
SKUS = [f"SKU-{i:05d}" for i in range(1, 21)]
FLAGGED = {"SKU-00005", "SKU-00009"}  # auto sync on


@pytest.fixture(scope="module")
def shop(stack, api):
    rows = "".join(f"{sku},{30 + n},{str(sku in FLAGGED).lower()}\n" for n, sku in enumerate(SKUS))
    api.import_listings("sku,on_hand,auto_sync\n" + rows)
    sandbox = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": CHANNEL,
            "type": "shopify",
            "store_url": sandbox.url,
            "allow_insecure_url": True,
            **sandbox.credentials,
        }
    )
    for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
        job = api.wait_for_job(api.start_job({"channel": CHANNEL, **body})["id"])
        assert job["status"] == "completed", job
    return sandbox.store


@contextmanager
def retried_fast(queue: str):
    """Failed messages of the queue come back after 1 s instead of its 180 s, so a poison message
    reaches the dead-letter queue (5 receives) in seconds. Only while no healthy traffic is in flight:
    a push that takes longer than a second would come back too."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = {"push": settings().push_queue_url, "webhooks": settings().webhook_queue_url}.get(
        queue, settings().auto_push_queue_url
    )
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "1"})
    try:
        yield
    finally:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=before)


def dead_letters(api, queue: str, timeout: float = 40) -> list[dict]:
    """The queue's dead letters, once there is one."""
    found: list[dict] = []

    def some() -> bool:
        found[:] = api.dead_letters(queue)["messages"]
        return bool(found)

    eventually(some, timeout)
    return found


class SecretGone:
    """The channel's credentials deleted from Secrets Manager (and from the handlers' cache)."""

    def __enter__(self):
        self.values = secrets.read(CHANNEL, fresh=True)
        boto3.client("secretsmanager", region_name=REGION).delete_secret(
            SecretId=secrets.name_for(CHANNEL), ForceDeleteWithoutRecovery=True
        )
        parameters.clear_caches()
        return self

    def restore(self) -> None:
        secrets.store(CHANNEL, self.values)
        parameters.clear_caches()

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.restore()


def balance(api, sku: str) -> int:
    return int(api.listing(sku)["syncable_balance"])


def test_a_push_batch_whose_channel_lost_its_secret_is_listed_then_redriven_into_its_running_job(api, shop):
    with SecretGone() as gone, retried_fast("push"):
        api.adjust({"reason": "manual", "sku": "SKU-00003", "on_hand": 7})
        job = api.start_job({"channel": CHANNEL, "kind": "sync", "mode": "selected", "skus": ["SKU-00003"]})
        (letter,) = dead_letters(api, "push")
        assert re.fullmatch(rf"push batch \S+ of job {job['id']} on channel dlq: 1 SKU", letter["what"])
        assert letter["job_id"] == job["id"] and letter["channel"] == CHANNEL
        assert "GetSecretValue" in letter["why"]  # the channel's secret could not be read
        assert letter["receive_count"] == 5 and letter["failed_at"] and letter["sent_at"]
        assert api.job(job["id"])["status"] == "running"  # waiting for its batch
        gone.restore()

    answer = api.redrive("push", [letter["id"]])
    (moved,) = answer["redriven"]
    assert moved["id"] == letter["id"] and f"job {job['id']} is running" in moved["result"]
    finished = api.wait_for_job(job["id"], timeout_s=60)
    assert finished["status"] == "completed", finished
    assert finished["counts"]["pushed"] == 1
    assert shop.quantity("SKU-00003") == balance(api, "SKU-00003") == 7

    again = api.redrive("push", [letter["id"]])
    assert again["redriven"] == [] and again["not_found"] == [letter["id"]]
    assert api.job(job["id"])["counts"] == finished["counts"]
    assert api.dead_letters("push")["messages"] == []


def test_a_push_batch_of_a_job_that_ended_is_counted_once_as_skipped_and_pushes_nothing(api, shop):
    held = shop.quantity("SKU-00004")
    with SecretGone() as gone, retried_fast("push"):
        api.adjust({"reason": "manual", "sku": "SKU-00004", "on_hand": 3})
        job = api.start_job({"channel": CHANNEL, "kind": "sync", "mode": "selected", "skus": ["SKU-00004"]})
        (letter,) = dead_letters(api, "push")
        api.job_action(job["id"], "cancel")
        gone.restore()
    cancelled = api.wait_for_job(job["id"])
    assert cancelled["status"] == "cancelled"

    (moved,) = api.redrive("push", [letter["id"]])["redriven"]
    assert f"job {job['id']} is cancelled" in moved["result"] and "a new sync of dlq" in moved["result"]
    eventually(lambda: api.job(job["id"])["counts"].get("skipped") == 1)
    api.redrive("push")
    time.sleep(2)
    after = api.job(job["id"])
    assert after["status"] == "cancelled" and after["counts"]["skipped"] == 1
    assert shop.quantity("SKU-00004") == held  # a cancelled job's batch pushes nothing


def test_an_auto_sync_push_that_failed_is_listed_then_redriven_once_its_channel_works(api, shop):
    with SecretGone() as gone, retried_fast("auto-push"):
        api.adjust({"reason": "manual", "sku": "SKU-00005", "delta": -4})
        (letter,) = dead_letters(api, "auto-push")
        assert letter["what"] == "auto-sync push of 1 SKU to dlq"
        assert "GetSecretValue" in letter["why"] and letter["receive_count"] == 5
        gone.restore()

    (moved,) = api.redrive("auto-push")["redriven"]
    assert moved["id"] == letter["id"] and moved["result"] == "back on the auto-push queue"
    eventually(lambda: shop.quantity("SKU-00005") == balance(api, "SKU-00005"))
    assert api.redrive("auto-push", [letter["id"]])["not_found"] == [letter["id"]]
    pushes = [
        e
        for e in api.history("SKU-00005", channel=CHANNEL)["entries"]
        if e["job_id"] == "auto-sync" and e["field"] == "quantity"
    ]
    assert len(pushes) == 1


def test_a_webhook_whose_listing_is_gone_is_listed_then_applied_once_it_is_back(api, shop):
    sku = "SKU-00007"
    table().delete_item(Key=listings.key(sku))
    message = WebhookMessage(
        channel=CHANNEL,
        type=ChannelType.SHOPIFY,
        topic="orders/create",
        delivery="E-DLQ-1",
        body=shopify_order(77001, sku, 2, 1).decode(),
    )
    with retried_fast("webhooks"):
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=settings().webhook_queue_url,
            MessageBody=message.model_dump_json(),
            MessageGroupId=CHANNEL,
            MessageDeduplicationId=message.delivery,
        )
        (letter,) = dead_letters(api, "webhooks")
    assert letter["what"] == "shopify webhook orders/create on channel dlq, event E-DLQ-1"
    assert f"SKU '{sku}' has no listing in master" in letter["why"]

    listings.put_many([Listing(sku=sku, on_hand=10, updated_at=datetime.now(UTC))])
    (moved,) = api.redrive(ids=[letter["id"]])["redriven"]
    assert moved["queue"] == "webhooks" and moved["new_id"]
    eventually(lambda: api.listing(sku)["on_hand"] == 8)
    assert api.redrive("webhooks", [letter["id"]])["not_found"] == [letter["id"]]
    time.sleep(1.5)
    assert api.listing(sku)["on_hand"] == 8  # the order line was taken once


def test_listing_consumes_nothing_and_a_redrive_moves_only_the_ids_given_in_order(api, shop):
    sqs = boto3.client("sqs", region_name=REGION)
    sent = [AutoPushMessage(channel="ghost", origin=PushOrigin.SYNC_NOW, skus=[f"G-{n}"]) for n in range(3)]
    for message in sent:  # one FIFO group, as a channel shard's pushes are
        sqs.send_message(
            QueueUrl=settings().auto_push_dead_letter_queue_url,
            MessageBody=message.model_dump_json(),
            MessageGroupId="ghost#0",
            MessageDeduplicationId=message.id,
        )
    first = api.dead_letters("auto-push")
    second = api.dead_letters("auto-push")
    assert [m["id"] for m in first["messages"]] == [m["id"] for m in second["messages"]]
    assert len(second["messages"]) == 3 and second["queues"] == [
        {"queue": "auto-push", "messages": 3, "shown": 3}
    ]
    # never received by a handler: SQS's count, less this read's own receive (earlier reads count)
    assert [m["receive_count"] for m in first["messages"]] == [0, 0, 0]
    ids = [m["id"] for m in second["messages"]]

    middle = api.redrive("auto-push", [ids[1], "no-such-id"])
    assert [m["id"] for m in middle["redriven"]] == [ids[1]] and middle["not_found"] == ["no-such-id"]
    assert [m["id"] for m in api.dead_letters("auto-push")["messages"]] == [ids[0], ids[2]]
    rest = api.redrive("auto-push")
    assert [m["id"] for m in rest["redriven"]] == [ids[0], ids[2]]
    assert api.dead_letters("auto-push")["messages"] == []


def test_a_stream_batch_that_failed_is_listed_then_replayed_as_auto_sync_pushes(api, shop, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RuntimeError("the auto-push queue is unavailable")

    monkeypatch.setattr(autosync, "queue_pushes", unavailable)
    api.adjust({"reason": "manual", "sku": "SKU-00009", "on_hand": 11})
    (letter,) = dead_letters(api, "stream")
    assert letter["what"].startswith("stream batch of 1 listing change (sequence numbers ")
    assert letter["why"] == "RuntimeError: the auto-push queue is unavailable"
    assert letter["receive_count"] == 11  # the first call and its 10 retries
    monkeypatch.undo()
    assert shop.quantity("SKU-00009") != 11

    (moved,) = api.redrive("stream")["redriven"]
    assert moved["result"].startswith("replayed: ") and moved["new_id"] is None
    eventually(lambda: shop.quantity("SKU-00009") == balance(api, "SKU-00009") == 11)
    assert api.redrive("stream", [letter["id"]])["not_found"] == [letter["id"]]
    assert api.dead_letters()["messages"] == []
