"""Channels. Credentials are not here: they are in Secrets Manager (shared.storage.secrets).

Access patterns (template.yaml, Table):
- get one channel by name, list all channels:  PK=CHANNELS, SK=<name> (one: once a queue batch
  inside read_once.config_read_once)
"""

from __future__ import annotations

from shared.domain.channel import Channel, Schedule
from shared.storage import read_once
from shared.storage.aws import Key, quick_table, table, written
from shared.storage.items import from_item, to_item

PK = "CHANNELS"


class ChannelExists(ValueError):
    pass


def get(name: str, *, quick: bool = False) -> Channel | None:
    """`quick`: with the webhook door's short timeouts (never read once a batch: the door has none)."""
    if quick:
        item = quick_table().get_item(Key={"PK": PK, "SK": name}, ConsistentRead=True).get("Item")
    else:
        item = read_once.get_item({"PK": PK, "SK": name})
    return from_item(Channel, item) if item else None


def list_all() -> list[Channel]:
    answer = table().query(KeyConditionExpression=Key("PK").eq(PK), ConsistentRead=True)
    return [from_item(Channel, item) for item in answer["Items"]]


def create(channel: Channel) -> None:
    read_once.forget({"PK": PK, "SK": channel.name})
    if not written(
        table().put_item,
        Item=to_item(channel, PK=PK, SK=channel.name),
        ConditionExpression="attribute_not_exists(PK)",
    ):
        raise ChannelExists(channel.name)


def put(channel: Channel) -> None:
    read_once.forget({"PK": PK, "SK": channel.name})
    table().put_item(Item=to_item(channel, PK=PK, SK=channel.name))


def save_schedule(name: str, schedule: Schedule) -> bool:
    """Set only the channel's schedule (an edit of its other fields is not overwritten).
    False when there is no such channel."""
    read_once.forget({"PK": PK, "SK": name})
    return written(
        table().update_item,
        Key={"PK": PK, "SK": name},
        UpdateExpression="SET #schedule = :schedule",
        ConditionExpression="attribute_exists(PK)",
        ExpressionAttributeNames={"#schedule": "schedule"},
        ExpressionAttributeValues={":schedule": schedule.model_dump(mode="json")},
    )


def delete(name: str) -> None:
    read_once.forget({"PK": PK, "SK": name})
    table().delete_item(Key={"PK": PK, "SK": name})
