"""The dashboard's and the refusal alarms' figures (template.yaml), as the handlers print them in
CloudWatch's embedded metric format: per channel, and never under a channel an unsigned request
named. And what an ended job leaves: it and its SKU list expire by the table's TTL."""

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.webhooks import handler as webhooks_function
from shared.domain.job import Job, JobKind, JobStatus
from shared.settings import settings
from shared.storage import jobs
from tests.e2e.test_auto_sync import shopify_order, signed
from tidemark.local.lambdas import LocalContext

pytestmark = pytest.mark.integration

CHANNEL = "figures"
SECRET = "figures-secret"


@pytest.fixture(scope="module")
def channel(stack, api):
    shop = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": CHANNEL,
            "type": "shopify",
            "store_url": shop.url,
            "allow_insecure_url": True,
            "webhook_secret": SECRET,
            **shop.credentials,
        }
    )
    return CHANNEL


@pytest.fixture
def figures(monkeypatch, capsys):
    """What the handlers print as EMF from here on (local mode switches metrics off; on here)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()

    def read() -> list[dict[str, Any]]:
        lines = [
            json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')
        ]
        return lines

    return read


def figure(lines: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [line for line in lines if name in line]


def webhook(channel: str, body: bytes, signature: str, event_id: str = "") -> dict[str, Any]:
    event = {
        "version": "2.0",
        "routeKey": "POST /v1/webhooks/shopify/{channel}",
        "rawPath": f"/v1/webhooks/shopify/{channel}",
        "rawQueryString": "",
        "headers": {
            "x-shopify-topic": "orders/create",
            "x-shopify-event-id": event_id or f"evt-{uuid.uuid4().hex}",
            "x-shopify-hmac-sha256": signature,
        },
        "requestContext": {"http": {"method": "POST", "path": f"/v1/webhooks/shopify/{channel}"}},
        "pathParameters": {"channel": channel},
        "body": body.decode(),
        "isBase64Encoded": False,
    }
    context = LocalContext("webhooks", "arn:aws:lambda:us-east-1:123456789012:function:webhooks", 512, 5)
    answer: dict[str, Any] = webhooks_function.lambda_handler(event, context)
    return answer


def test_a_webhook_is_counted_queued_then_duplicate_under_its_channel(channel, figures):
    body = shopify_order(88_001, "SKU-DASH", 1, 1)
    event_id = f"evt-{uuid.uuid4().hex}"
    for _ in range(2):
        assert webhook(channel, body, signed(SECRET, body), event_id)["statusCode"] == 200
    lines = figures()
    (queued,) = figure(lines, "queued")
    (duplicate,) = figure(lines, "duplicates")
    assert queued["channel"] == duplicate["channel"] == channel
    assert queued["queued"] == duplicate["duplicates"] == [1.0]
    (metrics,) = queued["_aws"]["CloudWatchMetrics"]
    assert metrics["Namespace"] == "Tidemark"
    assert set(metrics["Dimensions"][0]) == {"channel", "service"}


def test_a_refusal_is_counted_without_the_channel_its_sender_named(channel, figures):
    body = json.dumps({"id": 88_002}).encode()
    assert webhook(channel, body, signed("not-the-secret", body))["statusCode"] == 401
    assert webhook(f"made-up-{uuid.uuid4().hex[:8]}", body, signed(SECRET, body))["statusCode"] == 401
    refused = figure(figures(), "refused_401")
    assert [line["channel"] for line in refused] == ["unverified", "unverified"]


def test_an_ended_job_is_counted_with_its_duration_and_expires_with_its_skus(stack, api, channel, figures):
    skus = [variant.sku for variant in stack.sandboxes["shopify"].store.variants()][:3]
    api.import_listings("sku,on_hand\n" + "".join(f"{sku},5\n" for sku in skus))
    api.wait_for_job(api.start_job({"channel": channel, "kind": "link"})["id"])
    job = api.start_job({"channel": channel, "kind": "sync", "mode": "selected", "skus": skus})
    ended = api.wait_for_job(job["id"])
    lines = figures()
    (outcome,) = [line for line in figure(lines, f"job_{ended['status']}") if line["kind"] == "sync"]
    assert outcome["channel"] == channel
    (duration,) = [line for line in figure(lines, "job_seconds") if line["kind"] == "sync"]
    assert duration["channel"] == channel and duration["job_seconds"][0] >= 0

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(settings().table_name)
    item = table.get_item(Key={"PK": f"JOB#{job['id']}", "SK": "JOB"})["Item"]
    retention = settings().history_retention_days * 86400
    assert abs(int(item["expires_at"]) - (time.time() + retention)) < 600
    selected = table.query(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :sku)",
        ExpressionAttributeValues={":pk": f"JOB#{job['id']}", ":sku": "SKU#"},
    )["Items"]
    assert len(selected) == len(skus)
    assert all(int(s["expires_at"]) > int(item["expires_at"]) for s in selected)


def test_a_job_expires_only_once_it_ended(stack):
    now = datetime.now(UTC)
    job = Job(id=uuid.uuid4().hex, channel="not-queued-anywhere", kind=JobKind.RECONCILE, created_at=now)
    jobs.create(job)
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(settings().table_name)

    def expiry() -> int | None:
        item = table.get_item(Key={"PK": f"JOB#{job.id}", "SK": "JOB"})["Item"]
        return int(item["expires_at"]) if "expires_at" in item else None

    assert expiry() is None
    running = job.transition(JobStatus.RUNNING, now)
    jobs.save_status(running, expected=JobStatus.QUEUED)
    assert expiry() is None
    ended = running.transition(JobStatus.FAILED, now + timedelta(minutes=5))
    jobs.save_status(ended, expected=JobStatus.RUNNING)
    retention = timedelta(days=settings().history_retention_days)
    assert expiry() == int((now + timedelta(minutes=5) + retention).timestamp())
