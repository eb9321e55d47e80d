"""Each channel's sync watermark: up to when its changes were pushed, and its last full sync.

Access patterns (template.yaml, Table):
- get / move one channel's watermark:  PK=WATERMARK#<channel>, SK=WATERMARK
It only moves forward: a conditional update refuses an older value.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict

from shared.domain.model import Model
from shared.storage.aws import table, written


class Watermark(Model):
    model_config = ConfigDict(frozen=True)

    # every change to a listing before this moment has been pushed to the channel
    changes_until: datetime | None = None
    # when the channel's last completed full sync began planning
    full_sync_at: datetime | None = None


def key(channel: str) -> dict[str, str]:
    return {"PK": f"WATERMARK#{channel}", "SK": "WATERMARK"}


def get(channel: str) -> Watermark:
    item = table().get_item(Key=key(channel), ConsistentRead=True).get("Item")
    return Watermark.model_validate({k: v for k, v in (item or {}).items() if k not in ("PK", "SK")})


def advance(channel: str, to: datetime, *, full: bool) -> bool:
    """Move the watermark to `to`, never back; a full sync also records itself. False if it was
    already past `to`."""
    expression = "SET changes_until = :to" + (", full_sync_at = :to" if full else "")
    return written(
        table().update_item,
        Key=key(channel),
        UpdateExpression=expression,
        ConditionExpression="attribute_not_exists(changes_until) OR changes_until < :to",
        ExpressionAttributeValues={":to": to.isoformat()},
    )
