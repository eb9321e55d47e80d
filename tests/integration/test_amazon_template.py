"""The template's destination for Amazon's notifications: only Amazon's notifications account may
send to its queue, so a message from anyone else cannot arrive; a worker with batch item failures
drains it into master, and its dead letters alarm."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tidemark.local.template import load

pytestmark = pytest.mark.integration

TEMPLATE: dict[str, Any] = load(Path(__file__).resolve().parents[2] / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
AMAZON_ACCOUNT = "437568002678"  # SP-API's notifications come from this account


def test_only_amazons_notifications_account_may_send_to_the_queue() -> None:
    policies = [
        r
        for r in RESOURCES.values()
        if r["Type"] == "AWS::SQS::QueuePolicy"
        and {"Ref": "AmazonNotificationsQueue"} in r["Properties"]["Queues"]
    ]
    (policy,) = policies
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allowed) == 1 and not [s for s in statements if s["Effect"] != "Allow"]
    (statement,) = allowed
    principal = statement["Principal"]
    assert list(principal) == ["AWS"] and AMAZON_ACCOUNT in str(principal["AWS"])
    assert "*" not in str(principal)
    assert sorted(statement["Action"]) == ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    assert statement["Resource"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}
    # the queue is in no other policy: nobody else is granted a send
    others = [r for r in RESOURCES.values() if r["Type"] == "AWS::SQS::QueuePolicy" and r is not policy]
    assert all({"Ref": "AmazonNotificationsQueue"} not in r["Properties"]["Queues"] for r in others)


def test_the_worker_drains_the_queue_with_batch_item_failures_and_dead_letters_alarm() -> None:
    function = RESOURCES["AmazonNotificationsFunction"]["Properties"]
    (event,) = function["Events"].values()
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    redrive = RESOURCES["AmazonNotificationsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["AmazonNotificationsDeadLetterQueue", "Arn"]}
    alarm = RESOURCES["AmazonNotificationsDeadLetterQueueAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {
        "Fn::GetAtt": ["AmazonNotificationsDeadLetterQueue", "QueueName"]
    }
