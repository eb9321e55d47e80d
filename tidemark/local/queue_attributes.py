"""moto's SQS reads a queue's attributes one at a time, as it is asked for them.

moto 5.2 builds a queue's whole attribute dict, the three message counts included (a walk of every
message, several clock reads each), wherever it needs one attribute: three times a SendMessage to
read ContentBasedDeduplication, and twice for every message a ReceiveMessage looks at, to read its
retention period. With a backlog of n messages a receive then cost O(n²): under the auto-sync bench
(issue 23) the webhook queue's backlog made SQS a third of local mode's CPU. The dict is now a
mapping that reads each attribute when it is asked for, with the values moto gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from moto.core.utils import camelcase_to_underscores
from moto.sqs.models import Queue

_originals: dict[str, Any] = {}


class QueueAttributes(Mapping[str, Any]):
    """A queue's attributes as moto's `Queue.attributes` has them, each read when asked for."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        return [
            *queue.BASE_ATTRIBUTES,
            *(queue.FIFO_ATTRIBUTES if queue.fifo_queue else ()),
            *(queue.KMS_ATTRIBUTES if queue.kms_master_key_id else ()),  # type: ignore[attr-defined]
        ]

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        queue = self._queue
        if name == "RedrivePolicy" and queue.redrive_policy:
            return json.dumps(queue.redrive_policy)
        value = getattr(queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def install() -> None:
    if "attributes" not in _originals:
        _originals["attributes"] = Queue.attributes
        Queue.attributes = property(QueueAttributes)  # type: ignore[assignment, method-assign]


def undo() -> None:
    if "attributes" in _originals:
        Queue.attributes = _originals.pop("attributes")  # type: ignore[method-assign]
