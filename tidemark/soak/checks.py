"""Settling the run, and the checks that nothing was lost and every channel ends equal to master."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import boto3

from tidemark.api_client import ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.pollers import HELD, wait_until_drained
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION
from tidemark.soak.config import (
    ACTIVE_JOBS,
    FAULTS_NOT_SENT,
    RUNTIME_FAULTS,
    SANDBOX_FAULTS,
    SOAK_CHANNELS,
    WEBHOOK_RETRY_SECONDS,
)
from tidemark.soak.logs import LogCapture
from tidemark.soak.records import Sandbox, SoakReport


def shorten_visibility(runtime: LocalRuntime, seconds: int) -> None:
    assert runtime.deployment is not None
    sqs = boto3.client("sqs", region_name=REGION)
    for source in runtime.deployment.event_sources:
        sqs.set_queue_attributes(QueueUrl=source.queue_url, Attributes={"VisibilityTimeout": str(seconds)})


def faults_on(sandboxes: dict[str, Sandbox], seed: int) -> None:
    for sandbox in sandboxes.values():
        rates = {**SANDBOX_FAULTS, **dict.fromkeys(FAULTS_NOT_SENT.get(sandbox.kind, ()), 0.0)}
        sandbox.call("POST", "/faults", {**rates, "webhook_retry_seconds": WEBHOOK_RETRY_SECONDS})
    runtime_faults.PLAN.configure(RUNTIME_FAULTS, seed=seed)


def faults_off(sandboxes: dict[str, Sandbox]) -> None:
    """No fault from now on; the deliveries the channels still owe are retried as before."""
    runtime_faults.PLAN.configure(runtime_faults.RuntimeFaultRates())
    for sandbox in sandboxes.values():
        sandbox.call("POST", "/faults", {"webhook_retry_seconds": WEBHOOK_RETRY_SECONDS})


def _queue_urls(runtime: LocalRuntime) -> list[str]:
    assert runtime.deployment is not None
    return [source.queue_url for source in runtime.deployment.event_sources]


def _held(sqs: Any, queue_urls: list[str]) -> dict[str, dict[str, str]]:
    """Each queue that holds a message: how many visible, in flight and delayed."""
    held = {}
    for url in queue_urls:
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(HELD))["Attributes"]
        if any(int(n) for n in counts.values()):
            held[url.rsplit("/", 1)[-1]] = counts
    return held


def active_jobs(api: ConsoleApi) -> list[dict[str, Any]]:
    return [
        job
        for channel in (*SOAK_CHANNELS, "_listings")
        for status in ACTIVE_JOBS
        for job in api.jobs(channel=channel, status=status, limit=100)
    ]


def settle(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """Every webhook the channels owe delivered, every queue empty and no job queued or running,
    twice a second apart (the table stream may queue more in between); a problem past the timeout."""
    began = time.monotonic()
    deadline = began + timeout_s
    for sandbox in sandboxes.values():
        if sandbox.store.webhooks is not None:
            sandbox.store.webhooks.flush(timeout=max(1.0, deadline - time.monotonic()))
    report.timings["webhooks flushed"] = time.monotonic() - began
    sqs = boto3.client("sqs", region_name=REGION)
    quiet = 0
    while quiet < 2:
        if time.monotonic() > deadline:
            active = [f"{j['channel']} {j['kind']} {j['id']} {j['status']}" for j in active_jobs(api)]
            report.problems.append(
                f"not settled after {timeout_s:.0f} s; jobs still active: {active}; "
                f"queues still holding messages: {_held(sqs, _queue_urls(runtime))}"
            )
            return
        drained = wait_until_drained(sqs, _queue_urls(runtime), max(0.0, deadline - time.monotonic()))
        quiet = quiet + 1 if drained and not active_jobs(api) else 0
        time.sleep(1.0)


def dead_letters(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """Each dead letter reported as `dlq list` describes it, then redriven; none may be left."""
    letters = api.dead_letters()["messages"]
    if not letters:
        return
    report.dead_letters = [json.dumps(letter, default=str, sort_keys=True) for letter in letters]
    api.redrive()
    settle(runtime, api, sandboxes, report, timeout_s)
    left = api.dead_letters()["messages"]
    if left:
        report.problems.append(f"{len(left)} dead letters left after a redrive: {left}")


def close_out(
    runtime: LocalRuntime,
    api: ConsoleApi,
    sandboxes: dict[str, Sandbox],
    report: SoakReport,
    timeout_s: float,
) -> None:
    """A reconcile, then a partial sync, on each channel, each to its end."""
    for kind, extra in (("reconcile", {}), ("sync", {"mode": "partial"})):
        for channel in SOAK_CHANNELS:
            job = api.wait_for_job(
                api.start_job({"channel": channel, "kind": kind, **extra})["id"], timeout_s=timeout_s
            )
            if job["status"] not in ("completed", "completed_with_errors"):
                report.problems.append(f"the closing {kind} on {channel}: {job['status']} {job.get('error')}")
    settle(runtime, api, sandboxes, report, timeout_s)


def count_figures(
    runtime: LocalRuntime, sandboxes: dict[str, Sandbox], logs: LogCapture, report: SoakReport
) -> None:
    for channel, sandbox in sandboxes.items():
        for kind, n in sandbox.call("GET", "/faults")["injected"].items():
            report.faults[f"{channel}.{kind}"] += n
        report.webhooks_dropped += sandbox.store.faults.counts().get("webhook_drop", 0)
        report.webhooks_recovered += sum(
            1
            for sent in sandbox.sent()
            if sent.attempt > 1 and sent.status is not None and 200 <= sent.status < 300
        )
    for kind, n in runtime_faults.PLAN.counts().items():
        report.faults[f"runtime.{kind}"] += n
    report.redeliveries += sum(poller.failed for poller in runtime.pollers)
    report.channel_retries = sum("retrying in" in line for line in logs.lines)
    outcomes: Counter[str] = Counter(
        item.get("outcome", "") for item in table_items() if item["PK"].startswith("HISTORY#")
    )
    report.pushes, report.conflicts, report.push_failures = (
        outcomes["pushed"],
        outcomes["conflict"],
        outcomes["failed"],
    )


def table_items() -> list[dict[str, Any]]:
    """Every item of the table (a scan; the campaign's tables are small)."""
    from shared.settings import settings

    table = boto3.resource("dynamodb", region_name=REGION).Table(settings().table_name)
    items: list[dict[str, Any]] = []
    answer = table.scan()
    items += answer["Items"]
    while "LastEvaluatedKey" in answer:
        answer = table.scan(ExclusiveStartKey=answer["LastEvaluatedKey"])
        items += answer["Items"]
    return items
