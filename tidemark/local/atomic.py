"""Making moto's DynamoDB and SQS requests atomic, as the real services' are.

moto applies an update as a read-modify-write in Python, so two threads updating one item
lose a write (a counter added to twice grows once), and two receivers can take the same SQS
message. Local mode runs handlers in parallel threads, so each request to these backends
takes one lock per service for its duration: every request then acts alone, as on AWS. DynamoDB
requests answer a copy: moto turns the items they return into JSON after the lock is released,
while another thread's update may be changing them.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend
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
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


def _keeping_streams(method: Callable[..., Any]) -> Callable[..., Any]:
    """moto backs a TransactWriteItems up by deep-copying each table it writes, once an item, and
    rolls a cancelled one back by putting the copies in place. Two things local mode changes:
    - the stream shard is not copied (StreamShard.__deepcopy__ below): its records are every write
      ever made, so each order's transaction cost more than the last (seconds, soon);
    - on a rollback the table keeps its one shard (the one every shard iterator handed out, the
      stream poller's, reads), cut back to the records before the transaction: none of the
      rolled-back writes reach the stream's readers."""

    @functools.wraps(method)
    def call(backend: Any, *args: Any, **kwargs: Any) -> Any:
        shards = {name: table.stream_shard for name, table in backend.tables.items() if table.stream_shard}
        lengths = {name: len(shard.items) for name, shard in shards.items()}
        try:
            return method(backend, *args, **kwargs)
        except Exception:
            for name, shard in shards.items():
                table = backend.tables.get(name)
                if table is not None:
                    del shard.items[lengths[name] :]
                    shard.table, table.stream_shard = table, shard
            raise

    return call


def _shared(self: StreamShard, memo: dict[int, Any]) -> StreamShard:
    return self


def _locked(method: Callable[..., Any], lock: threading.RLock, copied: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        with lock:
            answer = method(*args, **kwargs)
            return copy.deepcopy(answer) if copied else answer

    return call


def make_atomic() -> None:
    StreamShard.__deepcopy__ = _shared  # type: ignore[attr-defined]
    locks = {backend: threading.RLock() for backend in _SERIALISED if backend not in _LOCK_OF}
    for backend, names in _SERIALISED.items():
        lock = locks[_LOCK_OF.get(backend, backend)]
        for name in names:
            if (backend, name) not in _originals:
                _originals[(backend, name)] = getattr(backend, name)
                copied = backend is not SQSBackend
                method = _originals[(backend, name)]
                if name == "transact_write_items":
                    method = _keeping_streams(method)
                setattr(backend, name, _locked(method, lock, copied))


def undo() -> None:
    if "__deepcopy__" in vars(StreamShard):
        del StreamShard.__deepcopy__  # type: ignore[attr-defined]
    for (backend, name), method in _originals.items():
        setattr(backend, name, method)
    _originals.clear()
