"""Dead letters described: what each kind of message was, and why it failed; and the failures the
queue handlers record for them."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import process_partial_response

from shared.domain.channel import ChannelType
from shared.domain.dlq import (
    ERROR_CHARS,
    DeadLetterQueue,
    Failure,
    describe,
    error_text,
    parse_stream_batch,
    why,
)
from shared.domain.messages import AutoPushMessage, PushMessage, PushOrigin, WebhookMessage
from shared.services import failures

pytestmark = pytest.mark.unit
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def stream_failure(**batch_info) -> str:
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
            "responsePayload": {"batchItemFailures": [{"itemIdentifier": "100"}]},
            "DDBStreamBatchInfo": {
                "streamArn": "arn:aws:dynamodb:us-east-1:1:table/t/stream/x",
                "startSequenceNumber": "100",
                "endSequenceNumber": "104",
                "batchSize": 5,
                **batch_info,
            },
        }
    )


def test_a_push_batch_names_its_job_channel_and_size():
    body = PushMessage(job_id="J1", channel="shop", batch_id="3-0", skus=["A"] * 250).model_dump_json()
    described = describe(DeadLetterQueue.PUSH, body)
    assert described.what == "push batch 3-0 of job J1 on channel shop: 250 SKUs"
    assert (described.channel, described.job_id, described.readable) == ("shop", "J1", True)


def test_a_webhook_names_its_topic_and_event():
    shopify = WebhookMessage(
        channel="shop", type=ChannelType.SHOPIFY, topic="orders/create", delivery="E9", body="{}"
    )
    assert (
        describe(DeadLetterQueue.WEBHOOKS, shopify.model_dump_json()).what
        == "shopify webhook orders/create on channel shop, event E9"
    )
    woo = shopify.model_copy(update={"type": ChannelType.WOOCOMMERCE, "topic": "order.created"})
    assert (
        describe(DeadLetterQueue.WEBHOOKS, woo.model_dump_json()).what
        == "woocommerce webhook order.created on channel shop, body hash E9"
    )


def test_an_auto_push_names_its_origin_size_and_channel():
    body = AutoPushMessage(channel="woo", origin=PushOrigin.AUTO_SYNC, skus=["A", "B", "C"])
    assert (
        describe(DeadLetterQueue.AUTO_PUSH, body.model_dump_json()).what == "auto-sync push of 3 SKUs to woo"
    )
    one = body.model_copy(update={"origin": PushOrigin.SYNC_NOW, "skus": ["A"]})
    assert describe(DeadLetterQueue.AUTO_PUSH, one.model_dump_json()).what == "sync-now push of 1 SKU to woo"


def test_a_stream_batch_names_its_size_and_position_and_its_failure_is_found_by_its_first_record():
    described = describe(
        DeadLetterQueue.STREAM, stream_failure(approximateArrivalOfFirstRecord="2026-11-23T10:00:00Z")
    )
    assert described.what == (
        "stream batch of 5 listing changes (sequence numbers 100 to 104, from 2026-11-23T10:00:00+00:00)"
    )
    assert (described.failure_key, described.receive_count) == ("100", 11)


def test_a_stream_batch_without_an_arrival_time_is_replayed_from_the_streams_retention():
    batch = parse_stream_batch(stream_failure())
    assert batch.first_change_at is None
    assert batch.changes_since(AT) == AT - timedelta(hours=24)
    timed = parse_stream_batch(stream_failure(approximateArrivalOfFirstRecord="2026-11-23T09:59:58.5Z"))
    assert timed.changes_since(AT) == datetime(2026, 11, 23, 9, 59, 58, 500000, tzinfo=UTC)


def test_a_body_nobody_can_read_is_said_so_never_raised():
    for queue in DeadLetterQueue:
        described = describe(queue, "not json at all")
        assert described.what == f"unreadable {queue} message: 'not json at all'"
        assert not described.readable


def test_why_is_the_recorded_error_else_what_the_message_carries():
    failure = Failure(error="ChannelError: 401 Unauthorized", at=AT, receive_count=5)
    push = describe(
        DeadLetterQueue.PUSH,
        PushMessage(job_id="J", channel="c", batch_id="0-0", skus=["A"]).model_dump_json(),
    )
    assert why(push, failure) == "ChannelError: 401 Unauthorized"
    assert why(push, None).startswith("no error recorded")
    raised = json.loads(stream_failure())
    raised["responsePayload"] = {"errorType": "RuntimeError", "errorMessage": "boom"}
    assert why(describe(DeadLetterQueue.STREAM, json.dumps(raised)), None) == "RuntimeError: boom"


def test_an_error_is_recorded_as_its_type_and_message_cut_short():
    assert error_text(LookupError("SKU 'A' has no listing in master")) == (
        "LookupError: SKU 'A' has no listing in master"
    )
    long = error_text(ValueError("x" * 5000))
    assert len(long) == ERROR_CHARS and long.endswith("…")


def sqs_record(message_id: str, body: str, receive_count: int = 1) -> dict:
    return {
        "messageId": message_id,
        "receiptHandle": "r",
        "body": body,
        "attributes": {"ApproximateReceiveCount": str(receive_count), "MessageGroupId": "g"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:1:q.fifo",
        "awsRegion": "us-east-1",
    }


def test_a_fifo_handler_records_its_failure_and_the_skipped_records_name_it(monkeypatch):
    recorded = []
    monkeypatch.setattr(
        failures.failures,
        "record",
        lambda queue, message_id, failure, keep_existing=False: recorded.append(
            (queue, message_id, failure.error, failure.receive_count, keep_existing)
        ),
    )

    def handler(record):
        if record.body == "bad":
            raise RuntimeError("the channel's secret is gone")

    processor = failures.FailureRecordingFifoProcessor(DeadLetterQueue.PUSH, Logger(service="test"))
    event = {"Records": [sqs_record("m1", "ok"), sqs_record("m2", "bad", 3), sqs_record("m3", "ok")]}
    answer = process_partial_response(event=event, record_handler=handler, processor=processor)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}
    assert recorded == [
        (DeadLetterQueue.PUSH, "m2", "RuntimeError: the channel's secret is gone", 3, False),
        (DeadLetterQueue.PUSH, "m3", "not processed: message m2 before it in its batch failed", 1, True),
    ]


def test_a_failure_that_cannot_be_recorded_fails_nothing_more(monkeypatch):
    def unavailable(*args, **kwargs):
        raise ConnectionError("DynamoDB is unreachable")

    monkeypatch.setattr(failures.failures, "record", unavailable)

    def handler(record):
        if record.body == "bad":
            raise RuntimeError("bad")

    processor = failures.FailureRecordingFifoProcessor(DeadLetterQueue.WEBHOOKS, Logger(service="test"))
    event = {"Records": [sqs_record("m1", "ok"), sqs_record("m2", "bad")]}
    answer = process_partial_response(event=event, record_handler=handler, processor=processor)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m2"}]}


def test_a_stream_handler_records_a_failure_by_the_records_sequence_number(monkeypatch):
    recorded = []
    monkeypatch.setattr(
        failures.failures,
        "record",
        lambda queue, message_id, failure, keep_existing=False: recorded.append(
            (queue, message_id, failure.error)
        ),
    )

    def handler(record):
        raise RuntimeError("the auto-push queue refused 1 messages")

    processor = failures.FailureRecordingStreamProcessor(Logger(service="test"))
    record = {
        "eventName": "MODIFY",
        "dynamodb": {"SequenceNumber": "700", "Keys": {}},
        "eventSource": "aws:dynamodb",
    }
    with pytest.raises(Exception, match="All records failed"):
        process_partial_response(event={"Records": [record]}, record_handler=handler, processor=processor)
    assert recorded == [
        (DeadLetterQueue.STREAM, "700", "RuntimeError: the auto-push queue refused 1 messages")
    ]
