"""Local resources are the template's: an edit to template.yaml exists locally with no other edit."""

import shutil
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tidemark.local.deploy import UnsupportedResource, deploy
from tidemark.local.runtime import EnvironmentConflict, handler_environment
from tidemark.local.template import load

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def template_copy(tmp_path):
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    return tmp_path / "template.yaml"


def append_resources(path: Path, text: str) -> None:
    source = path.read_text()
    path.write_text(source.replace("\nResources:\n", "\nResources:\n" + text, 1))


def test_every_table_index_queue_function_and_state_machine_is_deployed():
    template = load(ROOT / "template.yaml")
    with mock_aws():
        deployment = deploy(ROOT / "template.yaml")
        table = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName="tidemark-Table")[
            "Table"
        ]
        indexes = {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}
        declared = {
            i["IndexName"] for i in template["Resources"]["Table"]["Properties"]["GlobalSecondaryIndexes"]
        }
        assert indexes == declared
        assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        ttl = boto3.client("dynamodb", region_name="us-east-1").describe_time_to_live(
            TableName="tidemark-Table"
        )
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"

        sqs = boto3.client("sqs", region_name="us-east-1")
        push = sqs.get_queue_attributes(
            QueueUrl=deployment.resources["PushQueue"].ref, AttributeNames=["All"]
        )
        assert push["Attributes"]["FifoQueue"] == "true"
        assert (
            deployment.resources["PushDeadLetterQueue"].attributes["Arn"]
            in push["Attributes"]["RedrivePolicy"]
        )

        functions = {
            r for r, spec in template["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"
        }
        deployed = {
            f["FunctionName"]
            for f in boto3.client("lambda", region_name="us-east-1").list_functions()["Functions"]
        }
        assert deployed == set(deployment.functions)
        assert {f.logical_id for f in deployment.functions.values()} == functions
        # An ARN built from a function's name in the template is the ARN the function got.
        (scheduled,) = [f for f in deployment.functions.values() if f.logical_id == "ScheduleFunction"]
        assert {f.environment["SCHEDULE_FUNCTION_ARN"] for f in deployment.functions.values()} == {
            scheduled.arn
        }
        machines = boto3.client("stepfunctions", region_name="us-east-1").list_state_machines()[
            "stateMachines"
        ]
        assert {m["name"] for m in machines} == {"tidemark-jobs"}
        definition = boto3.client("stepfunctions", region_name="us-east-1").describe_state_machine(
            stateMachineArn=deployment.resources["JobStateMachine"].ref
        )["definition"]
        assert "${" not in definition and deployment.resources["PlanFunction"].attributes["Arn"] in definition
        assert {(r.method, r.path) for r in deployment.routes} >= {("POST", "/v1/webhooks/shopify/{channel}")}


def test_a_queue_added_to_the_template_exists_locally(template_copy):
    append_resources(
        template_copy,
        "  AuditQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: 45\n",
    )
    with mock_aws():
        deployment = deploy(template_copy)
        url = deployment.resources["AuditQueue"].ref
        attributes = boto3.client("sqs", region_name="us-east-1").get_queue_attributes(
            QueueUrl=url, AttributeNames=["VisibilityTimeout"]
        )["Attributes"]
        assert attributes["VisibilityTimeout"] == "45"


def test_an_index_added_to_the_template_exists_locally(template_copy):
    text = template_copy.read_text().replace(
        "        - IndexName: GSI3\n",
        "        - IndexName: ByTitle\n          KeySchema:\n"
        "            - { AttributeName: PK, KeyType: HASH }\n"
        "          Projection: { ProjectionType: KEYS_ONLY }\n        - IndexName: GSI3\n",
    )
    template_copy.write_text(text)
    with mock_aws():
        deploy(template_copy)
        table = boto3.client("dynamodb", region_name="us-east-1").describe_table(TableName="tidemark-Table")[
            "Table"
        ]
        assert "ByTitle" in {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}


def test_a_resource_local_mode_cannot_deploy_fails_loudly(template_copy):
    append_resources(template_copy, "  Stream:\n    Type: AWS::Kinesis::Stream\n")
    with mock_aws(), pytest.raises(UnsupportedResource, match="Stream"):
        deploy(template_copy)


def test_handlers_that_disagree_on_a_setting_cannot_share_one_process(template_copy):
    text = template_copy.read_text().replace(
        "      CodeUri: functions/plan/\n",
        "      CodeUri: functions/plan/\n      Environment:\n"
        "        Variables:\n          PUSH_SHARDS: '3'\n",
    )
    template_copy.write_text(text)
    with mock_aws():
        deployment = deploy(template_copy)
    with pytest.raises(EnvironmentConflict, match="PUSH_SHARDS differs"):
        handler_environment(deployment)


def test_a_function_log_group_that_already_exists_is_taken_over():
    """moto's own Lambda creates a function's log group when it runs one: a state machine execution
    of the stack before (moto runs them in threads that outlive it) did so into the next stack's
    fresh backend, and that deploy failed on CreateLogGroup (9 e2e set-ups in one CI run)."""
    with mock_aws():
        logs = boto3.client("logs", region_name="us-east-1")
        logs.create_log_group(logGroupName="/aws/lambda/tidemark-LinkFunction")
        deploy(ROOT / "template.yaml")
        group = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/tidemark-LinkFunction")["logGroups"]
        assert [g.get("retentionInDays") for g in group] == [30]
