"""bench/cost_model.py's arithmetic (bench/prices.py): counts and a price table give the expected
dollars, Express is billed as its pricing page says, and the idle month counts a template's
resources as a deploy at its defaults creates them."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import prices

from tidemark.local import template as cfn

pytestmark = pytest.mark.unit

ONE_DOLLAR_A_UNIT = {
    "WRU_USD": 1.0,
    "RRU_USD": 0.5,
    "SQS_FIFO_USD": 0.25,
    "SQS_STANDARD_USD": 0.125,
    "SFN_TRANSITION_USD": 2.0,
    "LAMBDA_REQUEST_USD": 0.01,
    "LAMBDA_GB_S_USD": 3.0,
    "LAMBDA_ARM_GB_S_USD": 2.0,
    "SECRETS_CALL_USD": 0.1,
    "SCHEDULER_INVOCATION_USD": 4.0,
    "HTTP_API_REQUEST_USD": 0.02,
}


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, usd in ONE_DOLLAR_A_UNIT.items():
        monkeypatch.setattr(prices, name, usd)


def test_counts_and_a_price_table_give_each_lines_dollars(table: None) -> None:
    counts = prices.Counts(
        wru=10,
        rru=4,
        sqs_fifo=8,
        sqs_standard=8,
        transitions=3,
        lambda_requests=100,
        lambda_gb_s=2,
        secrets_calls=10,
        scheduler_invocations=1,
        api_requests=50,
    )
    assert prices.bill(counts) == {
        "DynamoDB writes": 10.0,
        "DynamoDB reads": 2.0,
        "SQS": 3.0,
        "Step Functions": 6.0,
        "Lambda requests": 1.0,
        "Lambda compute": 6.0,
        "Secrets Manager": 1.0,
        "EventBridge Scheduler": 4.0,
        "API Gateway": 1.0,
    }
    assert prices.bill(counts, arm64=True)["Lambda compute"] == 4.0
    per_million = prices.per_million(prices.bill(counts), pushed=1_000_000)
    assert per_million["DynamoDB writes"] == pytest.approx(10.0)
    assert prices.per_million({"x": 1.0}, pushed=500) == {"x": 2000.0}
    assert prices.dominant(prices.bill(counts)) == ("DynamoDB writes", pytest.approx(10 / 34))
    with pytest.raises(ValueError, match="nothing was pushed"):
        prices.per_million({"x": 1.0}, pushed=0)


def test_counts_add_up_line_by_line() -> None:
    total = prices.Counts(wru=1, transitions=2) + prices.Counts(wru=3, api_requests=1)
    assert (total.wru, total.transitions, total.api_requests, total.rru) == (4, 2, 1, 0)


def test_express_is_billed_by_request_and_by_duration_in_64_mb_chunks_and_100_ms() -> None:
    assert prices.express_memory_mb(16_000, 4096, map_steps=16) == 64
    assert prices.express_memory_mb(16_000, 1024**2, map_steps=16) == 128  # 50 MB + 16 MB of payloads
    gb_s = prices.SFN_EXPRESS_GB_S_USD
    assert prices.express_execution_usd(0.05, 64) == pytest.approx(1e-6 + 0.1 * 0.0625 * gb_s)
    assert prices.express_execution_usd(0.1, 64) == pytest.approx(1e-6 + 0.1 * 0.0625 * gb_s)
    assert prices.express_execution_usd(60.01, 128) == pytest.approx(1e-6 + 60.1 * 0.125 * gb_s)
    assert prices.standard_execution_usd(40) == pytest.approx(40 * 25e-6)


TINY_TEMPLATE = """
Parameters:
  AlarmEmail: { Type: String, Default: "" }
  KeyKind: { Type: String, Default: aws-managed }
Conditions:
  HasAlarmEmail: !Not [!Equals [!Ref AlarmEmail, ""]]
  UsesKey: !Equals [!Ref KeyKind, customer-managed]
