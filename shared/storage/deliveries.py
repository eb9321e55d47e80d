"""Webhook deliveries already received: a duplicate is dropped at the door.

Access pattern (template.yaml, Table):
- one delivery:  PK=DELIVERY#<channel>#<key>, SK=DELIVERY (conditional put); TTL expires_at, a day
  past Shopify's last retry (it retries for 4 hours) and any WooCommerce redelivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from shared.storage.aws import table

KEPT = timedelta(days=2)


def _key(channel: str, delivery: str) -> dict[str, str]:
    return {"PK": f"DELIVERY#{channel}#{delivery}", "SK": "DELIVERY"}


def first_time(channel: str, delivery: str) -> bool:
    """Record the delivery; False when it was received before."""
    now = datetime.now(UTC)
    try:
        table().put_item(
            Item={
                **_key(channel, delivery),
                "at": now.isoformat(),
                "expires_at": int((now + KEPT).timestamp()),
            },
            ConditionExpression="attribute_not_exists(PK)",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def forget(channel: str, delivery: str) -> None:
    """The delivery could not be queued: let the channel's retry in."""
    table().delete_item(Key=_key(channel, delivery))
