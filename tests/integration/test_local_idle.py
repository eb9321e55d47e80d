"""An idle local runtime, sandboxes included, waits instead of polling (issue 22, item 4): it makes no
more than a few requests a second to moto (22 a second before, at 4 to 6 % of a core), and what it
waits for still wakes it at once: a delayed message becoming visible, a visibility timeout ending,
a schedule created, an execution started."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto.core.botocore_stubber import BotocoreStubber

from tests.moto_functions import consumer_function
from tidemark.local import executions, pollers
from tidemark.local.deploy import EventRule, SqsEventSource
from tidemark.local.executions import ExecutionEvents
from tidemark.local.pollers import QueuePoller
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION

pytestmark = pytest.mark.integration

SETTLE_S = 3.0  # start-up's own requests (first receives, first looks) are done by then
COUNTED_S = 10.0
MOST_PER_S = 2.0
LONG_S = 60.0  # the bounded waits, made long: what a test sees on time was woken, not looked for
LATE_S = 1.5  # what a loaded machine may add to a wake-up (the GIL, two cores shared)


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(port=0, shopify_variants=5, woocommerce_products=5, ebay_items=5) as runtime:
        yield runtime


def _service_and_action(request: Any) -> str:
    target = request.headers.get("X-Amz-Target") or b""
    target = target.decode() if isinstance(target, bytes) else target
    return f"{request.url.split('/')[2].split('.')[0]} {target or request.method + ' ' + request.url[-40:]}"


def test_an_idle_runtime_makes_no_more_than_a_few_requests_a_second_to_moto(runtime, monkeypatch):
    made: Counter[str] = Counter()
    process = BotocoreStubber.process_request

    def counted(self, request):
        made[_service_and_action(request)] += 1
        return process(self, request)

    time.sleep(SETTLE_S)
    monkeypatch.setattr(BotocoreStubber, "process_request", counted)
    time.sleep(COUNTED_S)
    monkeypatch.setattr(BotocoreStubber, "process_request", process)

    per_s = sum(made.values()) / COUNTED_S
    assert per_s <= MOST_PER_S, f"{per_s:.1f} requests a second to moto while idle: {made.most_common(8)}"


class Consumer:
    """A function that fails the deliveries it is told to, noting when each delivery came."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.arrived: list[tuple[float, str]] = []
        self.failures_left = 0
        self._lock = threading.Lock()
        consumer_function(name, self)

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        with self._lock:
            for record in event.get("Records", [event]):
                self.arrived.append((time.monotonic(), record.get("body", "event")))
            if self.failures_left:
                self.failures_left -= 1
                raise RuntimeError("not now")
        return {}

    def until(self, count: int, timeout: float = 15.0) -> list[float]:
        deadline = time.monotonic() + timeout
        while len(self.arrived) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.arrived) >= count, f"{self.name}: {len(self.arrived)} deliveries of {count}"
        return [at for at, _ in self.arrived]


@pytest.fixture
def polled(runtime, monkeypatch, request) -> Iterator[Callable[..., tuple[Any, str, Consumer]]]:
    """A queue of its own in the runtime's moto, polled as the template's are, its waits made long."""
    monkeypatch.setattr(pollers, "IDLE_WAIT_S", LONG_S)
    monkeypatch.setattr(pollers, "FOLLOWER_WAIT_S", LONG_S)
    sqs = boto3.client("sqs", region_name=REGION)
    started: list[QueuePoller] = []

    def make(name: str, **attributes: str) -> tuple[Any, str, Consumer]:
        consumer = Consumer(f"{request.node.name[-40:]}-{name}".replace("_", "-"))
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        poller = QueuePoller(
            SqsEventSource(consumer.name, url, batch_size=1, max_concurrency=2, report_failures=False), REGION
        )
        poller.start()
        started.append(poller)
        time.sleep(0.3)  # its first receive found nothing: it waits
        return sqs, url, consumer

    yield make
    for poller in started:
        poller.stop()


def test_a_delayed_message_is_delivered_once_its_delay_ends(polled):
    sqs, url, consumer = polled("delayed")
    sent = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=2)

    took = consumer.until(1)[0] - sent
    assert 2.0 <= took < 2.0 + LATE_S, f"delivered {took:.2f} s after it was sent with a 2 s delay"


def test_a_fifo_queues_own_delay_ends_its_pollers_wait(polled):
    """The push-back queue's way: a FIFO queue whose DelaySeconds delays every message."""
    sqs, url, consumer = polled("pushed-back.fifo", FifoQueue="true", DelaySeconds="2")
    sent = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="back", MessageGroupId="g", MessageDeduplicationId="1")

    took = consumer.until(1)[0] - sent
    assert 2.0 <= took < 2.0 + LATE_S, f"delivered {took:.2f} s after it was sent to a queue delaying 2 s"


def test_a_failed_message_is_delivered_again_once_its_visibility_timeout_ends(polled):
    sqs, url, consumer = polled("returns", VisibilityTimeout="1")
    consumer.failures_left = 1
    sqs.send_message(QueueUrl=url, MessageBody="twice")

    first, again = consumer.until(2)[:2]
    assert 1.0 <= again - first < 1.0 + LATE_S, f"delivered again {again - first:.2f} s after it failed"


def test_a_schedule_created_is_seen_by_the_runner_at_once(runtime):
    scheduler = boto3.client("scheduler", region_name=REGION)
    group = runtime.deployment.schedule_groups[0]
    time.sleep(0.5)  # the runner's look after start-up is done: it waits for the next due time
    scheduler.create_schedule(
        Name="idle-woken",
        GroupName=group,
        ScheduleExpression="rate(5 minutes)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:lambda:us-east-1:123456789012:function:nothing", "RoleArn": "arn:r"},
    )
    created = time.monotonic()
    try:
        while (group, "idle-woken") not in runtime.schedules._next_due and time.monotonic() - created < 5:
            time.sleep(0.01)
        assert time.monotonic() - created < LATE_S, "the runner did not see a schedule created as it waited"
    finally:
        scheduler.delete_schedule(Name="idle-woken", GroupName=group)


def test_an_execution_started_while_idle_reaches_its_rule_once_it_ends(runtime, monkeypatch):
    monkeypatch.setattr(executions, "IDLE_WAIT_S", LONG_S)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="idle-machine", AssumeRolePolicyDocument="{}"
    )["Role"]["Arn"]
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    machine = sfn.create_state_machine(name="idle", definition=json.dumps(definition), roleArn=role)
    consumer = Consumer("idle-execution-watcher")
    rule = EventRule(
        consumer.name, {"source": ["aws.states"], "detail": {"stateMachineArn": [machine["stateMachineArn"]]}}
    )
    events = ExecutionEvents([rule], REGION)
    events.start()
    try:
        time.sleep(0.5)  # its first look found nothing running: it waits
        started = time.monotonic()
        sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="idle-1", input="{}")
        took = consumer.until(1)[0] - started
        assert took < 0.5 + LATE_S, f"the execution's end reached its rule {took:.2f} s after it started"
    finally:
        events.stop()
