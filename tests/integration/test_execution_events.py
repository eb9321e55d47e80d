"""Local mode's EventBridge for Step Functions (tidemark/local/executions.py): an execution that
ends in a status a rule asks for reaches the rule's function as EventBridge's event, once, and
again after the function failed; others do not."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from moto import mock_aws

from tidemark.local import lambdas
from tidemark.local.deploy import EventRule, FunctionSpec, _placeholder_zip
from tidemark.local.executions import DETAIL_TYPE, ExecutionEvents

pytestmark = pytest.mark.integration
REGION = "us-east-1"
received: list[dict] = []
failures_left: list[int] = [0]


def watcher_handler(event, context):
    if failures_left[0]:
        failures_left[0] -= 1
        raise RuntimeError("not now")
    received.append(event)
    return {}


@pytest.fixture
def machines():
    received.clear()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        lambdas.install_seam()
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="r", AssumeRolePolicyDocument="{}"
        )
        answer = boto3.client("lambda", region_name=REGION).create_function(
            FunctionName="watcher",
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="x.watcher_handler",
            Code={"ZipFile": _placeholder_zip()},
        )
        lambdas.register(
            FunctionSpec("W", "watcher", answer["FunctionArn"], __name__, "watcher_handler", {}, 3)
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)

        def machine(name: str) -> str:
            definition = {
                "StartAt": "Choose",
                "States": {
                    "Choose": {
                        "Type": "Choice",
                        "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
                        "Default": "Broke",
                    },
                    "Done": {"Type": "Succeed"},
                    "Broke": {"Type": "Fail", "Error": "Broke", "Cause": "it broke"},
                },
            }
            return sfn.create_state_machine(
                name=name, definition=json.dumps(definition), roleArn=role["Role"]["Arn"]
            )["stateMachineArn"]

        try:
            yield sfn, machine
        finally:
            lambdas.remove_seam()


def _ended(sfn, arn):
    for _ in range(100):
        if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
            return
        time.sleep(0.02)
    raise AssertionError(f"{arn} still running")


def test_a_failed_execution_of_the_machine_a_rule_names_reaches_its_function_once(machines):
    sfn, machine = machines
    jobs, other = machine("jobs"), machine("other")
    rule = EventRule(
        "watcher",
        {
            "source": ["aws.states"],
            "detail-type": [DETAIL_TYPE],
            "detail": {"status": ["FAILED", "TIMED_OUT", "ABORTED"], "stateMachineArn": [jobs]},
        },
    )
    runs = {
        name: sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps({"ok": ok}))[
            "executionArn"
        ]
        for name, arn, ok in (("broke", jobs, False), ("fine", jobs, True), ("elsewhere", other, False))
    }
    for arn in runs.values():
        _ended(sfn, arn)
    events = ExecutionEvents([rule], REGION)
    failures_left[0] = 1  # EventBridge tries again: so does the next look
    events.look()
    assert received == []
    events.look()
    events.look()

    assert [event["detail"]["name"] for event in received] == ["broke"]
    event = received[0]
    assert (event["source"], event["detail-type"], event["resources"]) == (
        "aws.states",
        DETAIL_TYPE,
        [runs["broke"]],
    )
    assert event["detail"]["status"] == "FAILED"
    assert (event["detail"]["error"], event["detail"]["cause"]) == ("Broke", "it broke")
    assert json.loads(event["detail"]["input"]) == {"ok": False}


def test_rules_about_other_events_are_left_alone():
    rule = EventRule("watcher", {"source": ["aws.s3"], "detail-type": ["Object Created"]})
    with mock_aws():
        assert ExecutionEvents([rule], REGION).rules == []
