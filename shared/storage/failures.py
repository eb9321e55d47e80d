"""Why a queue's message failed: SQS keeps the message, not its error, so handlers record it here.

Access pattern (template.yaml, Table):
- a message's last failure:  PK=FAILURE#<queue>#<message id>, SK=FAILURE; put on each failure of its
  handler, read by key (BatchGetItem) for the dead letters `dlq list` shows. <queue> is push, webhooks,
  auto-push or stream (whose id is the failed record's sequence number). TTL expires_at: 14 days, the
  dead-letter queues' retention.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.dlq import FAILURE_KEPT, DeadLetterQueue, Failure
from shared.storage.aws import batch_get, table, written
from shared.storage.items import from_item, to_item


def _key(queue: DeadLetterQueue, message_id: str) -> dict[str, str]:
    return {"PK": f"FAILURE#{queue}#{message_id}", "SK": "FAILURE"}


def record(queue: DeadLetterQueue, message_id: str, failure: Failure, *, keep_existing: bool = False) -> None:
    """Record the message's latest failure; with `keep_existing`, only when none is recorded yet (a
    message skipped for another's failure must not hide its own error)."""
    item = to_item(
        failure, **_key(queue, message_id), expires_at=int((failure.at + FAILURE_KEPT).timestamp())
    )
    if keep_existing:
        written(table().put_item, Item=item, ConditionExpression="attribute_not_exists(PK)")
    else:
        table().put_item(Item=item)


def get_many(queue: DeadLetterQueue, message_ids: Iterable[str]) -> dict[str, Failure]:
    """The recorded failures of these messages, by message id (those with none are left out)."""
    found = batch_get([_key(queue, m) for m in dict.fromkeys(message_ids)])
    prefix = f"FAILURE#{queue}#"
    return {item["PK"].removeprefix(prefix): from_item(Failure, item) for item in found}


def get(queue: DeadLetterQueue, message_id: str) -> Failure | None:
    item = table().get_item(Key=_key(queue, message_id), ConsistentRead=True).get("Item")
    return from_item(Failure, item) if item else None
