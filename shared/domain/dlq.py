"""Dead letters: what a message left in a dead-letter queue was, and why it failed.

SQS keeps a message, not the error that sent it there: the handlers record each failure
(shared/services/failures.py) and a dead letter is described from its body and that record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from shared.domain.channel import ChannelType
from shared.domain.messages import AutoPushMessage, PushMessage, WebhookMessage
from shared.domain.model import Model

# How long a failure is kept: the dead-letter queues' retention (MessageRetentionPeriod, 14 days).
FAILURE_KEPT = timedelta(days=14)
ERROR_CHARS = 1000  # a recorded error is cut to this many characters
# A DynamoDB stream keeps its records 24 hours: no failed batch's first change is older than its
# failure's arrival in the on-failure queue less this.
STREAM_RETENTION = timedelta(hours=24)


class DeadLetterQueue(StrEnum):
    """A dead-letter queue by the queue whose failures it holds."""

    PUSH = "push"  # PushDeadLetterQueue: a job's push batches
    WEBHOOKS = "webhooks"  # WebhookDeadLetterQueue: verified channel webhooks
    AUTO_PUSH = "auto-push"  # AutoPushDeadLetterQueue: pushes at once (auto sync, sync now, edits)
    STREAM = "stream"  # StreamFailureQueue: the table stream's auto-sync batches, their positions


class Failure(Model):
    """The last error a message's handler raised: what, when, and on which receive of it."""

    error: str
    at: datetime
    receive_count: int | None = None


def error_text(error: BaseException) -> str:
    """`Type: message`, cut to ERROR_CHARS: what an operator reads in `dlq list`."""
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


class DeadLetter(Model):
    """One message in a dead-letter queue, described."""

    queue: DeadLetterQueue
    id: str  # the SQS message id: the one its handler saw (a redrive to the DLQ keeps it)
    what: str
    why: str
    # receives by its handler (its count at its last recorded failure); else SQS's count less the
    # listing's own receive, which also counts earlier listings' reads
    receive_count: int | None
    sent_at: datetime | None
    failed_at: datetime | None
    channel: str | None = None
    job_id: str | None = None


@dataclass(frozen=True)
class StreamBatch:
    """A DynamoDB stream batch whose retries were spent: Lambda's on-failure record."""

    start_sequence: str
    end_sequence: str
    size: int
    first_change_at: datetime | None  # when its first record reached the stream, when the record says
    error: str | None  # the function's error from the response payload, when it raised
    invoke_count: int | None  # how many times the function was called with it

    def changes_since(self, failed_at: datetime) -> datetime:
        """A time at or before the batch's first change: its arrival, else the oldest a stream
        record can be when its failure was sent."""
        return self.first_change_at or failed_at - STREAM_RETENTION


def parse_stream_batch(body: str) -> StreamBatch:
    record = json.loads(body)
    info = record["DDBStreamBatchInfo"]
    first = info.get("approximateArrivalOfFirstRecord")
    payload = record.get("responsePayload")
    error = None
    if isinstance(payload, dict) and payload.get("errorMessage"):
        error = f"{payload.get('errorType', 'Error')}: {payload['errorMessage']}"
    return StreamBatch(
        start_sequence=str(info["startSequenceNumber"]),
        end_sequence=str(info["endSequenceNumber"]),
        size=int(info["batchSize"]),
        first_change_at=_time(first) if first else None,
        error=error,
        invoke_count=record.get("requestContext", {}).get("approximateInvokeCount"),
    )


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


@dataclass(frozen=True)
class Described:
    what: str
    channel: str | None = None
    job_id: str | None = None
    failure_key: str | None = None  # the id its failure is recorded under, when not the message id
    error: str | None = None  # an error the message itself carries (a stream batch's payload)
    receive_count: int | None = None  # what the message itself says (a stream batch's invocations)
    readable: bool = True  # False: its handler cannot read it either


def describe(queue: DeadLetterQueue, body: str) -> Described:
    """What a dead letter was, from its body; a body that cannot be read is said so, never raised."""
    try:
        return _DESCRIBE[queue](body)
    except (ValidationError, ValueError, KeyError, TypeError):
        shown = body if len(body) <= 80 else body[:79] + "…"
        return Described(f"unreadable {queue} message: {shown!r}", readable=False)


def _push(body: str) -> Described:
    m = PushMessage.model_validate_json(body)
    what = f"push batch {m.batch_id} of job {m.job_id} on channel {m.channel}: {_count(len(m.skus), 'SKU')}"
    return Described(what, channel=m.channel, job_id=m.job_id)


def _webhook(body: str) -> Described:
    m = WebhookMessage.model_validate_json(body)
    # the channel's own event id; a message queued before it was kept apart: its delivery key
    shown = (
        f"event {m.event or m.delivery}"
        if m.event or m.type is ChannelType.SHOPIFY
        else f"body hash {m.delivery}"
    )
    return Described(f"{m.type} webhook {m.topic or '(no topic)'} on channel {m.channel}, {shown}", m.channel)


def _auto_push(body: str) -> Described:
    m = AutoPushMessage.model_validate_json(body)
    return Described(f"{m.origin} push of {_count(len(m.skus), 'SKU')} to {m.channel}", channel=m.channel)


def _stream(body: str) -> Described:
    batch = parse_stream_batch(body)
    since = f", from {batch.first_change_at.isoformat()}" if batch.first_change_at else ""
    what = (
        f"stream batch of {_count(batch.size, 'listing change')} "
        f"(sequence numbers {batch.start_sequence} to {batch.end_sequence}{since})"
    )
    # bisected and checkpointed, a failed batch starts at the record that failed
    return Described(
        what, failure_key=batch.start_sequence, error=batch.error, receive_count=batch.invoke_count
    )


_DESCRIBE = {
    DeadLetterQueue.PUSH: _push,
    DeadLetterQueue.WEBHOOKS: _webhook,
    DeadLetterQueue.AUTO_PUSH: _auto_push,
    DeadLetterQueue.STREAM: _stream,
}


def why(described: Described, failure: Failure | None) -> str:
    """The reason shown: the handler's recorded error, else what the message carries."""
    if failure is not None:
        return failure.error
    if described.error:
        return described.error
    return "no error recorded (it failed before failures were recorded, or the record expired)"
