"""Allocation rules: a channel's, and each listing's override of them on that channel.

Access patterns (template.yaml, Table):
- a channel's rules:                        PK=RULES#<channel>, SK=CHANNEL
- one listing's override on a channel:      PK=RULES#<channel>, SK=SKU#<sku>
- the overrides of a push batch's SKUs:     the same keys, BatchGetItem; read only when the channel's
  item says an override was ever saved there (`has_overrides`), so a channel without overrides
  costs a push batch one GetItem
- a channel's guard (shared.domain.guard):   PK=RULES#<channel>, SK=GUARD (none saved: on, defaults)
- everything of a channel (its removal):    PK=RULES#<channel>, every SK
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.conditions import Key

from shared.domain.allocation import Rules
from shared.domain.guard import Guard
from shared.settings import settings
from shared.storage.aws import batch_get, table
from shared.storage.items import from_item, to_item

CHANNEL = "CHANNEL"


def _pk(channel: str) -> str:
    return f"RULES#{channel}"


def _override_key(channel: str, sku: str) -> dict[str, str]:
    return {"PK": _pk(channel), "SK": f"SKU#{sku}"}


@dataclass(frozen=True)
class ChannelRules:
    """A channel's rules and the overrides of the SKUs asked for (empty where none is set)."""

    rules: Rules
    overrides: dict[str, Rules] = field(default_factory=dict)

    def override(self, sku: str) -> Rules:
        return self.overrides.get(sku, Rules())


def _rules(item: dict[str, Any] | None) -> Rules:
    if not item:
        return Rules()
    return from_item(Rules, {k: v for k, v in item.items() if k not in ("has_overrides", "channel", "sku")})


def get(channel: str) -> Rules:
    return _rules(table().get_item(Key={"PK": _pk(channel), "SK": CHANNEL}, ConsistentRead=True).get("Item"))


def for_skus(channel: str, skus: Iterable[str]) -> ChannelRules:
    """The channel's rules and the overrides of `skus` (one GetItem; a BatchGetItem only where an
    override was ever saved on the channel)."""
    item = table().get_item(Key={"PK": _pk(channel), "SK": CHANNEL}, ConsistentRead=True).get("Item")
    rules = _rules(item)
    if not (item and item.get("has_overrides")):
        return ChannelRules(rules)
    found = batch_get([_override_key(channel, sku) for sku in dict.fromkeys(skus)])
    return ChannelRules(rules, {str(i["SK"]).removeprefix("SKU#"): _rules(i) for i in found})


def put(channel: str, rules: Rules) -> None:
    """Set the channel's rules (every one: those not set are cleared); keeps `has_overrides`."""
    names = ["channel", *Rules.model_fields]
    values = to_item(rules, channel=channel)
    table().update_item(
        Key={"PK": _pk(channel), "SK": CHANNEL},
        UpdateExpression=_set_and_remove(names, values),
        ExpressionAttributeNames={f"#n{i}": name for i, name in enumerate(names)},
        ExpressionAttributeValues={
            f":v{i}": values[n] for i, n in enumerate(names) if values.get(n) is not None
        },
    )


def _set_and_remove(names: list[str], values: dict[str, Any]) -> str:
    kept = [f"#n{i} = :v{i}" for i, n in enumerate(names) if values.get(n) is not None]
    dropped = [f"#n{i}" for i, n in enumerate(names) if values.get(n) is None]
    return " ".join(
        part for part in ("SET " + ", ".join(kept), "REMOVE " + ", ".join(dropped) if dropped else "") if part
    )


def get_override(channel: str, sku: str) -> Rules:
    return _rules(table().get_item(Key=_override_key(channel, sku), ConsistentRead=True).get("Item"))


def put_override(channel: str, sku: str, rules: Rules) -> None:
    """Save one listing's override (none set: delete it); the channel then reads overrides."""
    if not rules:
        table().delete_item(Key=_override_key(channel, sku))
        return
    item = {**rules.model_dump(mode="json", exclude_none=True), **_override_key(channel, sku)}
    table().put_item(Item={**item, "channel": channel, "sku": sku})
    table().update_item(
        Key={"PK": _pk(channel), "SK": CHANNEL},
        UpdateExpression="SET has_overrides = :on",
        ExpressionAttributeValues={":on": True},
    )


def delete_all(channel: str) -> None:
    """A removed channel's rules and overrides."""
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(_pk(channel)),
        "ProjectionExpression": "PK, SK",
    }
    with table().batch_writer() as writer:
        while True:
            answer = table().query(**request)
            for item in answer["Items"]:
                writer.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def get_guard(channel: str) -> Guard:
    item = table().get_item(Key={"PK": _pk(channel), "SK": "GUARD"}, ConsistentRead=True).get("Item")
    return from_item(Guard, item) if item else Guard(on=settings().guard_on_by_default)


def put_guard(channel: str, guard: Guard) -> None:
    table().put_item(Item=to_item(guard, PK=_pk(channel), SK="GUARD"))
