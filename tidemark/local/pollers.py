"""SQS event sources: poll the queue, deliver batches to the function, delete what succeeded.

As Lambda does: a function error fails the whole batch, `batchItemFailures` fails only the
items named, and failed messages come back after their visibility timeout until the queue's
redrive policy moves them to the dead-letter queue.

A batch is gathered one message per receive: moto redelivers only the last of several FIFO
messages of one group received together (see ../shared/MOTO.md), while one message of a
group in flight at a time keeps every redelivery and the group's order.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import boto3

from tidemark.local.deploy import SqsEventSource

log = logging.getLogger(__name__)

IDLE_SLEEP_S = 0.05
MAX_IDLE_SLEEP_S = 0.25


class QueuePoller:
    def __init__(self, source: SqsEventSource, region: str) -> None:
        self.source = source
        self._sqs = boto3.client("sqs", region_name=region)
        self._lambda = boto3.client("lambda", region_name=region)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=source.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self._region = region
        self._stop = threading.Event()
        self._abandon = False
        self._threads = [
            threading.Thread(target=self._work, name=f"poll-{source.function}-{i}", daemon=True)
            for i in range(max(1, source.max_concurrency))
        ]
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, *, abandon: bool = False) -> None:
        """Stop polling once each worker's batch in hand is done; with `abandon`, as if the workers
        were killed: a batch received is not delivered, and one being delivered is not deleted, so
        its messages come back after their visibility timeout (the work already done included)."""
        self._abandon = abandon
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=35)

    def _work(self) -> None:
        idle = IDLE_SLEEP_S
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
                self._stop.wait(idle)
                idle = min(MAX_IDLE_SLEEP_S, idle * 2)
            else:
                idle = IDLE_SLEEP_S

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
