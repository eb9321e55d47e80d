"""The AWS cost model (issue 22, item 3): what Tidemark would cost on AWS, from the requests it makes
in local mode, counted, at the list prices of bench/prices.py (us-east-1, with their date).

Part `sync`: a Shopify sandbox (standard plan) of --listings variants, as many master listings linked
to them (written directly, as bench/sync_scaling.py does), then one job of each sync mode, each
started as the console API starts it and run by the stack (Step Functions on moto, the plan
Lambda, the push queue's poller, the push Lambda against the sandbox): a channel's first full sync
(every link out of sync), a full sync (every listing changed), then a smart, a partial and a
selected sync of --changes listings each (changed listings; out-of-sync links; the SKUs named),
and a smart sync with nothing changed. Counted with bench/sync_scaling.py's Meter and StreamReader:
DynamoDB write units from the stream's images (item sizes, index entries; transactional items
twice), read units from every answer, refused writes; SQS requests in 64 KB chunks, empty receives
left out (an AWS event source mapping's idle long polls are the idle month's); Step Functions
state transitions; Lambda requests and GB-seconds at each function's template memory (its own time
plus sync_scaling's AWS_CALL_S a call); Secrets Manager calls; one API request a job.

Part `auto`: bench/auto_sync_latency.py's setup (two channels, Shopify and WooCommerce, linked and
fully synced, their webhooks to the local API), then orders on Shopify at --rate a second for
--seconds, drained: each order is a webhook (an HTTP API request), the worker's transaction, the
stream, auto sync, the auto-push queue and the push to the other channel. Per pushed listing: the
pushes recorded in the ordered listings' history. Then the idle month of a 100,000-listing catalog
on both channels with hourly smart syncs: two scheduled smart syncs with nothing changed are run
(the schedule's Lambda, the job, its log bytes at the template's INFO level and the metrics it
sends), the table's items measured, the template's resources counted (conditions at defaults).

Then Standard against Express for the job state machine: a job of each mode at 100,000 listings.

    python bench/cost_model.py                     # both parts, a few minutes
    python bench/cost_model.py --listings 10000 --changes 2000
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import prices
from auto_sync_latency import set_up
from cost_counting import (
    CostMeter,
    Work,
    counted,
    counting_logs,
    counting_metrics,
    on_arm64,
    requested,
    run_job,
    timed,
)
from cost_report import express_verdict, report_idle, report_sync
from prices import Counts, IdleInputs
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`
from sync_scaling import (
    CHANNEL,
    PLAN,
    TOKEN,
    Invocations,
    StreamReader,
    connect_channel,
    item_size,
    linked,
    master,
    paused,
    quiet,
    written,
)

from shared.domain.job import Job, SyncMode
from shared.settings import settings
from shared.storage import history, jobs, links, listings, watermarks
from shared.storage.aws import client, table
from tidemark.local import template as cfn
from tidemark.local.pollers import wait_until_drained
from tidemark.local.runtime import TEMPLATE, LocalRuntime
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")

CATALOG = 100_000  # the idle month's catalog, and the Standard/Express comparison's
CHANNELS = 2
# Lambda's JSON platform events of one invocation (platform.start, platform.report with X-Ray's
# fields) as AWS documents their shape: about 600 bytes (an estimate, not measured here).
PLATFORM_LOG_BYTES = 600


# -- part sync: every sync mode ---------------------------------------------------------------------


def part_sync(count: int, changes: int) -> list[Work]:
    if count < 4 * changes:
        raise ValueError("--listings must be at least 4 times --changes: each mode changes its own listings")
    print(f"sync: every sync mode on {count:,} listings, {changes:,} changes a partial job", flush=True)
    store = ShopifyStore.generate(count, seed=1, plan=PLAN)
    variants = store.variants()
    smart, partial, selected = (variants[i * changes : (i + 1) * changes] for i in range(3))
    work: list[Work] = []
    with LocalRuntime(port=0, sandboxes=False) as runtime, serve_in_thread(create_app(store, TOKEN)) as shop:
        quiet(runtime, pollers=False)
        connect_channel(shop.url)
        at = datetime.now(UTC) - timedelta(hours=1)
        listings.put_many(written(master(variants, at, change=0), count, "listings"))
        links.put_many(written(linked(variants, at), count, "links"))
        work.append(run_job(runtime, "first full", requested(SyncMode.FULL)))
        before = datetime.now(UTC) - timedelta(hours=1)  # behind any smart sync's window
        listings.put_many(master(variants, before, change=1))
        work.append(run_job(runtime, "full", requested(SyncMode.FULL)))
        listings.put_many(master(smart, datetime.now(UTC), change=2))
        work.append(run_job(runtime, "smart", requested(SyncMode.SMART)))
        listings.put_many(master(partial, before, change=3))
        links.put_many(linked(partial, datetime.now(UTC)))
        work.append(run_job(runtime, "partial", requested(SyncMode.PARTIAL)))
        listings.put_many(master(selected, before, change=4))
        work.append(run_job(runtime, "selected", requested(SyncMode.SELECTED, [v.sku for v in selected])))
        nothing_since(CHANNEL)
        work.append(run_job(runtime, "idle smart", requested(SyncMode.SMART)))
    for w in work:
        w.listings = count
    return work


# -- part auto: auto sync, and the idle month -----------------------------------------------------


def part_auto(skus: int, rate: float, seconds: float) -> tuple[Work, IdleInputs, list[Work]]:
    print(f"auto: orders on Shopify at {rate:g} a second for {seconds:g} s, {skus} SKUs", flush=True)
    with LocalRuntime(port=0, shopify_variants=skus, woocommerce_products=skus, seed=7) as runtime:
        if runtime.schedules is not None:
            runtime.schedules.stop()
        shop, woo, ready = set_up(runtime, skus, 100)
        if not ready:
            raise RuntimeError("no SKU is linked and synced on both sandboxes")
        auto = auto_sync(runtime, shop, woo, ready, rate, seconds)
        for channel in ("shop", "woo"):
            nothing_since(channel)
        idle = [scheduled_smart_sync(runtime, channel) for channel in ("shop", "woo")]
        inputs = idle_inputs(idle)
    return auto, inputs, idle


def auto_sync(
    runtime: LocalRuntime, shop: Any, woo: Any, skus: list[str], rate: float, seconds: float
) -> Work:
    with timed(runtime) as invocations:
        return _orders(invocations, shop, woo, skus, rate, seconds)


def _orders(
    invocations: Invocations, shop: Any, woo: Any, skus: list[str], rate: float, seconds: float
) -> Work:
    stream = StreamReader()
    began = datetime.now(UTC)
    started = time.monotonic()
    total = max(1, round(rate * seconds))
    ordered = [skus[i % len(skus)] for i in range(total)]
    with CostMeter() as meter:
        for i, sku in enumerate(ordered):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            shop.place_order([(sku, 1)])
        with paused():
            queues = [
                settings().webhook_queue_url,
                settings().auto_push_queue_url,
                settings().push_back_queue_url,
            ]
            sqs = client("sqs")
            for _ in range(120):
                for store in (shop, woo):
                    store.webhooks.flush(timeout=30.0)
                if wait_until_drained(sqs, queues, 5.0):
                    break
            time.sleep(2.0)  # the last auto push's stream record
            wait_until_drained(sqs, queues, 30.0)
    writes = stream.read()
    elapsed = time.monotonic() - started
    with paused():
        pushed = sum(pushes_since(sku, began) for sku in set(ordered))
    counts = counted(meter, writes, invocations, 0)
    print(f"  auto sync: {total} orders, {pushed} listings pushed in {elapsed:.1f} s", flush=True)
    return Work("auto sync", pushed, counts, elapsed, 0, meter.tally, writes, invocations)


def nothing_since(channel: str) -> None:
    """The channel's watermark an hour on, nothing changed since: its next smart sync's window
    (from the watermark less the overlap) starts after the last write."""
    overlap = timedelta(seconds=settings().smart_overlap_seconds)
    with paused():
        watermarks.advance(channel, datetime.now(UTC) + overlap + timedelta(seconds=1), full=False)


def pushes_since(sku: str, since: datetime) -> int:
    """The quantity pushes recorded in a listing's history since `since`, any channel."""
    entries, _ = history.for_listing(sku, limit=200)
    return len({(e.channel, e.at) for e in entries if e.at >= since and e.field == "quantity"})


