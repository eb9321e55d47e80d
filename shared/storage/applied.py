"""When each channel resource (an order, a product, an inventory item) was last changed, as the
webhook last applied to it said: a webhook older than that is dropped (a late retry, or a replay).

Access pattern (template.yaml, Table):
- one resource:  PK=APPLIED#<channel>#<resource>, SK=APPLIED; `at` only moves forward; TTL
  expires_at, past the window in which a signed body is taken at all.
- the resources of a webhook queue batch: the same keys, one BatchGetItem (`last_many`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from shared.storage.aws import batch_get, table

KEPT = timedelta(days=3)


def _key(channel: str, resource: str) -> dict[str, str]:
    return {"PK": f"APPLIED#{channel}#{resource}"[:1024], "SK": "APPLIED"}


def _text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")  # sorts as the times do


def last(channel: str, resource: str) -> datetime | None:
    item = table().get_item(Key=_key(channel, resource), ConsistentRead=True).get("Item")
    return datetime.fromisoformat(item["at"]) if item else None


def last_many(resources: Iterable[tuple[str, str]]) -> dict[tuple[str, str], datetime | None]:
    """`last` of each (channel, resource), None where none was applied (one BatchGetItem a 100)."""
    found: dict[tuple[str, str], datetime | None] = dict.fromkeys(resources)
    by_key: dict[str, list[tuple[str, str]]] = {}  # a key cut short can name several
    for channel, resource in found:
        by_key.setdefault(_key(channel, resource)["PK"], []).append((channel, resource))
    for item in batch_get([{"PK": pk, "SK": "APPLIED"} for pk in by_key]):
        for named in by_key[str(item["PK"])]:
            found[named] = datetime.fromisoformat(item["at"])
    return found


def record(channel: str, resource: str, at: datetime) -> None:
    """The resource was changed at `at` (an older time than the one recorded changes nothing). A
    conditional PutItem: the item holds nothing else (and moto's UpdateItem costs local mode's one
    process several times a PutItem's CPU)."""
    try:
        table().put_item(
            Item={
                **_key(channel, resource),
                "at": _text(at),
                "expires_at": int((datetime.now(UTC) + KEPT).timestamp()),
            },
            ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={":at": _text(at)},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
