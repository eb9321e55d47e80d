"""When each channel resource (an order, a product, an inventory item) was last changed, as the
webhook last applied to it said: a webhook older than that is dropped (a late retry, or a replay).

Access pattern (template.yaml, Table):
- one resource:  PK=APPLIED#<channel>#<resource>, SK=APPLIED; `at` only moves forward; TTL
  expires_at, past the window in which a signed body is taken at all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from shared.storage.aws import table

KEPT = timedelta(days=3)


def _key(channel: str, resource: str) -> dict[str, str]:
    return {"PK": f"APPLIED#{channel}#{resource}"[:1024], "SK": "APPLIED"}


def _text(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")  # sorts as the times do


def last(channel: str, resource: str) -> datetime | None:
    item = table().get_item(Key=_key(channel, resource), ConsistentRead=True).get("Item")
    return datetime.fromisoformat(item["at"]) if item else None


def record(channel: str, resource: str, at: datetime) -> None:
    """The resource was changed at `at` (an older time than the one recorded changes nothing)."""
    try:
        table().update_item(
            Key=_key(channel, resource),
            UpdateExpression="SET #at = :at, expires_at = :expires",
            ConditionExpression="attribute_not_exists(#at) OR #at <= :at",
            ExpressionAttributeNames={"#at": "at"},
            ExpressionAttributeValues={
                ":at": _text(at),
                ":expires": int((datetime.now(UTC) + KEPT).timestamp()),
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
