"""moto's DynamoDB Query, read from the asked key's items only.

moto 5.2 answers every Query by sorting all the items of the table and walking them
(Table.all_items): 0.9 s a query at 50,000 items, seconds at the sizes the benches run, and
planning, linking and every webhook spent most of their time there. Local mode hands moto's
Table.query only the candidates: a partition's items for a table query; for a global index,
the items whose index hash key is the one asked, from a map kept on every write (put, update,
delete, and a cancelled transaction's restore, which puts). moto still applies its own key
conditions, order, paging, filter and projection to them, so the answers stay moto's:
tests/integration/test_local_queries.py compares them with moto's own on random tables.

A keys-only global index is handed each candidate's keys only (the table's and the index's),
kept beside the map: moto copies every item it reads and then cuts it down to the index's
projection by walking its whole JSON once a key attribute (1 ms a listing), which made counting a
channel's 2,000 out-of-sync links 2 s. What moto answers from them is what it answers from the
whole items: the projection keeps those keys only.

A plain COUNT of an index partition (Select COUNT, no sort key condition, no filter, no limit, no
start key) is answered from the map's count, when the partition's items fit one page of moto's
(1 MB): moto would copy, project and size every item to count them (the Overview counts a channel's
out-of-sync links this way: 2,000 of them took 200 ms). A larger partition is left to moto, whose
pages its answer is.

A forward index query with a condition on the sort key, or a start key, is narrowed further: the
index partition's items are kept sorted as moto sorts them (until a write to the partition), and
moto is handed the run from the first that can match (found by bisection) to one past the page:
at most Limit matches and the item after them, which is what moto reads of the whole partition to
answer (its last evaluated key included). A page of 50 of a 6,000-item partition then costs what
50 items do, not what 6,000 do (the console's Listings pages a 100,000-listing catalog this way).
"""

from __future__ import annotations

import bisect
import functools
import inspect
import threading
import weakref
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import RESULT_SIZE_LIMIT, GlobalSecondaryIndex, Table
from moto.dynamodb.responses import DynamoHandler

ItemKey = tuple[DynamoType, DynamoType | None]


class _IndexMap:
    """For each single-hash-key global index of one table: hash value -> the items carrying it."""

    def __init__(self, table: Table) -> None:
        self.hash_attr: dict[str, str] = {}
        for index in table.global_indexes or []:
            hashes = [key["AttributeName"] for key in index.schema if key["KeyType"] == "HASH"]
            if len(hashes) == 1:
                self.hash_attr[index.name] = hashes[0]
        self.range_attr: dict[str, str] = {}
        for index in table.global_indexes or []:
            ranges = [key["AttributeName"] for key in index.schema if key["KeyType"] == "RANGE"]
            if len(ranges) == 1 and index.name in self.hash_attr:
                self.range_attr[index.name] = ranges[0]
        self.table = table
        self.buckets: dict[str, dict[DynamoType, dict[ItemKey, Item]]] = {name: {} for name in self.hash_attr}
        self.placed: dict[ItemKey, dict[str, DynamoType]] = {}
        # (index, hash value) -> its items holding the sort key, in moto's order, and their sort keys
        self.ordered: dict[tuple[str, DynamoType], tuple[list[Item], list[DynamoType]]] = {}
        self.held: dict[ItemKey, tuple[int, tuple[Any, ...]]] = {}  # the item object placed, and where
        self.keys_only = {
            index.name
            for index in table.global_indexes or []
            if index.name in self.hash_attr and (index.projection or {}).get("ProjectionType") == "KEYS_ONLY"
        }
        table_keys = [table.hash_key_attr, table.range_key_attr]
        self.key_attrs = {
            name: [a for a in (*table_keys, self.hash_attr[name], self.range_attr.get(name)) if a]
            for name in self.keys_only
        }
        self.views: dict[ItemKey, dict[str, Item]] = {}  # an item's keys in each keys-only index
        for item in _every_item(table):
            self.put(item)

    def put(self, item: Item) -> None:
        key = (item.hash_key, item.range_key)
        where = self._where(item)
        if self.held.get(key) == (id(item), where):
            return  # changed in place, its index keys as they were: every map (and order) still holds
        self.remove(key)
        self.held[key] = (id(item), where)
        self.views.pop(key, None)
        placed = {}
        for name, attribute in self.hash_attr.items():
            value = item.attrs.get(attribute)
            if value is not None:
                self.buckets[name].setdefault(value, {})[key] = item
                self.ordered.pop((name, value), None)
                placed[name] = value
        if placed:
            self.placed[key] = placed

    def _where(self, item: Item) -> tuple[Any, ...]:
        """The item's keys in every index this maps."""
        return tuple(
            _plain(item.attrs.get(attribute), item.attrs.get(self.range_attr.get(name, "")))
            for name, attribute in self.hash_attr.items()
        )

    def remove(self, key: ItemKey) -> None:
        self.held.pop(key, None)
        self.views.pop(key, None)
        for name, value in self.placed.pop(key, {}).items():
            self.ordered.pop((name, value), None)
            bucket = self.buckets[name][value]
            del bucket[key]
            if not bucket:
                del self.buckets[name][value]

    def view(self, name: str, item: Item) -> Item:
        """The item as keys-only index `name` holds it (a change in place that keeps the item's
        index keys keeps its views)."""
        views = self.views.setdefault((item.hash_key, item.range_key), {})
        found = views.get(name)
        if found is None:
            kept = {a: item.attrs[a].to_json() for a in self.key_attrs[name] if a in item.attrs}
            found = views[name] = Item(item.hash_key, item.range_key, kept)
        return found

    def in_order(self, name: str, value: DynamoType) -> tuple[list[Item], list[DynamoType]]:
        """The partition's items that hold the index's sort key, as moto sorts them, with their sort keys."""
        found = self.ordered.get((name, value))
        if found is None:
            sort_key = self.range_attr[name]
            items = [item for item in self.buckets[name].get(value, {}).values() if item.attrs.get(sort_key)]
            hashes = [self.hash_attr[name], self.table.hash_key_attr]
            items = self.table.sorted_items(hashes, [sort_key, self.table.range_key_attr], items)
            found = self.ordered[(name, value)] = (items, [item.attrs[sort_key] for item in items])
        return found


