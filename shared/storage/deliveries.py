"""Webhook deliveries already queued: a duplicate (or a replay) is dropped at the door.

Access pattern (template.yaml, Table):
- one delivery:  PK=DELIVERY#<channel>#<key>, SK=DELIVERY; TTL expires_at, past the window in which
  a signed body is taken at all (shared.domain.webhooks.WINDOW), Shopify's retries (4 hours) and
  any WooCommerce redelivery.

A delivery is recorded once it is queued, never before: a timeout between the two leaves it
unrecorded, and the channel's retry is queued (the queue drops a copy sent within 5 minutes; the
worker applies each event once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.storage.aws import quick_table

KEPT = timedelta(days=3)


def _key(channel: str, delivery: str) -> dict[str, str]:
    return {"PK": f"DELIVERY#{channel}#{delivery}", "SK": "DELIVERY"}


def seen(channel: str, delivery: str) -> bool:
    """Whether this delivery was queued before."""
    return "Item" in quick_table().get_item(Key=_key(channel, delivery), ConsistentRead=True)


def record(channel: str, delivery: str) -> None:
    """The delivery is queued: its retries and replays are duplicates from now on."""
    now = datetime.now(UTC)
    item = {**_key(channel, delivery), "at": now.isoformat(), "expires_at": int((now + KEPT).timestamp())}
    quick_table().put_item(Item=item)
