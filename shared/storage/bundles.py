"""Bundles: a listing's components, and which bundles hold each component.

Access patterns (template.yaml, Table):
- a bundle's components, many bundles (push, sale):  PK=LISTING#<sku>, SK=BUNDLE (GetItem, BatchGetItem)
- the bundles that hold one component (a component's change pushes them):
                                                     PK=COMPONENT#<sku>, SK=BUNDLE#<bundle> (Query)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.storage.aws import Key, batch_get, table
from shared.storage.items import _plain


def key(sku: str) -> dict[str, str]:
    return {"PK": f"LISTING#{sku}", "SK": "BUNDLE"}


def _holder_key(component: str, bundle: str) -> dict[str, str]:
    return {"PK": f"COMPONENT#{component}", "SK": f"BUNDLE#{bundle}"}


def get(sku: str) -> dict[str, int]:
    """The bundle's components and their units ({} when the listing is no bundle)."""
    item = table().get_item(Key=key(sku), ConsistentRead=True).get("Item")
    return _components(item) if item else {}


def get_many(skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """The bundles among `skus`, with their components."""
    keys = [key(sku) for sku in dict.fromkeys(skus)]
    return (
        {str(item["PK"]).removeprefix("LISTING#"): _components(item) for item in batch_get(keys)}
        if keys
        else {}
    )


def reachable(skus: Iterable[str]) -> dict[str, dict[str, int]]:
    """Every bundle reachable from `skus` through components (the bundles a check or a sale needs)."""
    found: dict[str, dict[str, int]] = {}
    todo = set(skus)
    while todo:
        batch = get_many(todo)
        found.update(batch)
        todo = {c for components in batch.values() for c in components} - set(found)
    return found


def holding(components: Iterable[str]) -> set[str]:
    """The bundles that hold any of the components, directly or through another bundle."""
    holders: set[str] = set()
    todo = set(components)
    seen: set[str] = set()
    while todo:
        component = todo.pop()
        seen.add(component)
        answer = table().query(
            KeyConditionExpression=Key("PK").eq(f"COMPONENT#{component}") & Key("SK").begins_with("BUNDLE#"),
        )
        direct = {str(item["SK"]).removeprefix("BUNDLE#") for item in answer["Items"]}
        holders |= direct
        todo |= direct - seen
    return holders


def put(sku: str, components: dict[str, int], before: dict[str, int]) -> None:
    """Save the bundle's components (none: it is no bundle any more) and the components' notes."""
    with table().batch_writer() as writer:
        for gone in set(before) - set(components):
            writer.delete_item(Key=_holder_key(gone, sku))
        for component in components:
            writer.put_item(Item=_holder_key(component, sku))
        if components:
            writer.put_item(Item={**key(sku), "components": components})
        else:
            writer.delete_item(Key=key(sku))


def _components(item: dict[str, Any]) -> dict[str, int]:
    return {str(sku): int(units) for sku, units in _plain(item.get("components", {})).items()}
