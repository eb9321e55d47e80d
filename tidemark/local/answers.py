"""moto's DynamoDB read answers as JSON at once.

moto 5.2's generic response serializer walks every attribute of every item against the botocore
shape, about 30 ms an item: a BatchGetItem of 100 links took 3 s, and local mode spent most of
its time there. The reads' results are already DynamoDB JSON (typed attribute values), so local
mode writes them out with json.dumps, as the service does; writes keep moto's serializer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from moto.dynamodb.responses import DynamoHandler, DynamoResult

READS = ("get_item", "batch_get_item", "query", "scan")
_originals: dict[str, Callable[..., Any]] = {}


def _as_json(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: DynamoHandler) -> Any:
        answer = method(self)
        return json.dumps(answer.result) if isinstance(answer, DynamoResult) else answer

    return call


def install() -> None:
    for name in READS:
        if name not in _originals:
            _originals[name] = getattr(DynamoHandler, name)
            setattr(DynamoHandler, name, _as_json(_originals[name]))


def undo() -> None:
    for name, method in _originals.items():
        setattr(DynamoHandler, name, method)
    _originals.clear()