# Where the first item that can meet a sort key condition is, by its comparison.
_FIRST_FROM_LEFT = frozenset({"EQ", "=", "GE", ">=", "BETWEEN", "BEGINS_WITH"})
_FIRST_FROM_RIGHT = frozenset({"GT", ">"})
_FROM_THE_START = frozenset({"LT", "<", "LE", "<="})


def _in_key_range(
    index_map: _IndexMap, index_name: str, value: DynamoType, asked: dict[str, Any]
) -> list[Item] | None:
    """The part of an index partition a forward query reads (see the module's note); None when the
    query is not one this narrows (backward, no sort key on the index, another comparison)."""
    comparison, bounds = asked.get("range_comparison"), asked.get("range_objs") or []
    start_key, limit = asked.get("exclusive_start_key"), asked.get("limit")
    sort_key = index_map.range_attr.get(index_name)
    if (
        sort_key is None
        or asked.get("scan_index_forward") is False
        or asked.get("range_key_conditions", [None])[:-1]
    ):
        return None
    if comparison is not None and comparison not in _FIRST_FROM_LEFT | _FIRST_FROM_RIGHT | _FROM_THE_START:
        return None
    items, keys = index_map.in_order(index_name, value)
    start = 0
    if comparison in _FIRST_FROM_LEFT:
        start = bisect.bisect_left(keys, bounds[0])
    elif comparison in _FIRST_FROM_RIGHT:
        start = bisect.bisect_right(keys, bounds[0])
    after: DynamoType | None = None
    if start_key:
        if sort_key not in start_key:
            return None
        after = DynamoType(start_key[sort_key])
        start = max(start, bisect.bisect_left(keys, after))  # moto skips those at or before the start key
    end, matched = start, 0
    while end < len(items) and (limit is None or matched <= limit):
        item_key = keys[end]
        end += 1
        if comparison is not None and not item_key.compare(comparison, bounds):
            break  # the run of matches ended: moto reads this one and no further match
        if after is None or after < item_key:
            matched += 1
    return items[start:end]


def _plain(*values: DynamoType | None) -> tuple[Any, ...]:
    """Values to compare with == (a DynamoType cannot be compared with None)."""
    return tuple(None if v is None else (v.type, v.value) for v in values)


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


def _candidates(
    table: Table, hash_key: Any, index_name: str | None, conditions: Any, asked: dict[str, Any]
) -> list[Item] | None:
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
    in_range = _in_key_range(index_map, index_name, conditions[0][1], asked)
    found = (
        in_range
        if in_range is not None
        else list(index_map.buckets[index_name].get(conditions[0][1], {}).values())
    )
    return (
        [index_map.view(index_name, item) for item in found] if index_name in index_map.keys_only else found
    )


PLAIN_COUNT_LEAVES_OUT = frozenset({"Limit", "ExclusiveStartKey", "FilterExpression", "QueryFilter"})


def _marks_plain_count(method: Callable[..., Any]) -> Callable[..., Any]:
    """The request handler's Query: says to Table.query whether the request is a plain COUNT."""

    @functools.wraps(method)
    def query(handler: DynamoHandler) -> Any:
        body = handler.body
        _narrowed.plain_count = body.get("Select") == "COUNT" and PLAIN_COUNT_LEAVES_OUT.isdisjoint(body)
        try:
            return method(handler)
        finally:
            _narrowed.plain_count = False

    return query


def _counted(asked: dict[str, Any], candidates: list[Item]) -> tuple[list[Item], int, None] | None:
    """A plain COUNT of the whole index partition (the items holding its sort key, if it has one),
    when moto would answer it in one page: moto counts the items it returns, so these stand for
    them uncopied."""
    index_name = asked.get("index_name")
    whole_partition = not asked.get("range_comparison") and not asked.get("range_key_conditions")
    if not (getattr(_narrowed, "plain_count", False) and index_name and whole_partition):
        return None
    sort_key = _maps[asked["self"]].range_attr.get(index_name)
    held = candidates if sort_key is None else [item for item in candidates if sort_key in item.attrs]
    if asked.get("filter_kwargs") or sum(item.size() for item in held) > RESULT_SIZE_LIMIT:
        return None
    return held, len(held), None


def _query(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)

    @functools.wraps(method)
    def query(*args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(*args, **kwargs).arguments
        candidates = _candidates(
            asked["self"], asked["hash_key"], asked.get("index_name"), asked.get("hash_key_conditions"), asked
        )
        if candidates is None:
            return method(*args, **kwargs)
        counted = _counted(asked, candidates)
        if counted is not None:
            return counted
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
    (DynamoHandler, "query"): _marks_plain_count,
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
