"""The local SQS event source honours batchItemFailures, visibility timeouts and redrive, as Lambda does."""

import json
import threading
import time
from collections import Counter

import boto3
import pytest
from moto import mock_aws

from tests.fakes import FailingOnce
from tests.moto_functions import REGION, consumer_function
from tidemark.local import faults as runtime_faults
from tidemark.local import lambdas
from tidemark.local.deploy import SqsEventSource
from tidemark.local.pollers import QueuePoller

pytestmark = pytest.mark.integration


@pytest.fixture
def consumer():
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(event, context):
        failures = []
        for record in event["Records"]:
            body = json.loads(record["body"])
            with lock:
                seen[body["id"]] += 1
            if body.get("fail"):
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    with mock_aws():
        lambdas.install_seam()
        consumer_function("consumer", handler)
        sqs = boto3.client("sqs", region_name=REGION)
        dlq = sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue = sqs.create_queue(
            QueueName="work.fifo",
            Attributes={
                "FifoQueue": "true",
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
            },
        )["QueueUrl"]
        poller = QueuePoller(
            SqsEventSource("consumer", queue, batch_size=5, max_concurrency=2, report_failures=True), REGION
        )
        poller.start()
        try:
            yield sqs, queue, dlq, seen
        finally:
            poller.stop()
            lambdas.remove_seam()


def send(sqs, queue, group, body):
    sqs.send_message(
        QueueUrl=queue, MessageBody=json.dumps(body), MessageGroupId=group, MessageDeduplicationId=body["id"]
    )


def test_failed_items_come_back_until_redriven_and_the_rest_are_deleted(consumer):
    sqs, queue, dlq, seen = consumer
    for n in range(6):
        send(sqs, queue, f"g{n % 3}", {"id": f"ok-{n}"})
    send(sqs, queue, "bad", {"id": "poison", "fail": True})

    deadline = time.monotonic() + 20
    dead = []
    while time.monotonic() < deadline and not dead:
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        time.sleep(0.2)

    assert [json.loads(m["Body"])["id"] for m in dead] == ["poison"]
    assert seen["poison"] == 2  # maxReceiveCount deliveries, each after the visibility timeout
    assert all(seen[f"ok-{n}"] == 1 for n in range(6))
    left = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_a_function_error_fails_the_whole_batch(consumer):
    sqs, queue, _, seen = consumer
    calls = Counter()

    def flaky(event, context):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("first call fails")
        for record in event["Records"]:
            seen[json.loads(record["body"])["id"]] += 1
        return {"batchItemFailures": []}

    lambdas._registry["consumer"] = flaky
    send(sqs, queue, "g", {"id": "retried"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not seen["retried"]:
        time.sleep(0.1)
    assert seen["retried"] == 1 and calls["n"] >= 2


def test_one_group_is_delivered_in_order(consumer):
    sqs, queue, _, _ = consumer
    order = []

    def record_order(event, context):
        order.extend(json.loads(r["body"])["id"] for r in event["Records"])
        return {"batchItemFailures": []}

    lambdas._registry["consumer"] = record_order
    ids = [f"m{n:02d}" for n in range(12)]
    for message_id in ids:
        send(sqs, queue, "one-group", {"id": message_id})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(order) < len(ids):
        time.sleep(0.1)
    assert order == ids


@pytest.fixture
def faults():
    """The runtime's fault plan, turned off again after the test."""
    yield runtime_faults.PLAN
    runtime_faults.PLAN.configure(runtime_faults.RuntimeFaultRates())


def test_a_batch_crashed_after_part_of_it_fails_whole_after_its_first_records_were_processed(
    consumer, faults
):
    _, _, _, seen = consumer
    faults.configure(runtime_faults.RuntimeFaultRates(batch_crash=1.0), seed=3)
    records = [{"messageId": f"m{n}", "body": json.dumps({"id": f"m{n}"})} for n in range(4)]

    answer = boto3.client("lambda", region_name=REGION).invoke(
        FunctionName="consumer", Payload=json.dumps({"Records": records}).encode()
    )

    done = sum(seen.values())
    assert answer.get("FunctionError") and "batch_crash (injected)" in answer["Payload"].read().decode()
    assert 0 <= done < 4 and all(seen[f"m{n}"] == (n < done) for n in range(4))
    assert faults.counts() == {"batch_crash": 1}


def test_a_handler_past_its_timeout_did_its_work_and_its_batch_comes_back(consumer, faults):
    sqs, queue, _, seen = consumer
    faults.configure(runtime_faults.RuntimeFaultRates(handler_timeout=1.0), seed=3)
    send(sqs, queue, "g", {"id": "slow"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and seen["slow"] < 1:
        time.sleep(0.05)
    faults.configure(runtime_faults.RuntimeFaultRates())
    while time.monotonic() < deadline + 10 and seen["slow"] < 2:
        time.sleep(0.1)

    assert seen["slow"] >= 2 and faults.counts()["handler_timeout"] >= 1


def test_workers_killed_with_messages_in_flight_leave_them_to_come_back(consumer):
    """On a queue of its own: the fixture's poller, reading the shared queue, could take the message
    first and delete it, which is what made this test flaky before (issue 23's closing note)."""
    sqs, _, _, seen = consumer
    queue = sqs.create_queue(
        QueueName="killed.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "1"}
    )["QueueUrl"]
    started, release = threading.Event(), threading.Event()

    def stuck(event, context):
        for record in event["Records"]:
            seen[json.loads(record["body"])["id"]] += 1
        started.set()
        release.wait(5)
        return {"batchItemFailures": []}

    lambdas._registry["consumer"] = stuck
    source = SqsEventSource("consumer", queue, batch_size=5, max_concurrency=1, report_failures=True)
    killed = QueuePoller(source, REGION)
    send(sqs, queue, "g", {"id": "in-flight"})
    killed.start()
    assert started.wait(5)
    killer = threading.Thread(target=killed.stop, kwargs={"abandon": True})
    killer.start()
    release.set()
    killer.join(10)
    assert seen["in-flight"] == 1
    restarted = QueuePoller(source, REGION)  # Lambda's workers again, after the kill
    restarted.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and seen["in-flight"] < 2:  # after its 1 s visibility timeout
            time.sleep(0.1)
    finally:
        restarted.stop()

    assert seen["in-flight"] == 2
    assert "Messages" not in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0)  # deleted this time


def test_a_worker_outlives_a_failed_call_of_its_own_and_the_batch_comes_back(consumer, caplog):
    sqs, _, _, seen = consumer
    queue = sqs.create_queue(
        QueueName="own.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "1"}
    )["QueueUrl"]
    poller = QueuePoller(
        SqsEventSource("consumer", queue, batch_size=5, max_concurrency=1, report_failures=True), REGION
    )
    invoke = FailingOnce(poller._lambda.invoke, ConnectionError("the Lambda service did not answer"))
    poller._lambda.invoke = invoke
    send(sqs, queue, "g", {"id": "after-a-failed-invoke"})
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not seen["after-a-failed-invoke"]:
            time.sleep(0.1)
        assert all(thread.is_alive() for thread in poller._threads)
    finally:
        poller.stop()

    assert seen["after-a-failed-invoke"] == 1 and invoke.calls == 2
    assert "the Lambda service did not answer" in caplog.text
