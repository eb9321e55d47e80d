"""The AWS list prices the benches bill with, and the arithmetic that turns counts into dollars
(bench/cost_model.py, bench/sync_scaling.py; tests/unit/test_cost_model.py holds the arithmetic).

us-east-1 list prices, pay as you go, free tiers left out, as the AWS pricing pages give them
(aws.amazon.com/<service>/pricing), written down on PRICES_DATE. Each constant names its page. Step
Functions' were confirmed against its pricing page's text (Standard: per state transition; Express:
$1.00 a million requests and duration in 64 MB chunks, rounded up to 100 ms, memory 50 MB plus the
definition and payload); the others are the pages as known on that date.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

PRICES_DATE = "2026-12-07"
PRICES_REGION = "us-east-1"
HOURS_A_MONTH = 730  # AWS's pricing pages bill a month as 730 hours

# DynamoDB on demand (aws.amazon.com/dynamodb/pricing/on-demand/, since the November 2024 price cut)
WRU_USD = 0.625e-6  # a write request unit (1 KB; a transactional write 2)
RRU_USD = 0.125e-6  # a read request unit (4 KB strongly consistent; eventually consistent half)
DYNAMODB_STORAGE_GB_MONTH_USD = 0.25  # table class Standard, past the first 25 GB
DYNAMODB_PITR_GB_MONTH_USD = 0.20  # continuous backups, of the table's size
DYNAMODB_ITEM_OVERHEAD_BYTES = 100  # stored with every item and every index entry
# Amazon SQS (aws.amazon.com/sqs/pricing/): a request, each 64 KB of payload one request
SQS_FIFO_USD = 0.50e-6
SQS_STANDARD_USD = 0.40e-6
# AWS Step Functions (aws.amazon.com/step-functions/pricing/)
SFN_TRANSITION_USD = 25e-6  # Standard: a state transition, retries included
SFN_EXPRESS_REQUEST_USD = 1.00e-6  # Express: an execution started
SFN_EXPRESS_GB_S_USD = 0.06 / 3600  # Express: $0.06 a GB-hour (the first 1,000 GB-hours a month)
SFN_EXPRESS_CHUNK_MB = 64
SFN_EXPRESS_BASE_MB = 50  # the page's memory estimate: 50 MB + definition + payload x Map steps
# AWS Lambda (aws.amazon.com/lambda/pricing/)
LAMBDA_REQUEST_USD = 0.20e-6
LAMBDA_GB_S_USD = 0.0000166667  # x86_64
LAMBDA_ARM_GB_S_USD = 0.0000133334  # arm64
# AWS Secrets Manager (aws.amazon.com/secrets-manager/pricing/)
SECRET_MONTH_USD = 0.40
SECRETS_CALL_USD = 0.05 / 10_000
# Amazon CloudWatch (aws.amazon.com/cloudwatch/pricing/)
ALARM_MONTH_USD = 0.10  # a standard-resolution alarm, per metric it evaluates
DASHBOARD_MONTH_USD = 3.00  # past the account's first 3 dashboards
CUSTOM_METRIC_MONTH_USD = 0.30  # a metric (name and dimensions), prorated by the hours it is sent
LOGS_INGEST_GB_USD = 0.50  # standard log class, vended logs' first 10 TB too
LOGS_STORAGE_GB_MONTH_USD = 0.03
# Amazon EventBridge Scheduler (aws.amazon.com/eventbridge/pricing/): past 14 million a month
SCHEDULER_INVOCATION_USD = 1.00e-6
# Amazon API Gateway HTTP API (aws.amazon.com/api-gateway/pricing/): the first 300 million a month,
# each 512 KB of a request one
HTTP_API_REQUEST_USD = 1.00e-6
# AWS KMS (aws.amazon.com/kms/pricing/): a customer managed key
KMS_KEY_MONTH_USD = 1.00
# AWS X-Ray (aws.amazon.com/xray/pricing/): a trace recorded
XRAY_TRACE_USD = 5.00e-6

GB = 1024**3


@dataclass
class Counts:
    """What a piece of work asked of AWS, in the units AWS bills."""

    wru: float = 0.0
    rru: float = 0.0
    sqs_fifo: float = 0.0  # requests, each 64 KB chunk one
    sqs_standard: float = 0.0
    transitions: float = 0.0  # Step Functions Standard
    lambda_requests: float = 0.0
    lambda_gb_s: float = 0.0
    secrets_calls: float = 0.0
    scheduler_invocations: float = 0.0
    api_requests: float = 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


def bill(counts: Counts, *, arm64: bool = False) -> dict[str, float]:
    """Dollars by service line."""
    gb_s = LAMBDA_ARM_GB_S_USD if arm64 else LAMBDA_GB_S_USD
    return {
        "DynamoDB writes": counts.wru * WRU_USD,
        "DynamoDB reads": counts.rru * RRU_USD,
        "SQS": counts.sqs_fifo * SQS_FIFO_USD + counts.sqs_standard * SQS_STANDARD_USD,
        "Step Functions": counts.transitions * SFN_TRANSITION_USD,
        "Lambda requests": counts.lambda_requests * LAMBDA_REQUEST_USD,
        "Lambda compute": counts.lambda_gb_s * gb_s,
        "Secrets Manager": counts.secrets_calls * SECRETS_CALL_USD,
        "EventBridge Scheduler": counts.scheduler_invocations * SCHEDULER_INVOCATION_USD,
        "API Gateway": counts.api_requests * HTTP_API_REQUEST_USD,
    }


def per_million(costs: Mapping[str, float], pushed: int) -> dict[str, float]:
    """Each line's dollars for a million pushed listings."""
    if pushed <= 0:
        raise ValueError("nothing was pushed: no cost per pushed listing")
    return {name: usd * 1e6 / pushed for name, usd in costs.items()}


