"""moto's SQS queues under the local runtime's threads: nothing sent is lost, nothing received
is handed out twice at once.

moto's Queue.delete_message rebuilds the queue's message list outside the lock a send holds while
it appends, and receive_message checks and marks a message without it. In local mode a sync's
planner sends push batches while several push workers receive and delete: two deletes at once
could put back a list without a batch just sent, which left its job "running" until the stall
check (found by a stress loop of the soak's set-up: planned 40 listings, pushed 39, the queue
empty). tidemark/local/queues.py makes both hold the queue's lock.

Each test makes the interleaving the GIL allows happen for sure: a second thread acts while the
first is inside moto, and is waited for briefly (it lands at once without the lock; with it,
right after the first call).
"""

from __future__ import annotations

import threading

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message, Queue, SQSBackend

from tidemark.local import queues

REGION = "us-east-1"


@pytest.fixture(params=[False, True], ids=["standard", "fifo"])
def queue(request):
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        name, attributes = ("pushes.fifo", {"FifoQueue": "true"}) if request.param else ("pushes", {})
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        queues.install()
        try:
            yield sqs, url, request.param
        finally:
            queues.undo()


def _send(sqs, url, fifo, body):
    extra = {"MessageGroupId": body, "MessageDeduplicationId": body} if fifo else {}
    sqs.send_message(QueueUrl=url, MessageBody=body, **extra)


def _meanwhile(monkeypatch, cls, name, action, on_call=1):
    """Run `action` in another thread while the `on_call`-th call of cls.name is under way."""
    original = getattr(cls, name)
    other = threading.Thread(target=action)
    calls = []

    def wrapped(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == on_call:
            other.start()
            other.join(timeout=0.5)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, wrapped)
    return other


def test_a_message_sent_while_two_others_are_deleted_is_kept(queue, monkeypatch):
    sqs, url, fifo = queue
    _send(sqs, url, fifo, "first")
    _send(sqs, url, fifo, "second")
    first, second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    other_client = boto3.client("sqs", region_name=REGION)

    def delete_second_and_send():
        other_client.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
        _send(other_client, url, fifo, "new")

    # the first call finds the message to delete; the second is the walk that rebuilds the list
    other = _meanwhile(monkeypatch, Message, "had_receipt_handle", delete_second_and_send, on_call=2)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    other.join()
    monkeypatch.undo()

    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert [message["Body"] for message in left.get("Messages", [])] == ["new"]


def test_a_message_is_received_by_one_worker_at_a_time(queue, monkeypatch):
    sqs, url, fifo = queue
    _send(sqs, url, fifo, "batch")
    other_client = boto3.client("sqs", region_name=REGION)
    got: list[str] = []

    def receive():
        answer = other_client.receive_message(QueueUrl=url, MaxNumberOfMessages=1)
        got.extend(message["Body"] for message in answer.get("Messages", []))

    other = _meanwhile(monkeypatch, Message, "mark_received", receive)
    mine = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    other.join()

    assert [message["Body"] for message in mine] == ["batch"]
    assert got == []


def test_a_long_poll_lets_a_send_through_and_gets_it(queue):
    sqs, url, fifo = queue
    got: list[str] = []
    poller = threading.Thread(
        target=lambda: got.extend(
            m["Body"] for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5).get("Messages", [])
        )
    )
    poller.start()
    poller.join(timeout=0.3)  # it is waiting, holding nothing
    _send(boto3.client("sqs", region_name=REGION), url, fifo, "late")
    poller.join(timeout=5)
    assert got == ["late"]


def test_undo_gives_moto_its_own_methods_back():
    own = Queue.delete_message, SQSBackend.receive_message
    queues.install()
    assert (Queue.delete_message, SQSBackend.receive_message) != own
    queues.undo()
    assert (Queue.delete_message, SQSBackend.receive_message) == own