def scheduled_smart_sync(runtime: LocalRuntime, channel: str) -> Work:
    """What EventBridge Scheduler starts every hour: the schedule's Lambda queues a smart sync."""
    payload = {"channel": channel, "mode": "smart", "scheduled_at": datetime.now(UTC).isoformat()}

    def start() -> Job:
        client("lambda").invoke(FunctionName=settings().schedule_function_arn, Payload=json.dumps(payload))
        with paused():
            return max(jobs.for_channel(channel), key=lambda j: j.created_at)

    with counting_logs() as logged, counting_metrics() as metrics:
        work = run_job(runtime, f"scheduled smart sync of {channel}, nothing changed", start)
    work.counts.scheduler_invocations = 1
    invocations = sum(work.invocations.count.values())
    emf = metrics.pop(("__bytes__",), 0)
    work.tally.requests["log.bytes"] = sum(logged) + emf + invocations * PLATFORM_LOG_BYTES
    work.tally.requests["log.metrics"] = len(metrics)
    return work


def _kind(item: dict[str, Any]) -> str:
    if item["SK"] == "LISTING":
        return "listing"
    if str(item["SK"]).startswith("LINK#"):
        return "link"
    return "history" if str(item["PK"]).startswith("HISTORY#") else "other"


def _stored(item: dict[str, Any], keys: list[str], indexes: list[list[str]]) -> int:
    """An item's stored bytes with its index entries (KEYS_ONLY), each with DynamoDB's overhead."""
    size = item_size(item) + prices.DYNAMODB_ITEM_OVERHEAD_BYTES
    for index in (i for i in indexes if all(k in item for k in i)):
        size += item_size({k: item[k] for k in {*keys, *index}}) + prices.DYNAMODB_ITEM_OVERHEAD_BYTES
    return size