def dominant(costs: Mapping[str, float]) -> tuple[str, float]:
    """The line that costs most and its share of the total."""
    total = sum(costs.values())
    name = max(costs, key=lambda k: costs[k])
    return name, (costs[name] / total if total else 0.0)


def standard_execution_usd(transitions: int) -> float:
    return transitions * SFN_TRANSITION_USD


def express_memory_mb(definition_bytes: int, payload_bytes: int, map_steps: int) -> int:
    """Billed memory, from the pricing page's estimate, in 64 MB chunks."""
    used = SFN_EXPRESS_BASE_MB + (definition_bytes + payload_bytes * max(1, map_steps)) / 1024**2
    return SFN_EXPRESS_CHUNK_MB * math.ceil(used / SFN_EXPRESS_CHUNK_MB)


def express_execution_usd(duration_s: float, memory_mb: int) -> float:
    billed_s = math.ceil(round(duration_s * 10, 6)) / 10  # rounded up to 100 ms
    return SFN_EXPRESS_REQUEST_USD + billed_s * memory_mb / 1024 * SFN_EXPRESS_GB_S_USD


# -- the template's fixed resources ---------------------------------------------------------------


def deployed(template: dict[str, Any], condition: Any) -> dict[str, dict[str, Any]]:
    """The resources a deploy at the parameters' defaults creates (`condition`: a condition's name
    -> whether it holds, e.g. tidemark.local.template.Resolver.condition)."""
    return {
        name: resource
        for name, resource in template.get("Resources", {}).items()
        if "Condition" not in resource or condition(resource["Condition"])
    }


def resource_types(resources: Mapping[str, dict[str, Any]]) -> Counter[str]:
    return Counter(str(r["Type"]) for r in resources.values())


def polled_queues(resources: Mapping[str, dict[str, Any]]) -> dict[str, bool]:
    """Each queue a Lambda event source mapping polls -> whether it is FIFO."""
    polled: dict[str, bool] = {}
    for resource in resources.values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "SQS":
                continue
            queue = event["Properties"]["Queue"]
            name = queue["Fn::GetAtt"][0] if isinstance(queue, dict) and "Fn::GetAtt" in queue else str(queue)
            fifo = bool(resources.get(name, {}).get("Properties", {}).get("FifoQueue", False))
            polled[name] = fifo
    return polled


@dataclass
class IdleInputs:
    """A month with nothing to push: what the template deploys and what was measured."""

    alarms: int
    dashboards: int
    kms_keys: int
    polled_queues: dict[str, bool]  # name -> FIFO
    secrets: int
    stored_bytes: float  # the table, items and index entries with their overhead
    pitr: bool
    jobs: int  # scheduled jobs a month
    job: Counts  # one scheduled job (with its schedule's invocation)
    log_bytes_per_job: float
    metrics: int  # custom metrics a scheduled job sends (EMF), each sent every hour
    # Lambda's SQS pollers at low traffic: five long polls at a time, down to two only when the
    # mapping sets no maximum concurrency (docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html);
    # every mapping in template.yaml sets ScalingConfig.MaximumConcurrency
    pollers_per_queue: int = 5
    poll_wait_s: int = 20
    log_retention_months: float = 1.0


def idle_month(inputs: IdleInputs) -> dict[str, float]:
    """Dollars by line for one idle month."""
    receives = inputs.pollers_per_queue * HOURS_A_MONTH * 3600 / inputs.poll_wait_s
    fifo = sum(1 for is_fifo in inputs.polled_queues.values() if is_fifo)
    standard = len(inputs.polled_queues) - fifo
    jobs = bill(inputs.job)
    stored_gb = inputs.stored_bytes / GB
    log_gb = inputs.log_bytes_per_job * inputs.jobs / GB
    return {
        "CloudWatch alarms": inputs.alarms * ALARM_MONTH_USD,
        "CloudWatch dashboard": inputs.dashboards * DASHBOARD_MONTH_USD,
        "CloudWatch metrics (EMF)": inputs.metrics * CUSTOM_METRIC_MONTH_USD,
        "CloudWatch Logs": log_gb * LOGS_INGEST_GB_USD
        + log_gb * inputs.log_retention_months * LOGS_STORAGE_GB_MONTH_USD,
        "Secrets Manager secrets": inputs.secrets * SECRET_MONTH_USD,
        "KMS keys": inputs.kms_keys * KMS_KEY_MONTH_USD,
        "SQS idle long polls": receives * (fifo * SQS_FIFO_USD + standard * SQS_STANDARD_USD),
        "DynamoDB storage": stored_gb * DYNAMODB_STORAGE_GB_MONTH_USD,
        "DynamoDB PITR": stored_gb * DYNAMODB_PITR_GB_MONTH_USD if inputs.pitr else 0.0,
        "Step Functions (jobs)": inputs.jobs * jobs["Step Functions"],
        "Lambda (jobs)": inputs.jobs * (jobs["Lambda requests"] + jobs["Lambda compute"]),
        "DynamoDB requests (jobs)": inputs.jobs * (jobs["DynamoDB writes"] + jobs["DynamoDB reads"]),
        "SQS, Secrets Manager, Scheduler (jobs)": inputs.jobs
        * (jobs["SQS"] + jobs["Secrets Manager"] + jobs["EventBridge Scheduler"]),
    }
