"""Canary of the one private moto API local mode builds on (see tidemark/local/lambdas.py).

If moto renames or reshapes LambdaFunction._invoke_lambda, these fail loudly, naming the seam.
"""

import inspect
import json
import time

import boto3
import pytest
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from tests.moto_functions import table_with_stream
from tidemark.local import lambdas
from tidemark.local.deploy import FunctionSpec, _placeholder_zip

pytestmark = pytest.mark.integration


def echo_handler(event, context):
    return {
        "seen": event,
        "function": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def test_the_seam_still_has_the_shape_local_mode_replaces():
    method = getattr(LambdaFunction, lambdas.SEAM_NAME, None)
    assert callable(method), (
        f"moto no longer has LambdaFunction.{lambdas.SEAM_NAME}: pin moto or move the seam"
    )
    parameters = list(inspect.signature(method).parameters)
    assert parameters == ["self", "event"], f"LambdaFunction.{lambdas.SEAM_NAME} now takes {parameters}"


@pytest.fixture
def seam():
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        lambdas.install_seam()
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        answer = boto3.client("lambda", region_name="us-east-1").create_function(
            FunctionName="echo",
            Runtime="python3.11",
            Role=role,
            Handler="test_moto_seam.echo_handler",
            Code={"ZipFile": _placeholder_zip()},
            Timeout=30,
        )
        lambdas.register(
            FunctionSpec("Echo", "echo", answer["FunctionArn"], __name__, "echo_handler", {}, 30)
        )
        try:
            yield answer["FunctionArn"], role
        finally:
            lambdas.remove_seam()


def test_a_direct_invoke_runs_the_handler_in_process(seam):
    answer = boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="echo", Payload=b'{"n": 1}')
    payload = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer
    assert payload["seen"] == {"n": 1}
    assert payload["function"] == "echo"
    assert 0 < payload["remaining_ms"] <= 30_000


def test_a_state_machine_task_runs_the_handler_in_process(seam):
    arn, role = seam
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            }
        },
    }
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    machine = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn=role)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=machine, name="e1", input='{"k": "v"}')["executionArn"]
    for _ in range(100):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["seen"] == {"k": "v"}


def test_a_handler_error_comes_back_as_a_function_error(seam, caplog):
    lambdas._registry["echo"] = lambda event, context: 1 / 0
    answer = boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="echo", Payload=b"{}")
    assert answer["FunctionError"]
    assert json.loads(answer["Payload"].read())["errorType"] == "ZeroDivisionError"
    assert "echo failed: ZeroDivisionError" in caplog.text  # in the function's log, as Lambda writes it
    (failed,) = [r for r in caplog.records if "echo failed" in r.getMessage()]
    assert failed.exc_info and "Traceback" in caplog.text and "1 / 0" in caplog.text  # where it broke


def test_reads_answered_as_json_at_once_equal_what_moto_serializes():
    """tidemark/local/answers.py writes moto's read results out itself: the same answer, faster (a
    stream record's creation time included)."""
    from tidemark.local import answers

    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        table_with_stream(dynamodb)
        streams = boto3.client(  # moto serves streams at "/", which botocore leaves out
            "dynamodbstreams",
            region_name="us-east-1",
            endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com/",
        )
        stream = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
        for n in range(3):
            item = {
                "PK": {"S": "P"},
                "SK": {"S": f"S{n}"},
                "n": {"N": str(n)},
                "m": {"M": {"l": {"L": [{"BOOL": True}]}}},
            }
            dynamodb.put_item(TableName="t", Item=item)
        keys = [{"PK": {"S": "P"}, "SK": {"S": f"S{n}"}} for n in range(3)]

        def reads():
            return (
                dynamodb.get_item(TableName="t", Key=keys[0])["Item"],
                dynamodb.batch_get_item(RequestItems={"t": {"Keys": keys}})["Responses"],
                dynamodb.query(
                    TableName="t",
                    KeyConditionExpression="PK = :p",
                    ExpressionAttributeValues={":p": {"S": "P"}},
                    Limit=2,
                ),
                dynamodb.scan(TableName="t")["Items"],
                streams.get_records(
                    ShardIterator=streams.get_shard_iterator(
                        StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
                )["Records"],
            )

        moto_answers = reads()
        answers.install()
        try:
            fast = reads()
        finally:
            answers.undo()
    assert [_without_metadata(a) for a in fast] == [_without_metadata(a) for a in moto_answers]


def _without_metadata(answer):
    return (
        {k: v for k, v in answer.items() if k != "ResponseMetadata"} if isinstance(answer, dict) else answer
    )


def counting_handler(event, context):
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = Metrics(namespace="Test")
    metrics.add_metric(name="calls", unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()
    return {}


def test_metrics_switched_off_are_never_printed(seam, capfd, monkeypatch):
    # Powertools keeps a disabled handler's metrics and prints them at 100 values; the seam drops them.
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    lambdas._registry["echo"] = counting_handler
    for _ in range(120):
        boto3.client("lambda", region_name="us-east-1").invoke(FunctionName="echo", Payload=b"{}")
    assert '"_aws"' not in capfd.readouterr().out
