"""Making moto's DynamoDB and SQS requests atomic, as the real services' are.

moto applies an update as a read-modify-write in Python, so two threads updating one item
lose a write (a counter added to twice grows once), and two receivers can take the same SQS
message. Local mode runs handlers in parallel threads, so each request to these backends
takes one lock per service for its duration: every request then acts alone, as on AWS.

moto turns the items a request returns into JSON after its backend method returned, while another
thread's update may be changing them. The reads (GetItem, BatchGetItem, Query, Scan, a stream's
GetRecords) are therefore answered whole under the lock, JSON included (tidemark.local.answers
writes it: install that first); the writes' answers (an item's old or new image) are deep copies.
UpdateItem's handler copies the item before it calls the backend, so it too runs under the lock.
A deep copy of every item a Scan returned was most of the console API fuzz's time in make test.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.sqs.models import SQSBackend

# Backends that share a lock: a stream is read under the lock of the table that writes it.
_LOCK_OF: dict[type, type] = {DynamoDBStreamsBackend: DynamoDBBackend}
_SERIALISED: dict[type, tuple[str, ...]] = {
    DynamoDBStreamsBackend: ("get_records",),
    DynamoDBBackend: (
        "put_item",
        "get_item",
        "query",
        "scan",
        "update_item",
        "delete_item",
        "transact_write_items",
    ),
    SQSBackend: (
        "send_message",
        "send_message_batch",
        "receive_message",
        "delete_message",
        "delete_message_batch",
        "change_message_visibility",
        "change_message_visibility_batch",
        "purge_queue",
    ),
}
# The reads, answered whole (their JSON written) under their backend's lock: no copy needed.
_READS = {"get_item", "batch_get_item", "query", "scan", "get_records"}
# Those handlers, and UpdateItem's: it deep-copies the item it updates before calling the backend.
_ANSWERED_UNDER_LOCK: dict[type, tuple[type, tuple[str, ...]]] = {
    DynamoHandler: (DynamoDBBackend, ("get_item", "batch_get_item", "query", "scan", "update_item")),
    DynamoDBStreamsHandler: (DynamoDBBackend, ("get_records",)),
}
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


def _journaled(method: Callable[..., Any]) -> Callable[..., Any]:
    """moto backs a TransactWriteItems up by deep-copying every table it writes, once an item of the
    transaction (2.7 s at 50,000 items), and rolls a cancelled one back by putting the copies in
    place. Local mode keeps its tables (Table.__deepcopy__ answers the table itself) and journals
    instead: the items the transaction names are copied before it and put back if it is cancelled.
    The table's one stream shard (the one every shard iterator handed out, the stream poller's,
    reads) is cut back to the records before the transaction: no rolled-back write, nor its undoing,
    reaches the stream's readers."""

    @functools.wraps(method)
    def call(backend: Any, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        shards = {name: table.stream_shard for name, table in backend.tables.items() if table.stream_shard}
        lengths = {name: len(shard.items) for name, shard in shards.items()}
        before = _items_before(backend, transact_items)
        try:
            return method(backend, transact_items, *args, **kwargs)
        except Exception:
            for (table, hash_key, range_key), attributes in before.items():
                if attributes is not None:
                    table.put_item(attributes, overwrite=True)
                elif table.get_item(hash_key, range_key) is not None:
                    table.delete_item(hash_key, range_key)
            for name, shard in shards.items():
                del shard.items[lengths[name] :]
            raise

    return call


def _items_before(backend: Any, transact_items: list[dict[str, Any]]) -> dict[tuple[Table, Any, Any], Any]:
    """Each named item's attributes before the transaction, None where there is none."""
    before: dict[tuple[Table, Any, Any], Any] = {}
    for entry in transact_items:
        for operation in entry.values():
            table = backend.tables.get(operation.get("TableName"))
            key = operation.get("Item") or operation.get("Key") or {}
            if table is None or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_key is None:
                continue
            item = table.get_item(hash_key, range_key)
            before[(table, hash_key, range_key)] = (
                None if item is None else copy.deepcopy(item.to_json()["Attributes"])
            )
    return before


def _itself(self: Any, memo: dict[int, Any]) -> Any:
    return self


def _locked(method: Callable[..., Any], lock: threading.RLock, copied: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            answer = method(*args, **kwargs)
            return copy.deepcopy(answer) if copied else answer

    return call


def make_atomic() -> None:
    Table.__deepcopy__ = _itself  # type: ignore[attr-defined]
    locks = {backend: threading.RLock() for backend in _SERIALISED if backend not in _LOCK_OF}
    for backend, names in _SERIALISED.items():
        lock = locks[_LOCK_OF.get(backend, backend)]
        for name in names:
            if (backend, name) not in _originals:
                _originals[(backend, name)] = getattr(backend, name)
                copied = backend is not SQSBackend and name not in _READS
                method = _originals[(backend, name)]
                if name == "transact_write_items":
                    method = _journaled(method)
                setattr(backend, name, _locked(method, lock, copied))
    for handler, (backend, names) in _ANSWERED_UNDER_LOCK.items():
        for name in names:
            if (handler, name) not in _originals:
                _originals[(handler, name)] = getattr(handler, name)
                setattr(handler, name, _locked(_originals[(handler, name)], locks[backend], copied=False))


def undo() -> None:
    if "__deepcopy__" in vars(Table):
        del Table.__deepcopy__  # type: ignore[attr-defined]
    for (backend, name), method in _originals.items():
        setattr(backend, name, method)
    _originals.clear()
