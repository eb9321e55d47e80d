"""Settling the run, and the checks that nothing was lost and every channel ends equal to master."""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import boto3

from tidemark.api_client import ConsoleApi
from tidemark.local import faults as runtime_faults
from tidemark.local.linked import CHANNELS
from tidemark.local.pollers import HELD, wait_until_drained
from tidemark.local.runtime import LocalRuntime
from tidemark.local.template import REGION
from tidemark.soak.config import (
    ACTIVE_JOBS,
    RUNTIME_FAULTS,
    SANDBOX_FAULTS,
    WEBHOOK_RETRY_SECONDS,
)
from tidemark.soak.logs import LogCapture
from tidemark.soak.records import Ledger, Sandbox, SoakReport


def shorten_visibility(runtime: LocalRuntime, seconds: int) -> None:
    assert runtime.deployment is not None
    sqs = boto3.client("sqs", region_name=REGION)
    for source in runtime.deployment.event_sources:
        sqs.set_queue_attributes(QueueUrl=source.queue_url, Attributes={"VisibilityTimeout": str(seconds)})


def faults_on(sandboxes: dict[str, Sandbox], seed: int) -> None:
    for sandbox in sandboxes.values():
        sandbox.call("POST", "/faults", {**SANDBOX_FAULTS, "webhook_retry_seconds": WEBHOOK_RETRY_SECONDS})
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


def _active_jobs(api: ConsoleApi) -> list[dict[str, Any]]:
    return [
        job
        for channel in (*CHANNELS, "_listings")
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
            active = [f"{j['channel']} {j['kind']} {j['id']} {j['status']}" for j in _active_jobs(api)]
            report.problems.append(
                f"not settled after {timeout_s:.0f} s; jobs still active: {active}; "
                f"queues still holding messages: {_held(sqs, _queue_urls(runtime))}"
            )
            return
        drained = wait_until_drained(sqs, _queue_urls(runtime), max(0.0, deadline - time.monotonic()))
        quiet = quiet + 1 if drained and not _active_jobs(api) else 0
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
        for channel in CHANNELS:
            job = api.wait_for_job(
                api.start_job({"channel": channel, "kind": kind, **extra})["id"], timeout_s=timeout_s
            )
            if job["status"] not in ("completed", "completed_with_errors"):
                report.problems.append(f"the closing {kind} on {channel}: {job['status']} {job.get('error')}")
    settle(runtime, api, sandboxes, report, timeout_s)


def check_end_state(
    api: ConsoleApi, sandboxes: dict[str, Sandbox], ledger: Ledger, report: SoakReport
) -> None:
    from shared.storage import links, listings

    master = listings.get_many(list(ledger.start))
    expected = _expected_on_hand(sandboxes, ledger)
    for sku, on_hand in sorted(expected.items()):
        listing = master.get(sku)
        if listing is None or listing.on_hand != on_hand:
            held = None if listing is None else listing.on_hand
            report.divergence.append(f"master {sku}: on hand {held}, expected {on_hand} from the order logs")
    for channel, sandbox in sandboxes.items():
        variants = {row["inventory_item_id"]: row for row in sandbox.call("GET", "/variants")}
        linked = links.get_many(channel, list(ledger.start))
        for sku, listing in sorted(master.items()):
            link = linked.get(sku)
            if link is None or link.status.value != "linked":
                if (channel, sku) not in ledger.unlinked:
                    report.divergence.append(f"{channel} {sku}: not linked ({link and link.unlinked_reason})")
                continue
            if (channel, sku) in ledger.unlinked:
                report.divergence.append(f"{channel} {sku}: still linked after it was changed on the channel")
                continue
            row = variants.get(link.inventory_item_id)
            holds = None if row is None else (row["quantity"], Decimal(str(row["price"])), row["status"])
            wanted = (listing.syncable_balance, listing.price, listing.channel_status.value)
            if holds != wanted:
                report.divergence.append(
                    f"{channel} {sku}: channel (quantity, price, status) {holds}, master {wanted}"
                )
    stuck = _active_jobs(api)
    if stuck:
        report.problems.append(f"jobs still queued or running: {[(j['id'], j['status']) for j in stuck]}")


def _expected_on_hand(sandboxes: dict[str, Sandbox], ledger: Ledger) -> dict[str, int]:
    """Each listing's start, less every order line and plus every cancel in the sandboxes' own
    logs, plus the campaign's deltas; a listing whose on hand was set: that value."""
    expected = {sku: start + ledger.deltas[sku] for sku, start in ledger.start.items()}
    for sandbox in sandboxes.values():
        for order in sandbox.call("GET", "/orders"):
            cancelled = order.get("cancelled_at") is not None or order.get("status") == "cancelled"
            for line in order["line_items"]:
                if line["sku"] in expected and not cancelled:
                    expected[line["sku"]] -= int(line["quantity"])
    expected.update(ledger.on_hand_set)
    return expected


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
