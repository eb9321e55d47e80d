"""moto applies DynamoDB updates and SQS receives as unlocked Python; local mode makes each atomic.

Found by the walking skeleton: parallel push handlers adding to a job's counters lost updates,
and the job never saw its last batch recorded.
"""

import json
import threading
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from tidemark.local import answers, atomic

pytestmark = pytest.mark.integration
THREADS, ADDS = 8, 40


@pytest.fixture
def atomic_moto():
    with mock_aws():
        atomic.make_atomic()
        try:
            yield
        finally:
            atomic.undo()


def run_in_threads(work):
    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_concurrent_adds_to_one_item_are_all_kept(atomic_moto):
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
    )
    dynamodb.put_item(TableName="t", Item={"PK": {"S": "job"}, "n": {"N": "0"}})

    def add():
        for _ in range(ADDS):
            dynamodb.update_item(
                TableName="t",
                Key={"PK": {"S": "job"}},
                UpdateExpression="SET n = n + :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    run_in_threads(add)
    assert dynamodb.get_item(TableName="t", Key={"PK": {"S": "job"}})["Item"]["n"]["N"] == str(THREADS * ADDS)


def test_concurrent_receivers_never_take_the_same_message(atomic_moto):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(THREADS * 10):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    taken: list[str] = []

    def receive():
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
            if not messages:
                return
            taken.append(messages[0]["Body"])

    run_in_threads(receive)
    assert sorted(taken, key=int) == [str(n) for n in range(THREADS * 10)]


def test_a_message_sent_while_two_others_are_deleted_is_kept(atomic_moto, monkeypatch):
    # moto's delete rebuilds the queue's list without the lock a send appends under: with a second
    # delete and a send in between, raw moto loses the message sent. The service lock keeps it.
    from moto.sqs.models import Message

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first, second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    other_client = boto3.client("sqs", region_name="us-east-1")

    def delete_second_and_send():
        other_client.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
        other_client.send_message(QueueUrl=url, MessageBody="new")

    other = threading.Thread(target=delete_second_and_send)
    original, calls = Message.had_receipt_handle, []

    def walk(self, receipt_handle):  # the second call is the walk that rebuilds the list
        calls.append(1)
        if len(calls) == 2:
            other.start()
            other.join(timeout=0.5)
        return original(self, receipt_handle)

    monkeypatch.setattr(Message, "had_receipt_handle", walk)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    other.join()
    monkeypatch.undo()

    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert [message["Body"] for message in left.get("Messages", [])] == ["new"]


def one_item_table():
    """Table "t" (key PK) holding item P with n = 0: the client and P's key."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    key = {"PK": {"S": "P"}}
    dynamodb.put_item(TableName="t", Item=key | {"n": {"N": "0"}})
    return dynamodb, key


@pytest.mark.parametrize("read", ["scan", "query", "get_item", "batch_get_item"])
def test_no_write_lands_while_a_reads_answer_is_written(read, monkeypatch):
    """Reads are answered under the lock, their JSON included, with no copy of the items: a write
    sent while the answer is being written waits for it (else it could change an item half-written)."""
    with mock_aws():
        answers.install()
        atomic.make_atomic()
        try:
            dynamodb, key = one_item_table()
            landed_meanwhile, writers = [], []

            def write_while_answering(answer, **kwargs):
                writer = threading.Thread(
                    target=dynamodb.put_item, kwargs={"TableName": "t", "Item": key | {"n": {"N": "1"}}}
                )
                writers.append(writer)
                writer.start()
                writer.join(0.5)
                landed_meanwhile.append(not writer.is_alive())
                return json.dumps(answer, **kwargs)

            monkeypatch.setattr(answers, "json", SimpleNamespace(dumps=write_while_answering))
            {
                "scan": lambda: dynamodb.scan(TableName="t"),
                "query": lambda: dynamodb.query(
                    TableName="t",
                    KeyConditionExpression="PK = :p",
                    ExpressionAttributeValues={":p": {"S": "P"}},
                ),
                "get_item": lambda: dynamodb.get_item(TableName="t", Key=key),
                "batch_get_item": lambda: dynamodb.batch_get_item(RequestItems={"t": {"Keys": [key]}}),
            }[read]()
            monkeypatch.undo()
            for writer in writers:
                writer.join(10)
            assert dynamodb.get_item(TableName="t", Key=key)["Item"]["n"] == {"N": "1"}  # then it landed
        finally:
            atomic.undo()
            answers.undo()

    assert landed_meanwhile and not any(landed_meanwhile)


def test_no_write_lands_while_an_update_copies_the_item_it_updates(atomic_moto, monkeypatch):
    """moto's UpdateItem handler deep-copies the item before updating it, outside the backend's
    lock: a write of that item meanwhile raised "dictionary changed size during iteration" in a
    push handler's lease (helper-37's 20-orders-a-second run). The whole request now holds the lock."""
    from moto.dynamodb import responses

    dynamodb, key = one_item_table()
    writer = threading.Thread(
        target=dynamodb.put_item, kwargs={"TableName": "t", "Item": key | {"n": {"N": "5"}, "m": {"S": "x"}}}
    )
    landed_meanwhile = []
    deepcopy = responses.copy.deepcopy

    def copy_while_writing(value, *args):
        if not writer.is_alive() and not landed_meanwhile:
            writer.start()
            writer.join(0.5)
            landed_meanwhile.append(not writer.is_alive())
        return deepcopy(value, *args)

    monkeypatch.setattr(responses, "copy", SimpleNamespace(deepcopy=copy_while_writing))
    dynamodb.update_item(
        TableName="t",
        Key=key,
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    monkeypatch.undo()
    writer.join(10)
    assert landed_meanwhile == [False]
