"""The template's destinations for Amazon's notifications: only Amazon's notifications account, and
EventBridge on behalf of the rule that forwards the listings notifications from SP-API's partner
event bus, may send to its queue, so a message from anyone else cannot arrive; a worker with batch
item failures drains it into master, and its dead letters and the rule's failed deliveries alarm.
Deployed into moto with the partner bus named, the rule forwards what Amazon puts on the bus."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from shared.domain.amazon_notifications import parse_notification
from tidemark.local import event_rules
from tidemark.local.amazon import PARTNER_EVENT_BUS, associate_partner_bus
from tidemark.local.deploy import deploy
from tidemark.local.template import load

pytestmark = pytest.mark.integration

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
TEMPLATE: dict[str, Any] = load(TEMPLATE_PATH)
RESOURCES = TEMPLATE["Resources"]
AMAZON_ACCOUNT = "437568002678"  # SP-API's notifications come from this account
RULE = RESOURCES.get("AmazonListingsNotificationsRule", {"Condition": None, "Properties": {}})


def queue_policy() -> dict[str, Any]:
    (policy,) = [
        r
        for r in RESOURCES.values()
        if r["Type"] == "AWS::SQS::QueuePolicy"
        and {"Ref": "AmazonNotificationsQueue"} in r["Properties"]["Queues"]
    ]
    return policy


def test_only_amazons_notifications_account_and_the_listings_rule_may_send_to_the_queue() -> None:
    policy = queue_policy()
    always, when_listings = policy["Properties"]["PolicyDocument"]["Statement"]
    assert always["Effect"] == "Allow" and "Condition" not in always
    principal = always["Principal"]
    assert list(principal) == ["AWS"] and AMAZON_ACCOUNT in str(principal["AWS"])
    assert "*" not in str(principal)
    assert sorted(always["Action"]) == ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    assert always["Resource"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}
    # EventBridge only on behalf of the listings rule, and only where the rule exists
    condition, rules, otherwise = when_listings["Fn::If"]
    assert condition == RULE["Condition"] and otherwise == {"Ref": "AWS::NoValue"}
    assert rules["Effect"] == "Allow" and rules["Principal"] == {"Service": "events.amazonaws.com"}
    assert rules["Action"] == "sqs:SendMessage"
    assert rules["Resource"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}
    assert rules["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["AmazonListingsNotificationsRule", "Arn"]}}
    }
    # the queue is in no other policy: nobody else is granted a send
    others = [r for r in RESOURCES.values() if r["Type"] == "AWS::SQS::QueuePolicy" and r is not policy]
    assert all({"Ref": "AmazonNotificationsQueue"} not in r["Properties"]["Queues"] for r in others)


def test_the_listings_notifications_come_by_a_rule_on_the_partner_event_bus_the_parameter_names() -> None:
    parameter = TEMPLATE["Parameters"]["AmazonPartnerEventBusName"]
    assert parameter["Default"] == ""  # no partner source connected: no rule
    assert TEMPLATE["Conditions"][RULE["Condition"]] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AmazonPartnerEventBusName"}, ""]}]
    }
    rule = RULE["Properties"]
    assert rule["EventBusName"] == {"Ref": "AmazonPartnerEventBusName"}
    assert rule["EventPattern"] == {
        "source": [{"prefix": "aws.partner/sellingpartnerapi.amazon.com"}],
        "detail-type": ["LISTINGS_ITEM_MFN_QUANTITY_CHANGE", "LISTINGS_ITEM_STATUS_CHANGE"],
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["AmazonNotificationsQueue", "Arn"]}
    # the event whole (EventBridge's envelope around Amazon's), as the worker parses it
    assert not {"Input", "InputPath", "InputTransformer"} & set(target)
    assert (
        "SqsParameters" not in target
        and "FifoQueue" not in RESOURCES["AmazonNotificationsQueue"]["Properties"]
    )


def test_the_rules_failed_deliveries_alarm_on_its_bus() -> None:
    (alarm,) = [
        r
        for r in RESOURCES.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("Namespace") == "AWS/Events"
        and {"Name": "EventBusName", "Value": {"Ref": "AmazonPartnerEventBusName"}}
        in r["Properties"]["Dimensions"]
    ]
    assert alarm["Condition"] == RULE["Condition"]
    assert alarm["Properties"]["MetricName"] == "FailedInvocations"
    assert {"Name": "RuleName", "Value": RULE["Properties"]["Name"]} in alarm["Properties"]["Dimensions"]
    assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


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


@pytest.fixture
def moto_events() -> Iterator[None]:
    event_rules.install()
    try:
        with mock_aws():
            yield
    finally:
        event_rules.undo()


def put(bus: str, source: str, kind: str, notification_id: str) -> None:
    envelope = {
        "NotificationVersion": "1.0",
        "NotificationType": kind,
        "PayloadVersion": "1.0",
        "EventTime": "2026-12-07T12:00:00Z",
        "Payload": {"SellerId": "A1SELLER", "FulfillmentChannelCode": "DEFAULT", "Sku": "S-1", "Quantity": 4},
        "NotificationMetadata": {"NotificationId": notification_id},
    }
    events = boto3.client("events", region_name="us-east-1")
    entry = {"Source": source, "DetailType": kind, "Detail": json.dumps(envelope), "EventBusName": bus}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def received(queue_url: str) -> list[Any]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_deployed_with_the_partner_bus_the_rule_forwards_the_listings_notifications_only(
    moto_events: None,
) -> None:
    deployment = deploy(TEMPLATE_PATH, **associate_partner_bus())
    queue_url = deployment.resources["AmazonNotificationsQueue"].ref
    put(PARTNER_EVENT_BUS, PARTNER_EVENT_BUS, "LISTINGS_ITEM_MFN_QUANTITY_CHANGE", "n-quantity")
    put(PARTNER_EVENT_BUS, PARTNER_EVENT_BUS, "LISTINGS_ITEM_ISSUES_CHANGE", "n-issues")
    put(PARTNER_EVENT_BUS, "aws.partner/another.example.com/x", "LISTINGS_ITEM_STATUS_CHANGE", "n-other")
    put("default", PARTNER_EVENT_BUS, "LISTINGS_ITEM_STATUS_CHANGE", "n-default-bus")
    (body,) = received(queue_url)
    notification = parse_notification(body)
    assert (notification.notification_id, notification.kind) == (
        "n-quantity",
        "LISTINGS_ITEM_MFN_QUANTITY_CHANGE",
    )
    assert notification.event is not None and (notification.event.sku, notification.event.quantity) == (
        "S-1",
        4,
    )
    sqs = boto3.client("sqs", region_name="us-east-1")
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    rule_arn = deployment.resources["AmazonListingsNotificationsRule"].attributes["Arn"]
    assert rule_arn.endswith(f"rule/{PARTNER_EVENT_BUS}/tidemark-amazon-listings-notifications")
    assert policy["Statement"][1]["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}


def test_deployed_without_the_partner_bus_there_is_no_rule_and_only_amazon_may_send(
    moto_events: None,
) -> None:
    deployment = deploy(TEMPLATE_PATH)
    assert "AmazonListingsNotificationsRule" not in deployment.resources
    queue_url = deployment.resources["AmazonNotificationsQueue"].ref
    sqs = boto3.client("sqs", region_name="us-east-1")
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert [s["Principal"] for s in policy["Statement"]] == [{"AWS": f"arn:aws:iam::{AMAZON_ACCOUNT}:root"}]
