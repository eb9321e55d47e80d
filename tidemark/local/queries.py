"""moto's DynamoDB Query, read from the asked key's items only.

moto 5.2 answers every Query by sorting all the items of the table and walking them
(Table.all_items): 0.9 s a query at 50,000 items, seconds at the sizes the benches run, and
planning, linking and every webhook spent most of their time there. Local mode hands moto's
Table.query only the candidates: a partition's items for a table query; for a global index,
the items whose index hash key is the one asked, from a map kept on every write (put, update,
delete, and a cancelled transaction's restore, which puts). moto still applies its own key
conditions, order, paging, filter and projection to them, so the answers stay moto's:
tests/integration/test_moto_seam.py compares them with moto's own on random tables.
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table

ItemKey = tuple[DynamoType, DynamoType | None]


class _IndexMap:
    """For each single-hash-key global index of one table: hash value -> the items carrying it."""

    def __init__(self, table: Table) -> None:
        self.hash_attr: dict[str, str] = {}
        for index in table.global_indexes or []:
            hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
            if len(hashes) == 1:
                self.hash_attr[index.name] = hashes[0]
        self.buckets: dict[str, dict[DynamoType, dict[ItemKey, Item]]] = {name: {} for name in self.hash_attr}
        self.placed: dict[ItemKey, dict[str, DynamoType]] = {}
        for item in _every_item(table):
            self.put(item)

    def put(self, item: Item) -> None:
        key = (item.hash_key, item.range_key)
        self.remove(key)
        placed = {}
        for name, attribute in self.hash_attr.items():
            value = item.attrs.get(attribute)
            if value is not None:
                self.buckets[name].setdefault(value, {})[key] = item
                placed[name] = value
        if placed:
            self.placed[key] = placed

    def remove(self, key: ItemKey) -> None:
        for name, value in self.placed.pop(key, {}).items():
            bucket = self.buckets[name][value]
            del bucket[key]
            if not bucket:
                del self.buckets[name][value]


_maps: weakref.WeakKeyDictionary[Table, _IndexMap] = weakref.WeakKeyDictionary()
_narrowed = threading.local()
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


def _every_item(table: Table) -> list[Item]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())  # type: ignore[arg-type]  # keyed by hash only: items, not partitions


def _partition(table: Table, hash_key: DynamoType) -> list[Item]:
    if hash_key not in table.items:  # table.items is a defaultdict: look before reading
        return []
    found = table.items[hash_key]
    return list(found.values()) if table.range_key_attr else [found]  # type: ignore[list-item]


def _candidates(table: Table, hash_key: Any, index_name: str | None, conditions: Any) -> list[Item] | None:
    if not index_name:
        return _partition(table, hash_key) if isinstance(hash_key, DynamoType) else None
    if not any(
        isinstance(index, GlobalSecondaryIndex) and index.name == index_name
        for index in table.global_indexes or []
    ):
        return None
    index_map = _maps.get(table)
    if index_map is None:
        index_map = _maps[table] = _IndexMap(table)
    attribute = index_map.hash_attr.get(index_name)
    if attribute is None or not conditions or len(conditions) != 1 or conditions[0][0] != attribute:
        return None
    return list(index_map.buckets[index_name].get(conditions[0][1], {}).values())


def _query(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def query(*args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(*args, **kwargs).arguments
        candidates = _candidates(
            asked["self"], asked["hash_key"], asked.get("index_name"), asked.get("hash_key_conditions")
        )
        if candidates is None:
            return method(*args, **kwargs)
        _narrowed.items = candidates
        try:
            return method(*args, **kwargs)
        finally:
            del _narrowed.items

    return query


def _all_items(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def all_items(table: Table) -> Any:
        narrowed = getattr(_narrowed, "items", None)
        return method(table) if narrowed is None else narrowed

    return all_items


def _put(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def put_item(table: Table, *args: Any, **kwargs: Any) -> Any:
        item = method(table, *args, **kwargs)
        if table in _maps:
            _maps[table].put(item)
        return item

    return put_item


def _delete(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def delete_item(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Any:
        item = method(table, hash_key, range_key)
        if table in _maps:
            _maps[table].remove((hash_key, range_key))
        return item

    return delete_item


def _update(method: Callable[..., Any]) -> Callable[..., Any]:
    """moto changes an updated item in place: it is placed again by its key, whatever happened."""

    @functools.wraps(method)
    def update_item(
        backend: DynamoDBBackend, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        try:
            return method(backend, table_name, key, *args, **kwargs)
        finally:
            table = backend.tables.get(table_name)
            if table is not None and table in _maps and table.hash_key_attr in key:
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
                item = table.get_item(hash_key, range_key) if range_key or not table.range_key_attr else None
                if item is not None:
                    _maps[table].put(item)

    return update_item


_PATCHES: dict[tuple[type, str], Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    (Table, "query"): _query,
    (Table, "all_items"): _all_items,
    (Table, "put_item"): _put,
    (Table, "delete_item"): _delete,
    (DynamoDBBackend, "update_item"): _update,
}


def install() -> None:
    """Before tidemark.local.atomic.make_atomic: the maps are kept inside its locks."""
    for (owner, name), wrap in _PATCHES.items():
        if (owner, name) not in _originals:
            _originals[(owner, name)] = getattr(owner, name)
            setattr(owner, name, wrap(_originals[(owner, name)]))


def undo() -> None:
    for (owner, name), method in _originals.items():
        setattr(owner, name, method)
    _originals.clear()
    _maps.clear()
