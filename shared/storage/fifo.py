"""Sending to the FIFO queues (push, auto-push, push-back, webhooks): batches of ten, each message
with its group and its deduplication id, so that sending again within five minutes is harmless."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.domain.syncing import chunked
from shared.storage.aws import client, quick_client

SQS_BATCH = 10  # the most one SendMessageBatch takes


@dataclass(frozen=True)
class Outgoing:
    body: str
    group_id: str
    deduplication_id: str


def send(queue_url: str, message: Outgoing, *, quick: bool = False) -> None:
    """Send one message; `quick`: with the webhook door's client (short timeouts, two attempts)."""
    (quick_client if quick else client)("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=message.body,
        MessageGroupId=message.group_id,
        MessageDeduplicationId=message.deduplication_id,
    )


def send_all(queue_url: str, messages: Iterable[Outgoing], queue: str) -> int:
    """Send every message, ten a call; how many were sent. A message the queue refuses fails the
    call (RuntimeError naming `queue`): the caller's retry sends the batch again, deduplicated."""
    sent = 0
    for entries in chunked(messages, SQS_BATCH):
        answer = client("sqs").send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": message.body,
                    "MessageGroupId": message.group_id,
                    "MessageDeduplicationId": message.deduplication_id,
                }
                for i, message in enumerate(entries)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(
                f"the {queue} queue refused {len(answer['Failed'])} messages: {answer['Failed'][0]}"
            )
        sent += len(entries)
    return sent
