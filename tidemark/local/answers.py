"""moto's DynamoDB and DynamoDB Streams read answers as JSON at once.

moto 5.2's generic response serializer walks every attribute of every item against the botocore
shape, about 30 ms an item: a BatchGetItem of 100 links took 3 s, and local mode spent most of
its time there; a stream's GetRecords (the auto-sync poller's every read) the same for each
record's images. The reads' results are already DynamoDB JSON (typed attribute values), so local
mode writes them out with json.dumps, as the services do (a record's creation time as epoch
seconds to the millisecond, as moto's serializer writes it); writes keep moto's serializer.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

READS: dict[type, tuple[str, ...]] = {
    DynamoHandler: ("get_item", "batch_get_item", "query", "scan"),
    DynamoDBStreamsHandler: ("get_records",),
}
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


def _epoch_seconds(value: object) -> float:
    if isinstance(value, datetime):
        seconds = (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        return math.floor(seconds * 1000) / 1000
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _as_json(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any) -> Any:
        answer = method(self)
        return (
            json.dumps(answer.result, default=_epoch_seconds) if isinstance(answer, ActionResult) else answer
        )

    return call


def install() -> None:
    for handler, names in READS.items():
        for name in names:
            if (handler, name) not in _originals:
                _originals[(handler, name)] = getattr(handler, name)
                setattr(handler, name, _as_json(_originals[(handler, name)]))


def undo() -> None:
    for (handler, name), method in _originals.items():
        setattr(handler, name, method)
    _originals.clear()
