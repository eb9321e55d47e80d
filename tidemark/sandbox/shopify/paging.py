"""Cursor pagination of connections, as Shopify pages them."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

from graphql import (
    GraphQLError,
)

from tidemark.sandbox.shopify.records import (
    MAX_PAGE_SIZE,
)

# ---------------------------------------------------------------------------------------------
# Cursor pagination


_Item = TypeVar("_Item")


def encode_cursor(last_id: int) -> str:
    return base64.b64encode(json.dumps({"last_id": last_id}).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        return int(json.loads(base64.b64decode(cursor, validate=True))["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError) as error:
        raise GraphQLError("Invalid cursor for current pagination sort.") from error


def paginate(
    items: list[_Item],
    *,
    key: Callable[[_Item], int],
    view: Callable[[_Item], dict[str, Any]],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    everything: bool = False,
) -> dict[str, Any]:
    """One page of a connection over `items` (sorted by `key`), with opaque cursors; `everything`
    (a bulk operation) reads the whole connection, whatever page it asks for."""
    window, has_next, has_previous = (
        (items, False, False) if everything else _window(items, key, first, after, last, before)
    )
    cursors = [encode_cursor(key(item)) for item in window]
    nodes = [view(item) for item in window]
    return {
        "nodes": nodes,
        "edges": [{"cursor": cursor, "node": node} for cursor, node in zip(cursors, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _window(
    items: list[_Item],
    key: Callable[[_Item], int],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> tuple[list[_Item], bool, bool]:
    """The page's items, whether there is a next page and whether there is a previous one."""
    if first is None and last is None:
        raise GraphQLError("you must provide one of first or last")
    for size in (first, last):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            raise GraphQLError(f"first and last must be between 0 and {MAX_PAGE_SIZE}")
    start, end = 0, len(items)
    if after is not None:
        after_key = _decode_cursor(after)
        start = next((i for i, item in enumerate(items) if key(item) > after_key), len(items))
    if before is not None:
        before_key = _decode_cursor(before)
        end = next((i for i, item in enumerate(items) if key(item) >= before_key), len(items))
    window = items[start:end]
    has_next, has_previous = end < len(items), start > 0
    if first is not None:
        has_next = has_next or len(window) > first
        window = window[:first]
    if last is not None:
        has_previous = has_previous or len(window) > last
        window = window[len(window) - last :] if last else []
    return window, has_next, has_previous
