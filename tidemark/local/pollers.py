"""SQS event sources: poll the queue, deliver batches to the function, delete what succeeded.

As Lambda does: a function error fails the whole batch, `batchItemFailures` fails only the
items named, and failed messages come back after their visibility timeout until the queue's
redrive policy moves them to the dead-letter queue.

A batch is gathered one message per receive: moto redelivers only the last of several FIFO
messages of one group received together (see ../shared/MOTO.md), while one message of a
group in flight at a time keeps every redelivery and the group's order.

An idle worker does not poll: it waits until moto is sent a message for its queue (or deletes
one, which may free the next of its FIFO group), as Lambda's long polling would; each such change
wakes one waiting worker (a batch deleted wakes as many as it held). Only a source's first
worker also looks every IDLE_WAIT_S for messages no send announced (a delay or a visibility
timeout ended). Idle polling was a fifth of local mode's CPU under load (issue 23).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import boto3
from moto.sqs.models import SQSBackend

from tidemark.local import lambdas
from tidemark.local.deploy import SqsEventSource

log = logging.getLogger(__name__)

IDLE_WAIT_S = 0.5  # a source's first worker: how long it waits for a change before it looks anyway
FOLLOWER_WAIT_S = 5.0  # its other workers (a safety net: every change that matters wakes one)


class _Changes:
    """Per queue: changes that may have made a message receivable (sent, or deleted: the next of a
    FIFO group) and not yet taken by a waiting worker, at most one per worker of the queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, threading.Condition] = {}
        self._pending: dict[str, int] = {}
        self._workers: dict[str, int] = {}

    def _condition(self, queue: str) -> threading.Condition:
        with self._lock:
            if queue not in self._queues:
                self._queues[queue] = threading.Condition()
                self._pending[queue] = 0
            return self._queues[queue]

    def join(self, queue: str, workers: int) -> None:
        with self._condition(queue):
            self._workers[queue] = self._workers.get(queue, 0) + workers

    def leave(self, queue: str, workers: int) -> None:
        with self._condition(queue):
            self._workers[queue] = max(0, self._workers.get(queue, 0) - workers)

    def note(self, queue: str, count: int = 1) -> None:
        if queue not in self._queues:  # no poller reads it
            return
        changed = self._condition(queue)
        with changed:
            self._pending[queue] = min(self._workers.get(queue, 0), self._pending[queue] + count)
            changed.notify(count)

    def wait(self, queue: str, timeout: float, stop: threading.Event) -> None:
        """Until a change is noted for `queue` (taking it), `stop` is set, or the timeout."""
        changed = self._condition(queue)
        with changed:
            if changed.wait_for(lambda: self._pending[queue] > 0 or stop.is_set(), timeout):
                self._pending[queue] = max(0, self._pending[queue] - 1)

    def wake_all(self, queue: str) -> None:
        changed = self._condition(queue)
        with changed:
            changed.notify_all()


CHANGES = _Changes()


def _noting(method: Any, count: Any) -> Any:
    def call(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        answer = method(backend, queue_name, *args, **kwargs)
        CHANGES.note(queue_name, count(*args, **kwargs))
        return answer

    call.notes_changes = True  # type: ignore[attr-defined]
    return call


def _install_change_notes() -> None:
    """Wrap moto's SQS calls that can make a message receivable (over tidemark.local.atomic's locks,
    when those are in place: the note is made once the call's lock is released)."""
    counts = {
        "send_message": lambda *a, **k: 1,
        "send_message_batch": lambda entries, *a, **k: len(entries),
        "delete_message": lambda *a, **k: 1,
        "delete_message_batch": lambda entries, *a, **k: len(entries),
        "change_message_visibility": lambda *a, **k: 1,
        "change_message_visibility_batch": lambda entries, *a, **k: len(entries),
    }
    for name, count in counts.items():
        method = getattr(SQSBackend, name)
        if not getattr(method, "notes_changes", False):
            setattr(SQSBackend, name, _noting(method, count))


class QueuePoller:
    def __init__(self, source: SqsEventSource, region: str) -> None:
        self.source = source
        self._sqs = boto3.client("sqs", region_name=region)
        self._lambda = lambdas.LocalLambda(region)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._region = region
        self._queue = source.queue_url.rstrip("/").rsplit("/", 1)[-1]
        self._stop = threading.Event()
        self._abandon = False
        self._threads = [
            threading.Thread(target=self._work, args=(i,), name=f"poll-{source.function}-{i}", daemon=True)
            for i in range(max(1, source.max_concurrency))
        ]
        _install_change_notes()
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        CHANGES.join(self._queue, len(self._threads))
        for thread in self._threads:
            thread.start()

    def stop(self, *, abandon: bool = False) -> None:
        """Stop polling once each worker's batch in hand is done; with `abandon`, as if the workers
        were killed: a batch received is not delivered, and one being delivered is not deleted, so
        its messages come back after their visibility timeout (the work already done included)."""
        self._abandon = abandon
        self._stop.set()
        CHANGES.wake_all(self._queue)
        for thread in self._threads:
            thread.join(timeout=35)
        CHANGES.leave(self._queue, len(self._threads))

    def _work(self, index: int) -> None:
        while not self._stop.is_set():
            try:
                batch = self._gather()
                if batch and not self._abandon:
                    self._deliver(batch)
            except Exception:  # as Lambda's pollers do: the worker lives on, the batch comes back
                log.exception(
                    "the %s event source could not deliver a batch; its messages come back after "
                    "their visibility timeout",
                    self.source.function,
                )
                batch = []
            if self._abandon:
                return
            if not batch:
                CHANGES.wait(self._queue, FOLLOWER_WAIT_S if index else IDLE_WAIT_S, self._stop)

    def _gather(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        while len(batch) < self.source.batch_size and not self._stop.is_set():
            answer = self._sqs.receive_message(
                QueueUrl=self.source.queue_url,
                MaxNumberOfMessages=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            batch.extend(messages)
        return batch

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(m) for m in batch]}
        answer = self._lambda.invoke(FunctionName=self.source.function, Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            failed = {m["MessageId"] for m in batch}
        elif self.source.report_failures and isinstance(payload, dict):
            failed = {f["itemIdentifier"] for f in payload.get("batchItemFailures") or []}
        else:
            failed = set()
        if self._abandon:  # killed before it could delete what it did
            return
        done = [m for m in batch if m["MessageId"] not in failed]
        if done:
            answer = self._sqs.delete_message_batch(
                QueueUrl=self.source.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            for failure in answer.get("Failed", []):
                log.warning("could not delete a delivered message; it will be delivered again: %s", failure)
        self.delivered += len(done)
        self.failed += len(failed)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._region,
        }


HELD = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


def wait_until_drained(sqs: Any, queue_urls: list[str], timeout_s: float) -> bool:
    """True once no queue holds a visible, in-flight or delayed message."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        counts = [
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(HELD))["Attributes"]
            for url in queue_urls
        ]
        if all(sum(int(c[name]) for name in HELD) == 0 for c in counts):
            return True
        time.sleep(0.1)
    return False
