"""boto3 clients, created once per container and only when first used (cold starts stay short)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.config import Config

from shared.settings import settings

_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 8}, connect_timeout=5, read_timeout=20)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


@cache
def table() -> Any:
    return boto3.resource("dynamodb", config=_CONFIG).Table(settings().table_name)


def reset() -> None:
    """Forget every client and setting (a new local stack, a new test)."""
    client.cache_clear()
    table.cache_clear()
    settings.cache_clear()


def batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every item of `keys` that exists, 100 keys a call, retrying what DynamoDB left unprocessed."""
    name = table().name
    dynamodb = table().meta.client
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        for attempt in range(10):
            answer = dynamodb.batch_get_item(RequestItems=request)
            found.extend(answer["Responses"].get(name, []))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(1.0, 0.05 * 2**attempt))
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after 10 attempts")
    return found


def query_keys(index: str, partition: str, page_size: int, after: str | None = None) -> Iterator[list[str]]:
    """The sort keys of one partition of a GSI named <index> (keys <index>PK / <index>SK), in
    order after `after`, a page at a time: each index's key attributes only, nothing more is read."""
    condition: Any = Key(f"{index}PK").eq(partition)
    if after is not None:
        condition &= Key(f"{index}SK").gt(after)
    request: dict[str, Any] = {
        "IndexName": index,
        "KeyConditionExpression": condition,
        "ProjectionExpression": f"{index}SK",
        "Limit": page_size,
    }
    while True:
        answer = table().query(**request)
        yield [item[f"{index}SK"] for item in answer["Items"]]
        if "LastEvaluatedKey" not in answer:
            return
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]


# Sorts after every character a key holds: the top of a range of keys that start with a prefix.
LAST_CHARACTER = "\U0010ffff"


def sort_key_range(name: str, prefix: str, after: str | None) -> Any:
    """A key condition on the sort key `name`: the keys that start with `prefix` (none: all), past
    `after` when given. With both, the range starts at `after` itself: callers leave it out."""
    if after is not None:
        return Key(name).between(after, prefix + LAST_CHARACTER) if prefix else Key(name).gt(after)
    return Key(name).begins_with(prefix) if prefix else None
