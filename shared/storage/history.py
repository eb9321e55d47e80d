"""Sync history: every push, per listing and channel, newest first; expires by TTL.

Access patterns (template.yaml, Table):
- a listing's pushes, newest first:   PK=HISTORY#<sku>, SK=<at>#<channel>#<job>#<field>, descending
- the same for one channel:           the same query, filtered on channel (a listing's history is short)
Expiry: expires_at (epoch seconds), HISTORY_RETENTION_DAYS after the push.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from shared.domain.history import HistoryEntry
from shared.settings import settings
from shared.storage.aws import Attr, Key, table
from shared.storage.items import from_item, to_item


def append_many(entries: Iterable[HistoryEntry]) -> None:
    keep = timedelta(days=settings().history_retention_days)
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for entry in entries:
            writer.put_item(
                Item=to_item(
                    entry,
                    PK=f"HISTORY#{entry.sku}",
                    SK=f"{entry.at.isoformat()}#{entry.channel}#{entry.job_id}#{entry.field}",
                    expires_at=int((entry.at + keep).timestamp()),
                )
            )


def for_listing(
    sku: str, channel: str | None = None, limit: int = 50, cursor: dict[str, Any] | None = None
) -> tuple[list[HistoryEntry], dict[str, Any] | None]:
    """Up to `limit` of a listing's pushes, newest first, and the key to continue after them."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"HISTORY#{sku}"),
        "ScanIndexForward": False,
    }
    if channel:
        request["FilterExpression"] = Attr("channel").eq(channel)
    if cursor:
        request["ExclusiveStartKey"] = cursor
    found: list[HistoryEntry] = []
    while True:
        answer = table().query(**request, Limit=limit - len(found))
        found += [from_item(HistoryEntry, item) for item in answer["Items"]]
        after = answer.get("LastEvaluatedKey")
        if after is None or len(found) >= limit:
            return found, after
        request["ExclusiveStartKey"] = after
