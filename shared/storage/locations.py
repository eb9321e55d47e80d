"""Master locations, which listings hold stock at each, and the channels' location maps.

Access patterns (template.yaml, Table):
- every location, one location:          PK=LOCATIONS, SK=LOCATION#<name> (Query, GetItem)
- a channel's location map:              PK=LOCATIONS, SK=MAP#<channel>
- the listings that held stock at one:   PK=LOCATION#<name>, SK=SKU#<sku> (written with the listing's
  per-location change, in one transaction: listings.py; read to refuse removing a location in use)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shared.domain.locations import ChannelLocationMap, Location
from shared.settings import settings
from shared.storage import read_once
from shared.storage.aws import Key, table, written
from shared.storage.items import from_item, to_item

PK = "LOCATIONS"


def add(location: Location) -> bool:
    """Add a location; False when one of that name exists."""
    return written(
        table().put_item,
        Item=to_item(location, PK=PK, SK=f"LOCATION#{location.name}"),
        ConditionExpression="attribute_not_exists(PK)",
    )


def get(name: str) -> Location | None:
    item = table().get_item(Key={"PK": PK, "SK": f"LOCATION#{name}"}, ConsistentRead=True).get("Item")
    return from_item(Location, item) if item else None


def all_locations() -> list[Location]:
    return [from_item(Location, item) for item in _query(PK, "LOCATION#")]


def remove(name: str) -> None:
    """Forget the location and its notes of which listings held stock there."""
    with table().batch_writer() as writer:
        for item in _query(f"LOCATION#{name}", "SKU#"):
            writer.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
    table().delete_item(Key={"PK": PK, "SK": f"LOCATION#{name}"})


def held_at(name: str) -> Iterator[str]:
    """The SKUs noted as having held stock at the location (they may hold none now)."""
    for item in _query(f"LOCATION#{name}", "SKU#"):
        yield str(item["SK"]).removeprefix("SKU#")


def held_note(name: str, sku: str) -> dict[str, Any]:
    """One TransactWriteItems element (the table client's plain values): the listing holds stock at
    the location."""
    return {
        "Put": {"TableName": settings().table_name, "Item": {"PK": f"LOCATION#{name}", "SK": f"SKU#{sku}"}}
    }


def note_held(held: list[tuple[str, str]]) -> None:
    """Note that each listing holds stock at the location: (location, SKU) pairs (an import's)."""
    with table().batch_writer() as writer:
        for name, sku in dict.fromkeys(held):
            writer.put_item(Item={"PK": f"LOCATION#{name}", "SK": f"SKU#{sku}"})


def put_map(location_map: ChannelLocationMap) -> None:
    read_once.forget({"PK": PK, "SK": f"MAP#{location_map.channel}"})
    table().put_item(Item=to_item(location_map, PK=PK, SK=f"MAP#{location_map.channel}"))


def get_map(channel: str) -> ChannelLocationMap | None:
    """Once a queue batch inside read_once.config_read_once."""
    item = read_once.get_item({"PK": PK, "SK": f"MAP#{channel}"})
    return from_item(ChannelLocationMap, item) if item else None


def remove_map(channel: str) -> None:
    read_once.forget({"PK": PK, "SK": f"MAP#{channel}"})
    table().delete_item(Key={"PK": PK, "SK": f"MAP#{channel}"})


def _query(partition: str, prefix: str) -> Iterator[dict[str, Any]]:
    request: dict[str, Any] = {
        "KeyConditionExpression": Key("PK").eq(partition) & Key("SK").begins_with(prefix),
        "ConsistentRead": True,
    }
    while True:
        answer = table().query(**request)
        yield from answer["Items"]
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
