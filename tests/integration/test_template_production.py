"""template.yaml holds what running it in production needs (issue 17): an alarm for every failure
signal, throttles and reserved concurrency at the public edge, every log group with its retention,
least-privilege policies, and the backstops. Read from the template itself (SAM Globals merged as
SAM merges them); the last tests deploy it into moto."""

import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tidemark.local.deploy import deploy
from tidemark.local.template import load, with_globals

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load(ROOT / "template.yaml")
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ASL = json.loads((ROOT / "infra" / "job.asl.json").read_text())


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in RESOURCES.items() if spec["Type"] == kind}


FUNCTIONS = {
    name: with_globals(TEMPLATE, spec) for name, spec in of_type("AWS::Serverless::Function").items()
}
ALARMS = {name: spec["Properties"] for name, spec in of_type("AWS::CloudWatch::Alarm").items()}
QUEUES = of_type("AWS::SQS::Queue")


def alarms_on(namespace: str, metric: str) -> list[dict[str, Any]]:
    return [a for a in ALARMS.values() if a.get("Namespace") == namespace and a.get("MetricName") == metric]


def dimension(alarm: dict[str, Any], name: str) -> Any:
    (value,) = [d["Value"] for d in alarm["Dimensions"] if d["Name"] == name]
    return value


def dead_letter_queues() -> set[str]:
    """Every queue that holds what failed: a redrive target, the stream's on-failure queue, an
    on-failure destination or an EventBridge target's dead-letter queue."""
    found = {
        spec["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for spec in QUEUES.values()
        if "RedrivePolicy" in spec["Properties"]
    }
    for function in FUNCTIONS.values():
        on_failure = function.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            found.add(on_failure["Destination"]["Fn::GetAtt"][0])
        for event in function.get("Events", {}).values():
            p = event["Properties"]
            if "DestinationConfig" in p:
                found.add(p["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0])
            if "DeadLetterConfig" in p:
                found.add(p["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0])
    return found


def test_every_alarm_notifies_the_one_topic_and_an_email_subscription_is_optional():
    assert len(of_type("AWS::SNS::Topic")) == 1
    for name, alarm in ALARMS.items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    (subscription,) = of_type("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert TEMPLATE["Parameters"]["AlarmEmail"]["Default"] == ""


def test_every_dead_letter_queue_alarms_on_any_message():
    queues = dead_letter_queues()
    assert queues >= {
        "PushDeadLetterQueue",
        "WebhookDeadLetterQueue",
        "AutoPushDeadLetterQueue",
        "StreamFailureQueue",
        "AsyncFailureQueue",
    }
    watched = {
        dimension(a, "QueueName")["Fn::GetAtt"][0]: a
        for a in alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    }
    for queue in queues:
        assert watched[queue]["Threshold"] == 1
        assert watched[queue]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        # a dead letter is kept (and its alarm stays) when the stack is deleted or the queue replaced
        assert RESOURCES[queue]["DeletionPolicy"] == RESOURCES[queue]["UpdateReplacePolicy"] == "Retain"


def test_the_work_queues_alarm_on_the_age_of_their_oldest_message():
    watched = {
        dimension(a, "QueueName")["Fn::GetAtt"][0]
        for a in alarms_on("AWS/SQS", "ApproximateAgeOfOldestMessage")
    }
    assert watched >= {"WebhookQueue", "PushQueue", "AutoPushQueue"}


def test_every_function_alarms_on_errors_throttles_and_a_p99_duration_near_its_timeout():
    for metric in ("Errors", "Throttles"):
        watched = {dimension(a, "FunctionName")["Ref"] for a in alarms_on("AWS/Lambda", metric)}
        assert watched == set(FUNCTIONS), metric
    durations = {dimension(a, "FunctionName")["Ref"]: a for a in alarms_on("AWS/Lambda", "Duration")}
    assert set(durations) == set(FUNCTIONS)
    for name, alarm in durations.items():
        assert alarm["ExtendedStatistic"] == "p99"
        assert alarm["Threshold"] == 0.8 * int(FUNCTIONS[name]["Timeout"]) * 1000, name


def test_the_stream_the_job_executions_and_the_run_ended_rule_alarm():
    (iterator,) = alarms_on("AWS/Lambda", "IteratorAge")
    streamed = [
        n for n, f in FUNCTIONS.items() if any(e["Type"] == "DynamoDB" for e in f.get("Events", {}).values())
    ]
    assert [dimension(iterator, "FunctionName")["Ref"]] == streamed
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
        (alarm,) = alarms_on("AWS/States", metric)
        assert dimension(alarm, "StateMachineArn") == {"Ref": "JobStateMachine"}
    rule = FUNCTIONS["JobStepsFunction"]["Events"]["JobRunEnded"]["Properties"]
    failed = alarms_on("AWS/Events", "FailedInvocations")  # Amazon's listings rule has its own
    assert [dimension(a, "RuleName") for a in failed].count(rule["RuleName"]) == 1


def webhook_routes() -> set[str]:
    return {
        f"{e['Properties']['Method']} {e['Properties']['Path']}"
        for e in FUNCTIONS["WebhooksFunction"]["Events"].values()
        if e["Type"] == "HttpApi"
    }


def test_the_webhook_routes_4xx_and_5xx_and_the_refusals_alarm():
    for status in ("4xx", "5xx"):
        (alarm,) = [
            a
            for a in ALARMS.values()
            if any(
                q.get("MetricStat", {}).get("Metric", {}).get("MetricName") == status
                for q in a.get("Metrics", [])
            )
        ]
        routes = {
            next(d["Value"] for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "Route")
            for q in alarm["Metrics"]
            if "MetricStat" in q
        }
        assert routes == webhook_routes(), status
    refusals = [
        q["Expression"]
        for a in ALARMS.values()
        for q in a.get("Metrics", [])
        if "SELECT" in q.get("Expression", "")
    ]
    assert {e.split("(")[1].split(")")[0] for e in refusals} == {"refused_401", "refused_413"}


def test_one_dashboard_shows_jobs_pushes_webhooks_and_queues():
    (dashboard,) = of_type("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    for figure in ("job_completed", "job_failed", "job_seconds", "listings_pushed", "auto_push_pushed"):
        assert f'\\"{figure}\\"' in body, figure
    for figure in ("queued", "duplicates", "refused_401", "webhook_taken"):
        assert f'\\"{figure}\\"' in body, figure
    for queue in dead_letter_queues() | {"PushQueue", "WebhookQueue", "AutoPushQueue"}:
        assert "${" + queue + ".QueueName}" in body, queue
    assert "channel" in body


def test_the_api_is_throttled_tighter_on_the_webhook_routes_and_logs_every_request():
    api = TEMPLATE["Globals"]["HttpApi"]
    parameters = TEMPLATE["Parameters"]

    def limit(settings: dict[str, Any], key: str) -> int:
        return int(parameters[settings[key]["Ref"]]["Default"])

    default = api["DefaultRouteSettings"]
    assert set(api["RouteSettings"]) == webhook_routes()
    for route in api["RouteSettings"].values():
        for key in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            assert limit(route, key) < limit(default, key)
    access = api["AccessLogSettings"]
    assert access["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    entry = json.loads(access["Format"])
    assert {"caller", "user", "ip", "route", "status", "integrationError"} <= set(entry)
    assert entry["integrationError"] == "$context.integrationErrorMessage"


def test_the_webhooks_function_is_capped_and_the_workers_it_feeds_are_held_room():
    webhooks = FUNCTIONS["WebhooksFunction"]["ReservedConcurrentExecutions"]
    assert webhooks == {
        "Fn::If": ["ReservesConcurrency", {"Ref": "WebhooksConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    for name in ("PushFunction", "AutoPushFunction", "WebhookWorkerFunction"):
        function = FUNCTIONS[name]
        condition, reserved, _ = function["ReservedConcurrentExecutions"]["Fn::If"]
        assert condition == "ReservesConcurrency"
        polling = sum(
            e["Properties"]["ScalingConfig"]["MaximumConcurrency"]
            for e in function.get("Events", {}).values()
            if e["Type"] == "SQS"
        )
        assert reserved >= polling, name
    every = [f.get("ReservedConcurrentExecutions") for f in FUNCTIONS.values()]
    assert None not in every


def test_every_log_group_is_explicit_kept_for_the_retention_parameter_and_json():
    groups = {
        spec["Properties"]["LogGroupName"]["Fn::Sub"]: spec
        for spec in of_type("AWS::Logs::LogGroup").values()
    }
    for name in FUNCTIONS:
        assert f"/aws/lambda/${{{name}}}" in groups, name
        assert FUNCTIONS[name]["LoggingConfig"]["LogFormat"] == "JSON"
    for spec in groups.values():
        assert spec["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    logging = RESOURCES["JobStateMachine"]["Properties"]["Logging"]
    assert logging["Level"] == "ERROR"
    assert logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"] == {
        "Fn::GetAtt": ["JobStateMachineLogGroup", "Arn"]
    }


def statements(function: str) -> list[dict[str, Any]]:
    return [s for p in FUNCTIONS[function]["Policies"] if "Statement" in p for s in p["Statement"]]


def test_the_webhooks_function_reads_only_its_channel_its_deliveries_and_its_webhook_secret():
    policies = FUNCTIONS["WebhooksFunction"]["Policies"]
    assert not any("DynamoDBCrudPolicy" in p or "DynamoDBReadPolicy" in p for p in policies)
    table = [s for s in statements("WebhooksFunction") if s["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}]
    keys = {tuple(value["dynamodb:LeadingKeys"]) for s in table for value in s["Condition"].values()}
    assert keys == {("CHANNELS",), ("DELIVERY#*",)}
    (channel_read,) = [s for s in table if s["Condition"].get("ForAllValues:StringEquals")]
    assert channel_read["Action"] == "dynamodb:GetItem"
    (secret,) = [s for s in statements("WebhooksFunction") if s["Action"] == "secretsmanager:GetSecretValue"]
    assert "${AWS::StackName}/${WebhookSecretName}" in secret["Resource"]["Fn::Sub"]
    assert "channels" not in TEMPLATE["Parameters"]["WebhookSecretName"]["Default"]
    # the code keeps each channel's webhook secret where that grant reaches
    prefix = FUNCTIONS["WebhooksFunction"]["Environment"]["Variables"]["WEBHOOK_SECRETS_PREFIX"]["Fn::Sub"]
    assert prefix == "${AWS::StackName}/" + TEMPLATE["Parameters"]["WebhookSecretName"][
        "Default"
    ].removesuffix("/*")
    (api_secrets,) = [s for s in statements("ApiFunction") if "secretsmanager:CreateSecret" in s["Action"]]
    assert any(prefix + "/*" in r["Fn::Sub"] for r in api_secrets["Resource"])


def test_auto_sync_reads_the_table_and_writes_only_its_failure_records():
    policies = FUNCTIONS["AutoSyncFunction"]["Policies"]
    assert not any("DynamoDBCrudPolicy" in p for p in policies)
    assert any("DynamoDBReadPolicy" in p for p in policies)
    (write,) = [s for s in statements("AutoSyncFunction") if s["Action"] == "dynamodb:PutItem"]
    assert write["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["FAILURE#stream#*"]}}


def test_the_scheduler_role_trusts_only_this_accounts_schedules_and_is_passed_only_to_scheduler():
    (trust,) = RESOURCES["SchedulerRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "schedule/${ScheduleGroup}/*" in trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"]
    (passing,) = [s for s in statements("ApiFunction") if s["Action"] == "iam:PassRole"]
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}


def tasks(states: dict[str, Any]) -> dict[str, Any]:
    found = {n: s for n, s in states.items() if s["Type"] == "Task"}
    for state in states.values():
        if "ItemProcessor" in state:
            found.update(tasks(state["ItemProcessor"]["States"]))
    return found


def test_a_job_run_ends_within_a_day_and_every_task_retries_lambdas_own_errors():
    assert ASL["TimeoutSeconds"] == 86400
    every = tasks(ASL["States"])
    assert {"CheckProgress", "FailJob", "MatchShard", "PlanShard"} <= set(every)
    for name, state in every.items():
        first = state["Retry"][0]
        assert set(first["ErrorEquals"]) == {
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
        }, name


def test_asynchronous_invocations_keep_what_failed():
    for name in ("JobStepsFunction", "ScheduleFunction"):
        config = FUNCTIONS[name]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["AsyncFailureQueue", "Arn"]
        }
    rule = FUNCTIONS["JobStepsFunction"]["Events"]["JobRunEnded"]["Properties"]
    assert rule["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["AsyncFailureQueue", "Arn"]}
    policy = of_type("AWS::SQS::QueuePolicy")["AsyncFailureQueuePolicy"]  # Amazon's queue has its own
    (allowed,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert allowed["Principal"] == {"Service": "events.amazonaws.com"}
    assert rule["RuleName"]["Fn::Sub"] in allowed["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]


def test_the_table_the_stream_and_the_queues_are_backstopped():
    table = RESOURCES["Table"]
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    (stream,) = [
        e for f in FUNCTIONS.values() for e in f.get("Events", {}).values() if e["Type"] == "DynamoDB"
    ]
    assert stream["Properties"]["StartingPosition"] == "TRIM_HORIZON"
    # Lambda's advice: a queue's visibility timeout at least 6 times its consumer's timeout
    for name, function in FUNCTIONS.items():
        for event in function.get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = QUEUES[event["Properties"]["Queue"]["Fn::GetAtt"][0]]
                assert queue["Properties"]["VisibilityTimeout"] >= 6 * int(function["Timeout"]), name


def test_traces_keep_no_copy_of_what_a_handler_returned():
    for function in FUNCTIONS.values():
        assert function["Environment"]["Variables"]["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"


def test_local_mode_creates_the_alarms_log_groups_and_dashboard_it_reads(tmp_path):
    with mock_aws():
        deployment = deploy(ROOT / "template.yaml")
        cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
        alarms = cloudwatch.get_paginator("describe_alarms").paginate().build_full_result()["MetricAlarms"]
        assert {a["AlarmName"] for a in alarms} == {  # with no Amazon partner event bus, no rule to alarm on
            f"tidemark-{p['AlarmName']['Fn::Sub'].split('}-', 1)[1]}"
            for name, p in ALARMS.items()
            if RESOURCES[name].get("Condition") != "ReceivesAmazonListings"
        }
        topic = deployment.resources["AlarmTopic"].ref
        assert all(a["AlarmActions"] == [topic] for a in alarms)
        groups = boto3.client("logs", region_name="us-east-1").describe_log_groups()["logGroups"]
        assert {g["retentionInDays"] for g in groups} == {30}
        assert len(groups) == len(of_type("AWS::Logs::LogGroup"))
        assert cloudwatch.list_dashboards()["DashboardEntries"][0]["DashboardName"] == "tidemark-tidemark"
        # AlarmEmail is empty: no subscription
        assert boto3.client("sns", region_name="us-east-1").list_subscriptions()["Subscriptions"] == []

    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    text = (tmp_path / "template.yaml").read_text()
    (tmp_path / "template.yaml").write_text(
        text.replace(
            '  AlarmEmail:\n    Type: String\n    Default: ""',
            "  AlarmEmail:\n    Type: String\n    Default: ops@example.com",
            1,
        )
    )
    with mock_aws():
        deploy(tmp_path / "template.yaml")
        (subscribed,) = boto3.client("sns", region_name="us-east-1").list_subscriptions()["Subscriptions"]
        assert subscribed["Endpoint"] == "ops@example.com"
