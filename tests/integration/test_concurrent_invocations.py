"""A batch function's invocations running at once each answer for their own records.

Lambda gives each container one invocation at a time; local mode runs a function's invocations in
parallel threads of one process, sharing the handler module's globals. A batch processor kept in a
global is then shared: one invocation's records replace another's, and a batch whose records were
never handled answers that nothing failed, so its event source deletes it (a push batch lost, and
its sync job waiting for it until it stalls)."""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from typing import Any

import pytest

from functions.auto_push import handler as auto_push_function
from functions.auto_sync import handler as auto_sync_function
from functions.push import handler as push_function
from functions.webhook_worker import handler as worker_function
from shared.services import failures
from tidemark.local.lambdas import LocalContext

pytestmark = pytest.mark.integration

THREADS, INVOCATIONS, RECORDS = 6, 40, 3


def sqs_record(record_id: str) -> dict[str, Any]:
    return {"messageId": record_id, "body": "{}", "attributes": {"ApproximateReceiveCount": "1"}}


def stream_record(record_id: str) -> dict[str, Any]:
    return {"eventID": record_id, "dynamodb": {"SequenceNumber": record_id}}


@pytest.mark.parametrize(
    ("module", "record", "id_of"),
    [
        (push_function, sqs_record, lambda r: r.message_id),
        (auto_push_function, sqs_record, lambda r: r.message_id),
        (worker_function, sqs_record, lambda r: r.message_id),
        (auto_sync_function, stream_record, lambda r: r.dynamodb.sequence_number),
    ],
    ids=["push", "auto-push", "webhook-worker", "auto-sync"],
)
def test_invocations_at_once_each_handle_and_answer_for_their_own_records(monkeypatch, module, record, id_of):
    handled: dict[tuple[int, int], list[str]] = defaultdict(list)
    answers: dict[tuple[int, int], set[str]] = {}
    current = threading.local()

    def record_handler(record: Any, lambda_context: Any = None) -> None:
        record_id = id_of(record)
        handled[current.invocation].append(record_id)
        if record_id.endswith("-1") and current.invocation[1] % 2:
            raise RuntimeError("fails on purpose")

    monkeypatch.setattr(module, "record_handler", record_handler)
    monkeypatch.setattr(failures, "record_failure", lambda *args, **kwargs: None)
    context = LocalContext("f", "arn:aws:lambda:us-east-1:123456789012:function:f", 512, 60)

    def invoke_many(thread: int) -> None:
        for n in range(INVOCATIONS):
            current.invocation = (thread, n)
            event = {"Records": [record(f"{thread}-{n}-{i}") for i in range(RECORDS)]}
            answer = module.lambda_handler(event, context)
            answers[(thread, n)] = {failure["itemIdentifier"] for failure in answer["batchItemFailures"]}

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: the interleavings come at once
    try:
        threads = [threading.Thread(target=invoke_many, args=(t,)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    fifo = module is not auto_sync_function  # a FIFO batch stops at its first failure, in order
    for (thread, n), failed in answers.items():
        own = [f"{thread}-{n}-{i}" for i in range(RECORDS)]
        fails = n % 2 == 1  # its second record raises
        assert failed == (set(own[1:] if fifo else own[1:2]) if fails else set()), (thread, n)
        assert handled[(thread, n)] == (own[:2] if fails and fifo else own), (thread, n)
