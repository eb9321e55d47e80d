"""moto's SQS queues, safe to use from the local runtime's threads.

moto 5.2 appends a sent message under the queue's lock (Queue._messages_lock), but deletes by
rebuilding the message list without it, and receives by checking and marking messages without
it. With a planner sending while several workers receive and delete, two deletes at once could
put back a list that lacks a message just sent (a push batch lost, its job never done), and two
receives could hand out the same message at once. Local mode makes both hold the queue's lock,
as SQS itself serializes them; tests/integration/test_local_queues.py forces each interleaving.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue, SQSBackend

_delete = Queue.delete_message
_receive = SQSBackend.receive_message


def _delete_message(self: Queue, receipt_handle: str) -> None:
    with self._messages_lock:
        _delete(self, receipt_handle)


def _receive_message(self: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
    # A receive that waits for messages waits on this lock's condition, which lets the lock go.
    with self.get_queue(queue_name)._messages_lock:
        return _receive(self, queue_name, *args, **kwargs)


def install() -> None:
    setattr(Queue, "delete_message", _delete_message)  # noqa: B010
    setattr(SQSBackend, "receive_message", _receive_message)  # noqa: B010


def undo() -> None:
    setattr(Queue, "delete_message", _delete)  # noqa: B010
    setattr(SQSBackend, "receive_message", _receive)  # noqa: B010
