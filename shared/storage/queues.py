"""SQS access for the dead-letter queues: read their messages without consuming them, and move them.

SQS has no peek: a message is read by receiving it, which hides it for a visibility timeout and adds
one to its ApproximateReceiveCount. `receive_all` holds what it reads in flight (so that one read does
not see a message twice) and `release` makes it visible again at once. Every message is released
explicitly, never left to time out: moto redelivers only the last of several FIFO messages of one
group that were received together and timed out (../shared/MOTO.md).

In a FIFO queue a message group stays locked while any of its messages is in flight, so one read
sees at most the first receive's worth (up to 10) of each group; the queue's counts say how many
there are in all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.storage.aws import client

HOLD_SECONDS = 30  # how long a read message stays hidden if it were never released
EMPTY_TRIES = 3  # short polls of a standard queue sample its servers: an empty answer may be wrong


@dataclass(frozen=True)
class QueuedMessage:
    id: str
    body: str
    receipt_handle: str
    group_id: str | None
    receive_count: int  # SQS's ApproximateReceiveCount, this receive included
    sent_at: datetime | None


@dataclass(frozen=True)
class QueueCounts:
    visible: int
    in_flight: int


def counts(url: str) -> QueueCounts:
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return QueueCounts(
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def receive_all(url: str, limit: int, hold_seconds: int = HOLD_SECONDS) -> list[QueuedMessage]:
    """Up to `limit` of the queue's messages that can be received now, in the order received, each
    in flight for `hold_seconds` (release them, or delete them)."""
    expected = counts(url).visible
    found: dict[str, QueuedMessage] = {}
    empty = 0
    while len(found) < limit:
        answer = client("sqs").receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=min(10, limit - len(found)),
            AttributeNames=["All"],
            VisibilityTimeout=hold_seconds,
            WaitTimeSeconds=0,
        )
        messages = [_message(m) for m in answer.get("Messages", [])]
        for message in messages:
            found.setdefault(message.id, message)
        if messages:
            empty = 0
        else:
            empty += 1
            if len(found) >= expected or empty >= EMPTY_TRIES:
                break
    return list(found.values())


def _message(message: dict[str, Any]) -> QueuedMessage:
    attributes = message.get("Attributes", {})
    sent = attributes.get("SentTimestamp")
    return QueuedMessage(
        id=message["MessageId"],
        body=message["Body"],
        receipt_handle=message["ReceiptHandle"],
        group_id=attributes.get("MessageGroupId"),
        receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
        sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
    )


def release(url: str, messages: Sequence[QueuedMessage]) -> None:
    """Make received messages visible again now (one deleted meanwhile is left alone)."""
    for start in range(0, len(messages), 10):
        client("sqs").change_message_visibility_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": 0}
                for i, m in enumerate(messages[start : start + 10])
            ],
        )


def delete(url: str, message: QueuedMessage) -> None:
    client("sqs").delete_message(QueueUrl=url, ReceiptHandle=message.receipt_handle)


def send(url: str, body: str, group_id: str | None = None, deduplication_id: str | None = None) -> str:
    """Send one message (to a FIFO queue: in `group_id`, deduplicated by `deduplication_id`); its id."""
    extra = {"MessageGroupId": group_id, "MessageDeduplicationId": deduplication_id}
    answer = client("sqs").send_message(
        QueueUrl=url, MessageBody=body, **{k: v for k, v in extra.items() if v is not None}
    )
    return str(answer["MessageId"])