Resources:
  Work:
    Type: AWS::SQS::Queue
    Properties: { FifoQueue: true, QueueName: work.fifo }
  Later:
    Type: AWS::SQS::Queue
  Key:
    Type: AWS::KMS::Key
    Condition: UsesKey
  WorkAgeAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties: { QueueName: !GetAtt Work.QueueName }
  LaterAgeAlarm:
    Type: AWS::CloudWatch::Alarm
  EmailAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: HasAlarmEmail
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Work: { Type: SQS, Properties: { Queue: !GetAtt Work.Arn, BatchSize: 5 } }
        Later: { Type: SQS, Properties: { Queue: !GetAtt Later.Arn } }
        Api: { Type: HttpApi }
"""


def test_the_idle_month_counts_what_a_deploy_at_the_defaults_creates(tmp_path: Path, table: None) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(TINY_TEMPLATE)
    template = cfn.load(path)
    resolver = cfn.Resolver(template, "tiny", ref=lambda name: name, get_att=lambda *a: ".".join(a))
    resources = prices.deployed(template, resolver.condition)
    types = prices.resource_types(resources)
    assert types["AWS::CloudWatch::Alarm"] == 2  # the e-mail one is conditioned off
    assert types["AWS::KMS::Key"] == 0
    assert prices.polled_queues(resources) == {"Work": True, "Later": False}

    inputs = prices.IdleInputs(
        alarms=types["AWS::CloudWatch::Alarm"],
        dashboards=types["AWS::CloudWatch::Dashboard"],
        kms_keys=types["AWS::KMS::Key"],
        polled_queues=prices.polled_queues(resources),
        secrets=3,
        stored_bytes=2 * prices.GB,
        pitr=True,
        jobs=10,
        job=prices.Counts(transitions=2, wru=1, lambda_requests=100),
        log_bytes_per_job=prices.GB / 10,
        metrics=4,
        pollers_per_queue=1,
        poll_wait_s=3600,  # one receive an hour a poller
    )
    month = prices.idle_month(inputs)
    hours = prices.HOURS_A_MONTH
    assert month["CloudWatch alarms"] == pytest.approx(2 * prices.ALARM_MONTH_USD)
    assert month["CloudWatch dashboard"] == pytest.approx(prices.DASHBOARD_MONTH_USD)
    assert month["CloudWatch metrics (EMF)"] == pytest.approx(4 * prices.CUSTOM_METRIC_MONTH_USD)
    assert month["Secrets Manager secrets"] == pytest.approx(3 * prices.SECRET_MONTH_USD)
    assert month["KMS keys"] == 0.0
    assert month["SQS idle long polls"] == pytest.approx(hours * (0.25 + 0.125))
    assert month["DynamoDB storage"] == pytest.approx(2 * prices.DYNAMODB_STORAGE_GB_MONTH_USD)
    assert month["DynamoDB PITR"] == pytest.approx(2 * prices.DYNAMODB_PITR_GB_MONTH_USD)
    assert month["CloudWatch Logs"] == pytest.approx(
        prices.LOGS_INGEST_GB_USD + prices.LOGS_STORAGE_GB_MONTH_USD
    )
    assert month["Step Functions (jobs)"] == pytest.approx(10 * 2 * 2.0)
    assert month["Lambda (jobs)"] == pytest.approx(10 * 100 * 0.01)
    assert month["DynamoDB requests (jobs)"] == pytest.approx(10 * 1.0)
    assert month["SQS, Secrets Manager, Scheduler (jobs)"] == 0.0


def test_the_real_template_deploys_its_alarms_and_no_key_at_its_defaults() -> None:
    path = Path(__file__).resolve().parents[2] / "template.yaml"
    template = cfn.load(path)
    resolver = cfn.Resolver(template, "tidemark", ref=lambda name: name, get_att=lambda *a: ".".join(a))
    resources = prices.deployed(template, resolver.condition)
    every_alarm = sum(1 for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm")
    conditioned = sum(
        1
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and "Condition" in r
        and not resolver.condition(r["Condition"])
    )
    assert prices.resource_types(resources)["AWS::CloudWatch::Alarm"] == every_alarm - conditioned
    assert prices.resource_types(resources)["AWS::KMS::Key"] == 0  # SecretsKeyKind: aws-managed
    assert prices.polled_queues(resources)  # the event source mappings' queues
