"""Config items read once a queue batch: a channel, its location map, its allocation rules item and
its guard, which every message of an auto-push batch read again (issue 23: four GetItems a message).

Inside `config_read_once()` (the batch, in the thread that handles it) each such item is read from
the table at its first use and answered from memory after; a write of one through its storage
module forgets it. Outside, every read goes to the table as before. A batch is received after every
message in it was sent, so each message sees config at least as new as the change that queued it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.storage.aws import table

_scope = threading.local()


@contextmanager
def config_read_once() -> Iterator[None]:
    _scope.items = {}
    try:
        yield
    finally:
        _scope.items = None


def get_item(key: dict[str, str]) -> dict[str, Any] | None:
    """The item (a consistent read), once within a batch; None when there is none."""
    items: dict[tuple[str, str], dict[str, Any] | None] | None = getattr(_scope, "items", None)
    if items is None:
        return _read(key)
    named = (key["PK"], key["SK"])
    if named not in items:
        items[named] = _read(key)
    return items[named]


def forget(key: dict[str, str]) -> None:
    """The item was written: read it again at its next use."""
    items = getattr(_scope, "items", None)
    if items is not None:
        items.pop((key["PK"], key["SK"]), None)


def _read(key: dict[str, str]) -> dict[str, Any] | None:
    item: dict[str, Any] | None = table().get_item(Key=key, ConsistentRead=True).get("Item")
    return item
