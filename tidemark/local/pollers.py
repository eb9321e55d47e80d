"""SQS event sources: poll the queue, deliver batches to the function, delete what succeeded.

As Lambda does: a function error fails the whole batch, `batchItemFailures` fails only the
items named, and failed messages come back after their visibility timeout until the queue's
redrive policy moves them to the dead-letter queue.

A batch is gathered one message per receive: moto redelivers only the last of several FIFO
messages of one group received together (see ../shared/MOTO.md), while one message of a
group in flight at a time keeps every redelivery and the group's order.

An idle worker does not poll: it waits until moto is sent a message for its queue (or deletes
one, which may free the next of its FIFO group), as Lambda's long polling would; each such change
wakes one waiting worker (a batch deleted wakes as many as it held). Messages no call announces
become receivable when a delay or a visibility timeout ends: moto's sends and receives note when
that is, and a source's first worker wakes then. Idle polling was a fifth of local mode's CPU
under load (issue 23), and its looks every half second most of an idle runtime's (issue 22).
"""

from __future__ import annotations

import functools
import heapq
import json
import logging
import threading
import time
from typing import Any

import boto3
from moto.core.utils import unix_time_millis
from moto.sqs.models import SQSBackend

from tidemark.local import lambdas
from tidemark.local.deploy import SqsEventSource

log = logging.getLogger(__name__)

IDLE_WAIT_S = 20.0  # a source's first worker: the longest it waits before it looks anyway
FOLLOWER_WAIT_S = 60.0  # its other workers (a safety net: every change that matters wakes one)
VISIBLE_MARGIN_S = 0.01  # moto's message is visible strictly after its time, in whole milliseconds


class _Changes:
    """Per queue: changes that may have made a message receivable (sent, or deleted: the next of a
    FIFO group) and not yet taken by a waiting worker, at most one per worker of the queue; and
    when a message delayed or in flight becomes receivable (`due`, monotonic times)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, threading.Condition] = {}
        self._pending: dict[str, int] = {}
        self._workers: dict[str, int] = {}
        self._due: dict[str, list[tuple[float, str]]] = {}  # a heap per queue: (when, receipt or "")
        self._receipts: dict[str, dict[str, float]] = {}  # receipt in flight -> when it comes back

    def _condition(self, queue: str) -> threading.Condition:
        with self._lock:
            if queue not in self._queues:
                self._queues[queue] = threading.Condition()
                self._pending[queue] = 0
                self._due[queue] = []
                self._receipts[queue] = {}
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

    def note_due(self, queue: str, at: float, receipt: str | None = None) -> None:
        """A message of `queue` becomes receivable at `at` (monotonic) with no call to announce it:
        its delay ends, or the visibility timeout of the receipt (unless it is deleted first)."""
        if queue not in self._queues:
            return
        changed = self._condition(queue)
        with changed:
            due = self._due[queue]
            earliest = due[0][0] if due else None
            heapq.heappush(due, (at, receipt or ""))
            if receipt:
                self._receipts[queue][receipt] = at
            if earliest is None or at < earliest:
                changed.notify_all()  # the worker watching the due times waits less

    def forget_due(self, queue: str, receipt: str) -> None:
        """The receipt's message was deleted (or made visible at once): nothing comes back."""
        if queue in self._queues:
            with self._condition(queue):
                self._receipts[queue].pop(receipt, None)

    def wait(self, queue: str, timeout: float, stop: threading.Event, *, watch_due: bool = False) -> None:
        """Until a change is noted for `queue` (taking it), `stop` is set, the timeout, or (with
        `watch_due`) a message delayed or in flight becomes receivable."""
        changed = self._condition(queue)
        deadline = time.monotonic() + timeout
        with changed:
            while not stop.is_set():
                if self._pending[queue] > 0:
                    self._pending[queue] -= 1
                    return
                now = time.monotonic()
                until = min(deadline, self._next_due(queue, now)) if watch_due else deadline
                if until <= now:
                    return
                changed.wait(until - now)

    def _next_due(self, queue: str, now: float) -> float:
        """The earliest due time still ahead, or `now` when one passed (dropped: the caller looks)."""
        due, receipts = self._due[queue], self._receipts[queue]
        passed = False
        while due:
            at, receipt = due[0]
            live = not receipt or receipts.get(receipt) == at
            if live and at > now:
                return now if passed else at
            heapq.heappop(due)
            if live:
                receipts.pop(receipt, None)
                passed = True
        return now if passed else float("inf")

    def wake_all(self, queue: str) -> None:
        changed = self._condition(queue)
        with changed:
            changed.notify_all()


CHANGES = _Changes()


def _noting(method: Any, count: Any) -> Any:
    @functools.wraps(method)  # keeps the other wrapper's mark
    def call(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        answer = method(backend, queue_name, *args, **kwargs)
        CHANGES.note(queue_name, count(*args, **kwargs))
        return answer

    call.notes_changes = True  # type: ignore[attr-defined]
    return call


def _monotonic(epoch_ms: float) -> float:
    return epoch_ms / 1000 - time.time() + time.monotonic() + VISIBLE_MARGIN_S


def _sent(backend: Any, answer: Any, queue_name: str, *args: Any, **kwargs: Any) -> None:
    if answer.delayed_until > unix_time_millis():
        CHANGES.note_due(queue_name, _monotonic(answer.delayed_until))


def _received(backend: Any, answer: Any, queue_name: str, *args: Any, **kwargs: Any) -> None:
    now = unix_time_millis()
    for message in answer:
        if message.visible_at > now:
            CHANGES.note_due(queue_name, _monotonic(message.visible_at), message.receipt_handle)


def _made_visible(backend: Any, answer: Any, queue_name: str, *args: Any, **kwargs: Any) -> None:
    """change_message_visibility(receipt_handle, visibility_timeout), positional or by name (its batch
    form calls it by name for each entry)."""
    receipt = kwargs.get("receipt_handle", args[0] if args else "")
    timeout = int(kwargs.get("visibility_timeout", args[1] if len(args) > 1 else 0))
    CHANGES.forget_due(queue_name, receipt)
    if timeout > 0:
        CHANGES.note_due(queue_name, time.monotonic() + timeout + VISIBLE_MARGIN_S, receipt)


def _deleted(backend: Any, answer: Any, queue_name: str, *args: Any, **kwargs: Any) -> None:
    CHANGES.forget_due(queue_name, kwargs.get("receipt_handle", args[0] if args else ""))


# After these, when a message becomes receivable with no call to announce it. send_message_batch,
# delete_message_batch and change_message_visibility_batch make one call of the single form per entry.
DUE_TIMES = {
    "send_message": _sent,
    "receive_message": _received,
    "change_message_visibility": _made_visible,
    "delete_message": _deleted,
}


def _noting_due(method: Any, after: Any) -> Any:
    @functools.wraps(method)
    def call(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        answer = method(backend, queue_name, *args, **kwargs)
        after(backend, answer, queue_name, *args, **kwargs)
        return answer

    call.notes_due = True  # type: ignore[attr-defined]
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
    for name, after in DUE_TIMES.items():
        method = getattr(SQSBackend, name)
        if not getattr(method, "notes_due", False):
            setattr(SQSBackend, name, _noting_due(method, after))


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
                CHANGES.wait(
                    self._queue, FOLLOWER_WAIT_S if index else IDLE_WAIT_S, self._stop, watch_due=index == 0
                )

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