def stored_bytes() -> tuple[float, dict[str, float]]:
    """The table's bytes for a CATALOG-listing catalog on CHANNELS channels, from its items' mean
    sizes by kind, and a history of the pushes the measured setup's full syncs wrote a link."""
    described = client("dynamodb").describe_table(TableName=settings().table_name)["Table"]
    keys = [k["AttributeName"] for k in described["KeySchema"]]
    indexes = [
        [k["AttributeName"] for k in i["KeySchema"]] for i in described.get("GlobalSecondaryIndexes", [])
    ]
    sizes: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    request: dict[str, Any] = {}
    while True:
        answer = table().scan(**request)
        for item in answer["Items"]:
            sizes[_kind(item)] += _stored(item, keys, indexes)
            kinds[_kind(item)] += 1
        if "LastEvaluatedKey" not in answer:
            break
        request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
    mean = {kind: sizes[kind] / kinds[kind] for kind in kinds}
    history_per_link = kinds["history"] / max(1, kinds["link"])
    total = CATALOG * (mean.get("listing", 0) + CHANNELS * mean.get("link", 0))
    total += CATALOG * CHANNELS * history_per_link * mean.get("history", 0)
    return total, mean | {"history_per_link": history_per_link}


def idle_inputs(idle: list[Work]) -> IdleInputs:
    template = cfn.load(TEMPLATE)
    resolver = cfn.Resolver(template, "tidemark", ref=lambda name: name, get_att=lambda *a: ".".join(a))
    resources = prices.deployed(template, resolver.condition)
    types = prices.resource_types(resources)
    with paused():
        secrets = len(client("secretsmanager").list_secrets(MaxResults=100)["SecretList"])
        total, mean = stored_bytes()
    print(f"  the table's items (bytes each, with index entries): {mean}", flush=True)
    job = idle[0].counts + idle[1].counts
    job = Counts(**{k: v / len(idle) for k, v in vars(job).items()})
    table_props = next(r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table")["Properties"]
    retention = int(resolver.ref("LogRetentionDays"))
    return IdleInputs(
        alarms=types["AWS::CloudWatch::Alarm"],
        dashboards=types["AWS::CloudWatch::Dashboard"],
        kms_keys=types["AWS::KMS::Key"],
        polled_queues=prices.polled_queues(resources),
        secrets=secrets,
        stored_bytes=total,
        pitr=bool(table_props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")),
        jobs=CHANNELS * prices.HOURS_A_MONTH,
        job=job,
        log_bytes_per_job=sum(w.tally.requests["log.bytes"] for w in idle) / len(idle),
        metrics=max(w.tally.requests["log.metrics"] for w in idle) * CHANNELS,
        log_retention_months=min(1.0, retention / 30),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=("sync", "auto"), help="run one part (default: both)")
    parser.add_argument("--listings", type=int, default=4000, help="sync part: the catalog (default 4000)")
    parser.add_argument("--changes", type=int, default=1000, help="sync part: a partial job's listings")
    parser.add_argument("--skus", type=int, default=100, help="auto part: SKUs on both channels")
    parser.add_argument("--rate", type=float, default=5.0, help="auto part: orders a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="auto part: seconds of orders")
    parser.add_argument("--no-merge", action="store_true", help="print only; leave bench/results.json")
    arguments = parser.parse_args()
    started = time.perf_counter()
    print(f"prices: {prices.PRICES_REGION} list prices of {prices.PRICES_DATE} (bench/prices.py)", flush=True)
    arm64 = on_arm64()
    figures: dict[str, float] = {}
    if arguments.part in (None, "sync"):
        work = part_sync(arguments.listings, arguments.changes)
        figures |= report_sync(work, arm64, settings_shards())
        figures |= express_verdict(work, CATALOG, settings_shards())
    if arguments.part in (None, "auto"):
        auto, inputs, idle = part_auto(arguments.skus, arguments.rate, arguments.seconds)
        figures |= report_sync([auto], arm64, settings_shards())
        figures |= report_idle(inputs, idle, arm64)
    figures["cost.prices_date"] = float(prices.PRICES_DATE.replace("-", ""))
    print(f"cost model: {time.perf_counter() - started:.0f} s, load {os.getloadavg()[0]:.2f}", flush=True)
    if not arguments.no_merge:
        merge(figures)


def settings_shards() -> int:
    template = cfn.load(TEMPLATE)
    return int(template["Parameters"]["PushShards"]["Default"])


if __name__ == "__main__":
    main()
