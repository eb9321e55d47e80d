"""Allocation rules: a channel's, and each listing's override of them on that channel.

Access patterns (template.yaml, Table):
- a channel's rules:                        PK=RULES#<channel>, SK=CHANNEL
- one listing's override on a channel:      PK=RULES#<channel>, SK=SKU#<sku> (the rules it sets, and
  `without`: the channel's it does without)
- every override of a channel (a rule change checks them): the same, every SKU its item lists
- the overrides of a push batch's SKUs:     the same keys, BatchGetItem of only the SKUs the channel's
  item lists as overridden (`override_skus`, a string set kept with each override saved or dropped),
  so a push batch costs one GetItem, and a BatchGetItem only where one of its SKUs has an override
- a channel's guard (shared.domain.guard):   PK=RULES#<channel>, SK=GUARD (none saved: on, defaults)
  (it and the channel's rules item: once a queue batch inside read_once.config_read_once)
- its auto-sync breaker: paused or not        PK=RULES#<channel>, SK=PAUSED
- the breaker's sliding window, a minute an item:  PK=RULES#<channel>, SK=WINDOW#<minute>, counters
  added in place (ADD); the window is a Query of SK between two minutes; TTL expires_at
- the auto pushes it held while paused:      PK=RULES#<channel>, SK=HELD#<sku>
- everything of a channel (its removal):    PK=RULES#<channel>, every SK
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.domain.allocation import Override, Rules
from shared.domain.guard import Guard
from shared.settings import settings
from shared.storage import read_once
from shared.storage.aws import Key, batch_get, table
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
    overrides: dict[str, Override] = field(default_factory=dict)

    def override(self, sku: str) -> Override:
        return self.overrides.get(sku, Override())


def _stored(item: dict[str, Any] | None) -> dict[str, Any]:
    """An item's rules, without the item's other attributes."""
    return {k: v for k, v in (item or {}).items() if k not in ("override_skus", "channel", "sku")}


def _rules(item: dict[str, Any] | None) -> Rules:
    return from_item(Rules, _stored(item))


def _override(item: dict[str, Any] | None) -> Override:
    return from_item(Override, _stored(item))


def _channel_key(channel: str) -> dict[str, str]:
    return {"PK": _pk(channel), "SK": CHANNEL}


def get(channel: str) -> Rules:
    return _rules(read_once.get_item(_channel_key(channel)))


def for_skus(channel: str, skus: Iterable[str] | None) -> ChannelRules:
    """The channel's rules and the overrides of `skus` (None: every override it has) (one GetItem;
    a BatchGetItem of the SKUs that have an override, when some do)."""
    item = read_once.get_item(_channel_key(channel))
    rules = _rules(item)
    overridden = (item or {}).get("override_skus") or set()
    wanted = sorted(overridden) if skus is None else [sku for sku in dict.fromkeys(skus) if sku in overridden]
    if not wanted:
        return ChannelRules(rules)
    found = batch_get([_override_key(channel, sku) for sku in wanted])
    return ChannelRules(rules, {str(i["SK"]).removeprefix("SKU#"): _override(i) for i in found})


def put(channel: str, rules: Rules) -> None:
    """Set the channel's rules (every one: those not set are cleared); keeps `override_skus`."""
    names = ["channel", *Rules.model_fields]
    values = to_item(rules, channel=channel)
    read_once.forget(_channel_key(channel))
    table().update_item(
        Key=_channel_key(channel),
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


def get_override(channel: str, sku: str) -> Override:
    item = table().get_item(Key=_override_key(channel, sku), ConsistentRead=True).get("Item")
    return _override(item)


def put_override(channel: str, sku: str, rules: Override) -> None:
    """Save one listing's override (none set: delete it), and list (or unlist) its SKU on the
    channel's item. Listed first and unlisted last: a push reading between the two writes reads the
    override item, or finds none, never misses one that is saved."""
    listed = {"Key": _channel_key(channel), "ExpressionAttributeValues": {":sku": {sku}}}
    read_once.forget(_channel_key(channel))
    if not rules:
        table().delete_item(Key=_override_key(channel, sku))
        table().update_item(UpdateExpression="DELETE override_skus :sku", **listed)
        return
    table().update_item(UpdateExpression="ADD override_skus :sku", **listed)
    item = {**rules.model_dump(mode="json", exclude_defaults=True), **_override_key(channel, sku)}
    table().put_item(Item={**item, "channel": channel, "sku": sku})


def delete_all(channel: str) -> None:
    """A removed channel's rules and overrides."""
    read_once.forget(_channel_key(channel))
    read_once.forget({"PK": _pk(channel), "SK": "GUARD"})
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
    item = read_once.get_item({"PK": _pk(channel), "SK": "GUARD"})
    return from_item(Guard, item) if item else Guard(on=settings().guard_on_by_default)


def put_guard(channel: str, guard: Guard) -> None:
    read_once.forget({"PK": _pk(channel), "SK": "GUARD"})
    table().put_item(Item=to_item(guard, PK=_pk(channel), SK="GUARD"))


# The auto-sync breaker (shared.services.guard).


def add_to_window(channel: str, minute: str, zeroed: int, moved: int, expires_at: int) -> None:
    table().update_item(
        Key={"PK": _pk(channel), "SK": f"WINDOW#{minute}"},
        UpdateExpression="ADD zeroed :z, moved :m SET expires_at = :e",
        ExpressionAttributeValues={":z": zeroed, ":m": moved, ":e": expires_at},
    )


def window(channel: str, since: str) -> tuple[int, int]:
    """The zeroed and moved listings auto sync pushed from minute `since` on."""
    answer = table().query(
        KeyConditionExpression=Key("PK").eq(_pk(channel)) & Key("SK").between(f"WINDOW#{since}", "WINDOW#~"),
        ConsistentRead=True,
    )
    items = answer["Items"]
    return sum(int(i.get("zeroed", 0)) for i in items), sum(int(i.get("moved", 0)) for i in items)


def clear_window(channel: str) -> None:
    answer = table().query(
        KeyConditionExpression=Key("PK").eq(_pk(channel)) & Key("SK").begins_with("WINDOW#"),
        ProjectionExpression="PK, SK",
    )
    with table().batch_writer() as writer:
        for item in answer["Items"]:
            writer.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})


