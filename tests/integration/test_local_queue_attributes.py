"""Local mode reads an SQS queue's attributes one at a time (tidemark/local/queue_attributes.py):
moto answers exactly what it answered with its whole dict, and a receive no longer walks the
queue's messages for every message it looks at."""

import json

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message

from tidemark.local import queue_attributes

pytestmark = pytest.mark.integration


def queues(sqs) -> dict[str, str]:
    """A FIFO queue with a dead-letter queue and a key, and a standard one delayed, each holding
    a few messages (visible, in flight, delayed)."""
    dead = sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fifo = sqs.create_queue(
        QueueName="work.fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": "false",
            "KmsMasterKeyId": "alias/aws/sqs",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": 5}),
        },
    )["QueueUrl"]
    standard = sqs.create_queue(QueueName="plain", Attributes={"DelaySeconds": "30"})["QueueUrl"]
    for n in range(4):
        sqs.send_message(
            QueueUrl=fifo, MessageBody=str(n), MessageGroupId=str(n), MessageDeduplicationId=str(n)
        )
        sqs.send_message(QueueUrl=standard, MessageBody=str(n))
    sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=2)
    return {"fifo": fifo, "dead": dead, "standard": standard}


def every_attribute(sqs, urls: dict[str, str]) -> dict[str, object]:
    asked = {}
    for kind, url in urls.items():
        asked[kind] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        for name in ("MessageRetentionPeriod", "ContentBasedDeduplication", "RedrivePolicy", "Policy"):
            answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
            asked[f"{kind} {name}"] = answer.get("Attributes")
    return asked


def without_timestamps(answers: dict[str, object]) -> dict[str, object]:
    return {
        kind: {k: v for k, v in value.items() if not k.endswith("Timestamp")}
        if isinstance(value, dict)
        else value
        for kind, value in answers.items()
    }


def test_every_attribute_is_answered_as_moto_answers_it():
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        urls = queues(sqs)
        by_moto = every_attribute(sqs, urls)
        queue_attributes.install()
        try:
            read_one_at_a_time = every_attribute(sqs, urls)
        finally:
            queue_attributes.undo()
    assert without_timestamps(read_one_at_a_time) == without_timestamps(by_moto)
    assert read_one_at_a_time["fifo"]["ApproximateNumberOfMessagesNotVisible"] == "2"
    assert read_one_at_a_time["standard"]["ApproximateNumberOfMessagesDelayed"] == "4"
    assert json.loads(read_one_at_a_time["fifo"]["RedrivePolicy"])["maxReceiveCount"] == 5


def test_a_receive_from_a_backlog_does_not_walk_the_queue_for_each_message(monkeypatch):
    walks = []
    counting = Message.visible.fget

    def visible(message):
        walks.append(message)
        return counting(message)

    with mock_aws():
        queue_attributes.install()
        try:
            sqs = boto3.client("sqs", region_name="us-east-1")
            url = sqs.create_queue(QueueName="backlog")["QueueUrl"]
            for n in range(200):
                sqs.send_message(QueueUrl=url, MessageBody=str(n))
            monkeypatch.setattr(Message, "visible", property(visible))
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        finally:
            queue_attributes.undo()
    assert len(received) == 10
    assert len(walks) < 1_000, len(walks)  # moto's whole dict: 3 walks of 200 messages a message looked at
