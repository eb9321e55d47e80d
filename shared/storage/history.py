"""Sync history: every push, per listing and channel, newest first; expires by TTL.

Access patterns (template.yaml, Table):
- a listing's pushes, newest first:   PK=HISTORY#<sku>, SK=<at>#<channel>#<job>#<field>, descending
- the same for one channel:           the same query, filtered on channel (a listing's history is short)
Expiry: expires_at (epoch seconds), HISTORY_RETENTION_DAYS after the push.

One item a push: a quantity sent to several locations of a channel in one call, with one outcome,
is one item, its link's location first and the others in `locations` (read back as one entry a
location). Items written one a location before this still read as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from shared.domain.history import HistoryEntry
from shared.settings import settings
from shared.storage.aws import Attr, Key, table
from shared.storage.items import from_item, to_item

_AT_LOCATION = ("field", "from_value", "to_value", "rule")


def append_many(entries: Iterable[HistoryEntry]) -> None:
    keep = timedelta(days=settings().history_retention_days)
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for entry, *others in _pushes(entries):
            item = to_item(
                entry,
                PK=f"HISTORY#{entry.sku}",
                SK=f"{entry.at.isoformat()}#{entry.channel}#{entry.job_id}#{entry.field}",
                expires_at=int((entry.at + keep).timestamp()),
            )
            if others:
                item["locations"] = [
                    other.model_dump(mode="json", include=set(_AT_LOCATION)) for other in others
                ]
            writer.put_item(Item=item)


def _pushes(entries: Iterable[HistoryEntry]) -> list[list[HistoryEntry]]:
    """The entries by push: the quantities one call sent to a listing's locations on a channel
    (the same time, job and outcome) together, the link's own location ("quantity") first."""
    pushes: dict[object, list[HistoryEntry]] = {}
    for entry in entries:
        if entry.field.startswith("quantity"):
            key: object = (entry.sku, entry.channel, entry.at, entry.job_id, entry.outcome, entry.message)
        else:
            key = id(entry)
        pushes.setdefault(key, []).append(entry)
    return [sorted(push, key=lambda entry: entry.field != "quantity") for push in pushes.values()]


def _entries(item: dict[str, Any]) -> list[HistoryEntry]:
    entry = from_item(HistoryEntry, item)
    others = item.get("locations", [])
    return [entry, *(entry.model_copy(update=dict(other)) for other in others)]


def for_listing(
    sku: str, channel: str | None = None, limit: int = 50, cursor: dict[str, Any] | None = None
) -> tuple[list[HistoryEntry], dict[str, Any] | None]:
    """Up to `limit` of a listing's pushes, newest first, and the key to continue after them (a push
    to several locations is one push, its entries all on the page)."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(f"HISTORY#{sku}"),
        "ScanIndexForward": False,
    }
    if channel:
        request["FilterExpression"] = Attr("channel").eq(channel)
    if cursor:
        request["ExclusiveStartKey"] = cursor
    found: list[HistoryEntry] = []
    pushes = 0
    while True:
        answer = table().query(**request, Limit=limit - pushes)
        pushes += len(answer["Items"])
        found += [entry for item in answer["Items"] for entry in _entries(item)]
        after = answer.get("LastEvaluatedKey")
        if after is None or pushes >= limit:
            return found, after
        request["ExclusiveStartKey"] = after