def paused(channel: str) -> dict[str, Any] | None:
    """The breaker's pause ({at, reason}) when it tripped, else None."""
    item = table().get_item(Key={"PK": _pk(channel), "SK": "PAUSED"}, ConsistentRead=True).get("Item")
    return {"at": item["at"], "reason": item["reason"]} if item else None


def pause(channel: str, at: str, reason: str) -> None:
    """Trip the breaker (the first trip's time and reason are kept)."""
    table().update_item(
        Key={"PK": _pk(channel), "SK": "PAUSED"},
        UpdateExpression="SET #at = if_not_exists(#at, :at), reason = if_not_exists(reason, :reason)",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":at": at, ":reason": reason},
    )


def hold(channel: str, skus: Iterable[str]) -> None:
    with table().batch_writer(overwrite_by_pkeys=["PK", "SK"]) as writer:
        for sku in skus:
            writer.put_item(Item={"PK": _pk(channel), "SK": f"HELD#{sku}", "sku": sku})


def held(channel: str) -> list[str]:
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(_pk(channel)) & Key("SK").begins_with("HELD#"),
        "ConsistentRead": True,
    }
    found: list[str] = []
    while True:
        answer = table().query(**request)
        found += [str(item["sku"]) for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return found
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


def resume(channel: str, skus: Iterable[str]) -> None:
    """Close the breaker: the pause and the held SKUs given deleted."""
    with table().batch_writer() as writer:
        for sku in skus:
            writer.delete_item(Key={"PK": _pk(channel), "SK": f"HELD#{sku}"})
        writer.delete_item(Key={"PK": _pk(channel), "SK": "PAUSED"})
