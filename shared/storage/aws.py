"""boto3 clients, created once per container and only when first used (cold starts stay short)."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import boto3
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
