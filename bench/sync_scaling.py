"""Sync scaling (issue 6): what smart and partial syncs read as the catalog grows, and a full sync
end to end in local mode with what it would cost on AWS.

Part `read`, in-process on moto: catalogs of 10,000 and 100,000 listings (and 1,000,000 with
`--full`), each listing linked to one Shopify channel (listings and links written directly, no link
job). The same 1,000 listings are then changed (a later updated_at: the change index) and the same
1,000 links are out of sync (the sparse index); every other link is in sync, every other listing
older than the channel's watermark less the overlap window. Every 100th listing is a bundle of
two or three components (bench/sync_bundles.py): 100 of the changed listings are components of
100 bundles, at every size, and the auto sync function reads those changes from the table's
stream as local mode delivers them (it moves each bundle that holds a changed component in the
change index); the smart sync must plan those bundles (counted from the push messages, checked
against the bundles moved: sync.<mode>.bundles_planned). A smart and a partial dry run are
then taken through their steps as the state machine runs them: start, plan every shard, mark
planned, one push step per push message taken from the push queue (a dry run reads master and
the links and records the plan; no channel call), progress, finish. Prints the DynamoDB items each
sync read (planning and pushing) at each size, and the ratio of the larger catalogs' reads to
the 10k one's. Goal: <= 1.1. Merges sync.smart.read_ratio and sync.partial.read_ratio (100k over
10k), sync.<mode>.items_read.<size> and sync.<mode>.bundles_planned(.<size>).

Part `full`, the local mode end to end: a Shopify sandbox on the standard plan, as many master
listings linked to its variants (written directly), the channel added, then two full syncs, each
started as the console API starts it (start_job) and run by the stack: the first after linking
(every link out of sync, as a link job leaves them: each push also takes its link out of the
sparse index), then a sync of updates (every link in sync, every listing changed since: what a
pushed listing update costs from then on; the headline figures); between them a smart sync of
1,000 listings changed since the first. Each is run by Step Functions on moto's
interpreter, the plan Lambda, the push queue and its poller, the push Lambda against the sandbox.
Measures the achieved pushes a second over the ceiling the plan's cost limit allows over the same
window (as bench/push_throughput.py computes it), the DynamoDB and SQS requests per pushed
listing, and the AWS cost per million pushed listings at list prices, from what was counted:
- DynamoDB on demand: write request units from the table's stream (old and new image of every
  write, so item size and every global secondary index write are counted as DynamoDB bills them),
  plus writes refused by their condition; read request units from every read's answer (strongly
  consistent: 1 per 4 KB an item; queries by the 4 KB of items read, half when eventually
  consistent; a query that projects is charged as if its items were 1 KB each, since DynamoDB
  bills the items read, not the attributes returned).
- SQS FIFO: every request to the push queue, each 64 KB of payload one request.
- Step Functions standard: the state transitions of the job's execution history.
- Lambda: the invocations, and GB-seconds at the template's memory: the handlers' measured time
  outside AWS calls plus AWS_CALL_S for each call they made (locally a handler also waits its turn
  on moto, which serves one request at a time; that upper bound is printed beside).
- Secrets Manager: its API calls.
Goals: ceiling ratio >= 0.8, cost < $2 a million. Merges sync.full.ceiling_ratio,
sync.requests_per_listing (DynamoDB + SQS requests per pushed listing), sync.cost_per_million_usd,
sync.full.listings and sync.full.pushes_per_s.

moto answers one request at a time, a few milliseconds each: local mode is slower than DynamoDB,
so the full sync's ceiling ratio here measures moto as well as the design; requests per listing
and cost carry over. Merges the first sync's figures as sync.full.first.<name>.

Where the process's CPU goes during each sync (bench/cpu_split.py, a sampling profiler weighted by
each thread's CPU clock): the product (functions/, shared/ and the libraries they bring to
Lambda) against the emulator (moto, the local runtime, the sandbox, the bench). Goal: the
product's own CPU <= 0.4 ms a pushed listing. Merges sync.full.product_cpu_ms_per_listing,
sync.full.emulator_share, sync.full.cpu_coverage, sync.smart.product_cpu_ms_per_listing,
sync.smart.emulator_share and sync.full.machine_load (the load average when it ended).

    python bench/sync_scaling.py                      # both parts
    python bench/sync_scaling.py --part read --full   # adds the 1,000,000 catalog
    python bench/sync_scaling.py --part full --listings 20000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, TypeVar

import boto3
import sync_bundles
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from cpu_split import CpuSampler, Split
from cpu_split import report as cpu_report
from prices import (
    LAMBDA_GB_S_USD,
    LAMBDA_REQUEST_USD,
    RRU_USD,
    SECRETS_CALL_USD,
    SFN_TRANSITION_USD,
    SQS_FIFO_USD,
    WRU_USD,
)
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

from shared.channels.base import VariantStatus
from shared.channels.shopify import MUTATION_COST, ShopifyClient
from shared.domain.job import Job, JobKind, SyncMode
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing, ListingStatus
from shared.domain.messages import PushMessage
from shared.services.channels import ChannelRequest, add_channel
from shared.services.jobs import JobRequest, StartInput, begin, finish, mark_planned, start_job
from shared.services.jobs import pushes_done as check_pushes_done
from shared.services.planning import plan_shard
from shared.services.pushing import push_batch
from shared.settings import settings
from shared.storage import jobs, links, listings, watermarks
from shared.storage.aws import client
from tidemark.local import lambdas
from tidemark.local.runtime import LocalRuntime
from tidemark.local.streams import StreamPoller
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import BUCKET_SECONDS, PLAN_RESTORE_RATES, ShopifyStore, create_app

# The benches measure syncs, not the guard: their channels' syncs run unguarded.
os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")

T = TypeVar("T")

READ_SIZES = {"10k": 10_000, "100k": 100_000}
FULL_READ_SIZES = {"1m": 1_000_000}
CHANGED = 1_000  # listings changed, and links out of sync, at every catalog size
CHANNEL = "bench"
TOKEN = "shpat_bench"
PLAN = "standard"
DEFAULT_LISTINGS = 100_000
JOB_TIMEOUT_S = 4 * 3600

# List prices, us-east-1: bench/prices.py.
LAMBDA_MEMORY_GB = 512 / 1024  # template.yaml Globals: MemorySize 512
SQS_CHUNK = 64 * 1024
AWS_CALL_S = 0.010  # what a DynamoDB or SQS request costs a handler on AWS (assumed)


# -- counting what every botocore client asks and gets --------------------------------------------


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return (len(digits) + 1) // 2 + 1


_TYPED = {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}


def _value_size(value: Any) -> int:
    """DynamoDB's size of one attribute value, typed ({"S": ...}) or as boto3's resource gives it."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag in _TYPED:
            return _typed_size(tag, inner)
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return _number_size(str(value))
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(str(k).encode()) + 1 + _value_size(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + _value_size(v) for v in value)
    if isinstance(value, set | frozenset):
        return sum(_value_size(v) for v in value)
    return len(str(value).encode())


def _typed_size(tag: str, inner: Any) -> int:
    match tag:
        case "S":
            return len(str(inner).encode())
        case "N":
            return _number_size(str(inner))
        case "B":
            return len(inner)
        case "BOOL" | "NULL":
            return 1
        case "M":
            return 3 + sum(len(k.encode()) + 1 + _value_size(v) for k, v in inner.items())
        case "L":
            return 3 + sum(1 + _value_size(v) for v in inner)
        case "SS":
            return sum(len(v.encode()) for v in inner)
        case "NS":
            return sum(_number_size(v) for v in inner)
    return sum(len(v) for v in inner)  # BS


def item_size(item: dict[str, Any] | None) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in (item or {}).items())


def units(size: float, unit: int) -> int:
    return max(1, math.ceil(size / unit))


_local = threading.local()


def _aws_seconds() -> float:
    return float(getattr(_local, "aws_s", 0.0))


def _aws_calls() -> int:
    return int(getattr(_local, "aws_calls", 0))


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)  # "<service>.<Operation>"
    items_read: int = 0
    rru: float = 0.0
    refused_writes: int = 0  # writes refused by their condition: 1 WRU each, no stream record
    sqs_by_queue: Counter[str] = field(default_factory=Counter)
    sqs_billed_by_queue: Counter[str] = field(default_factory=Counter)
    sqs_empty_receives: Counter[str] = field(default_factory=Counter)

    def service(self, name: str) -> int:
        return sum(n for key, n in self.requests.items() if key.startswith(f"{name}."))


class Meter:
    """Counts every request any botocore client makes, on any thread, while it is entered (except
    on a thread inside `paused()`: the bench's own look-ups)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._lock = threading.Lock()
        self._original: Callable[..., Any] | None = None

    def __enter__(self) -> Meter:
        original = getattr(BaseClient, "_make_api_call")  # noqa: B009
        self._original = original
        meter = self

        def counting(client: Any, operation: str, params: Any) -> Any:
            if getattr(_local, "paused", False):
                return original(client, operation, params)
            service = client.meta.service_model.service_name
            started = time.perf_counter()
            try:
                response = original(client, operation, params)
            except ClientError as error:
                meter._record(service, operation, params, None, error)
                raise
            finally:
                _local.aws_s = _aws_seconds() + time.perf_counter() - started
                _local.aws_calls = _aws_calls() + 1
            meter._record(service, operation, params, response, None)
            return response

        setattr(BaseClient, "_make_api_call", counting)  # noqa: B010
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        setattr(BaseClient, "_make_api_call", self._original)  # noqa: B010

    def _record(
        self, service: str, operation: str, params: Any, response: Any, error: ClientError | None
    ) -> None:
        with self._lock:
            tally = self.tally
            tally.requests[f"{service}.{operation}"] += 1
            if service == "dynamodb":
                if error is not None:
                    if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                        tally.refused_writes += 1
                    return
                items, rru = _dynamodb_read(operation, params, response)
                tally.items_read += items
                tally.rru += rru
            elif service == "sqs":
                queue = str(params.get("QueueUrl", "")).rsplit("/", 1)[-1]
                tally.sqs_by_queue[queue] += 1
                tally.sqs_billed_by_queue[queue] += _sqs_billed(operation, params, response)
                if operation == "ReceiveMessage" and response is not None and not response.get("Messages"):
                    tally.sqs_empty_receives[queue] += 1


def _dynamodb_read(operation: str, params: dict[str, Any], response: dict[str, Any]) -> tuple[int, float]:
    """(items read, read request units) of one answered request."""
    if operation == "GetItem":
        factor = 1.0 if params.get("ConsistentRead") else 0.5
        item = response.get("Item")
        return (1 if item else 0), units(item_size(item), 4096) * factor
    if operation == "BatchGetItem":
        found = 0
        rru = 0.0
        for name, request in params.get("RequestItems", {}).items():
            factor = 1.0 if request.get("ConsistentRead") else 0.5
            got = response.get("Responses", {}).get(name, [])
            left = len(response.get("UnprocessedKeys", {}).get(name, {}).get("Keys", []))
            found += len(got)
            missing = max(0, len(request.get("Keys", [])) - len(got) - left)
            rru += (sum(units(item_size(i), 4096) for i in got) + missing) * factor
        return found, rru
    if operation in ("Query", "Scan"):
        got = response.get("Items", [])
        read = max(len(got), int(response.get("Count", 0)), int(response.get("ScannedCount", 0)))
        size = float(sum(item_size(i) for i in got))
        if params.get("ProjectionExpression"):
            size = max(size, 1024 * len(got))  # billed on the items read, not what was returned
        if got and read > len(got):
            size *= read / len(got)
        consistent = params.get("ConsistentRead") and not params.get("IndexName")
        return read, units(size, 4096) * (1.0 if consistent else 0.5)
    return 0, 0.0


def _sqs_billed(operation: str, params: dict[str, Any], response: Any) -> int:
    """Requests as SQS bills them: each 64 KB chunk of a request's payload is one."""
    if operation == "SendMessageBatch":
        payload = sum(len(e.get("MessageBody", "").encode()) for e in params.get("Entries", []))
    elif operation == "SendMessage":
        payload = len(params.get("MessageBody", "").encode())
    elif operation == "ReceiveMessage" and response is not None:
        payload = sum(len(m.get("Body", "").encode()) for m in response.get("Messages", []))
    else:
        payload = 0
    return units(payload, SQS_CHUNK)


@contextmanager
def paused() -> Iterator[None]:
    """The bench's own requests on this thread are not counted."""
    _local.paused = True
    try:
        yield
    finally:
        _local.paused = False


# -- DynamoDB write units, from the table's stream ------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projects_all: bool


@dataclass
class Writes:
    writes: int = 0
    base_wru: int = 0
    index_wru: int = 0
    largest: int = 0  # bytes: the largest item written
    largest_key: str = ""


class StreamReader:
    """Every write to the table from the moment it was made, with its old and new image."""

    def __init__(self) -> None:
        with paused():
            described = client("dynamodb").describe_table(TableName=settings().table_name)["Table"]
            self._keys = tuple(k["AttributeName"] for k in described["KeySchema"])
            self._indexes = [
                Index(
                    index["IndexName"],
                    tuple(k["AttributeName"] for k in index["KeySchema"]),
                    index["Projection"]["ProjectionType"] == "ALL",
                )
                for index in described.get("GlobalSecondaryIndexes", [])
            ]
            # moto 5.2.5 serves DynamoDB Streams only at a path of "/", which botocore 1.44 leaves out
            region = os.environ["AWS_REGION"]
            streams = boto3.client(
                "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com/"
            )
            self._streams = streams
            arn = described["LatestStreamArn"]
            shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
            self._iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST"
            )["ShardIterator"]

    def read(self) -> Writes:
        writes = Writes()
        streams = self._streams
        with paused():
            while True:
                answer = streams.get_records(ShardIterator=self._iterator, Limit=1000)
                self._iterator = answer["NextShardIterator"]
                if not answer["Records"]:
                    return writes
                for record in answer["Records"]:
                    image = record["dynamodb"]
                    base, index = self._units(image.get("OldImage"), image.get("NewImage"))
                    writes.writes += 1
                    writes.base_wru += base
                    writes.index_wru += index
                    new = image.get("NewImage") or {}
                    if item_size(new) > writes.largest:
                        writes.largest = item_size(new)
                        writes.largest_key = f"{new['PK']['S']} {new['SK']['S']}"

    def _units(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> tuple[int, int]:
        """DynamoDB's write units for one write: the larger image in 1 KB units, plus each index
        entry it adds, changes or removes (a changed index key is a delete and a put)."""
        base = units(max(item_size(old), item_size(new)), 1024)
        index_units = 0
        for index in self._indexes:
            before, after = self._projection(old, index), self._projection(new, index)
            if before is None and after is None:
                continue
            if before is None or after is None:
                index_units += units(item_size(before or after), 1024)
            elif any(before[k] != after[k] for k in index.keys):
                index_units += units(item_size(before), 1024) + units(item_size(after), 1024)
            elif before != after:
                index_units += units(item_size(after), 1024)
        return base, index_units

    def _projection(self, item: dict[str, Any] | None, index: Index) -> dict[str, Any] | None:
        if item is None or any(k not in item for k in index.keys):
            return None
        if index.projects_all:
            return item
        return {k: item[k] for k in (*self._keys, *index.keys)}


# -- Lambda invocations, timed --------------------------------------------------------------------


@dataclass
class Invocations:
    count: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    aws_seconds: dict[str, float] = field(default_factory=dict)
    aws_calls: Counter[str] = field(default_factory=Counter)
    steps: Counter[str] = field(default_factory=Counter)  # the job steps function, by step
    first_push: float | None = None
    last_push: float | None = None


def time_handlers(runtime: LocalRuntime) -> Invocations:
    """Wrap every registered handler to count and time its invocations."""
    assert runtime.deployment is not None
    logical = {spec.name: spec.logical_id for spec in runtime.deployment.functions.values()}
    seen = Invocations()
    lock = threading.Lock()
    for name, handler in list(lambdas._registry.items()):
        lambdas._registry[name] = _timed(logical.get(name, name), handler, seen, lock)
    return seen


def _timed(
    function: str, handler: lambdas.Handler, seen: Invocations, lock: threading.Lock
) -> lambdas.Handler:
    def run(event: Any, context: Any) -> Any:
        started, aws_before, calls_before = time.perf_counter(), _aws_seconds(), _aws_calls()
        try:
            return handler(event, context)
        finally:
            ended = time.perf_counter()
            with lock:
                seen.count[function] += 1
                seen.seconds[function] = seen.seconds.get(function, 0.0) + ended - started
                seen.aws_seconds[function] = seen.aws_seconds.get(function, 0.0) + _aws_seconds() - aws_before
                seen.aws_calls[function] += _aws_calls() - calls_before
                if isinstance(event, dict) and "step" in event:
                    seen.steps[str(event["step"])] += 1
                if function == "PushFunction":
                    seen.first_push = started if seen.first_push is None else min(seen.first_push, started)
                    seen.last_push = ended if seen.last_push is None else max(seen.last_push, ended)

    return run


# -- setting up a catalog -------------------------------------------------------------------------


def written(items: Iterable[T], total: int, what: str, every: int = 20_000) -> Iterator[T]:
    started = time.perf_counter()
    for number, item in enumerate(items, 1):
        yield item
        if number % every == 0 or number == total:
            elapsed = time.perf_counter() - started
            print(f"      {what}: {number:,} of {total:,} ({elapsed:.0f} s)", flush=True)


def linked(variants: Iterable[Any], at: datetime) -> Iterator[Link]:
    """Each sandbox variant's link as a link job leaves it: out of sync."""
    for v in variants:
        yield Link(
            sku=v.sku,
            channel=CHANNEL,
            status=LinkStatus.LINKED,
            variant_id=v.variant_id,
            product_id=v.product_id,
            inventory_item_id=v.inventory_item_id,
            location_id=v.location_id,
            channel_status=VariantStatus.ACTIVE if v.status == "ACTIVE" else VariantStatus.HIDDEN,
            matched_value=v.sku,
            last_observed_quantity=v.quantity,
            last_observed_price=v.price,
            sync_state=SyncState.OUT_OF_SYNC,
            updated_at=at,
        )


def quiet(runtime: LocalRuntime, *, pollers: bool) -> None:
    """No schedule fires and no auto sync reads the table's stream during a bench (writing the
    catalog would queue a stream record a listing); without pollers the bench takes the push
    messages itself."""
    if runtime.schedules is not None:
        runtime.schedules.stop()
    for poller in runtime.pollers:
        if pollers or isinstance(poller, StreamPoller):
            poller.stop()


def connect_channel(url: str) -> None:
    add_channel(
        ChannelRequest.model_validate(
            {"name": CHANNEL, "type": "shopify", "store_url": url, "allow_insecure_url": True, "token": TOKEN}
        )
    )


# -- part 1: what smart and partial syncs read ----------------------------------------------------


@dataclass
class SyncReads:
    planning: int
    pushing: int
    planned: int
    changes: int
    seconds: float
    bundles: int  # the bundles among the listings planned

    @property
    def total(self) -> int:
        return self.planning + self.pushing


def read_catalog(size: str, count: int) -> dict[SyncMode, SyncReads]:
    if count < 10 * CHANGED:
        raise ValueError(f"a catalog of at least {10 * CHANGED:,} listings: the changed ones are every 10th")
    print(f"  {size}: writing {count:,} listings and links", flush=True)
    started = time.perf_counter()
    with (
        LocalRuntime(port=0, sandboxes=False) as runtime,
        serve_in_thread(create_app(ShopifyStore.generate(1, seed=1), TOKEN)) as shop,
    ):
        quiet(runtime, pollers=True)
        connect_channel(shop.url)
        now = datetime.now(UTC)
        mark = now - timedelta(minutes=30)
        bulk_at = mark - overlap() - timedelta(hours=1)
        changed_at = mark + timedelta(minutes=10)
        changed = [_sku(i) for i in range(0, 10 * CHANGED, 10)]  # the same SKUs at every size
        out_of_sync = set(changed)
        listings.put_many(
            written(
                (
                    Listing(
                        sku=_sku(i), on_hand=0 if sync_bundles.is_bundle(i) else i % 50, updated_at=bulk_at
                    )
                    for i in range(count)
                ),
                count,
                "listings",
            )
        )
        links.put_many(
            written(
                (
                    Link(
                        sku=_sku(i),
                        channel=CHANNEL,
                        status=LinkStatus.LINKED,
                        variant_id=f"gid://shopify/ProductVariant/{41_000_000_000 + i}",
                        inventory_item_id=f"gid://shopify/InventoryItem/{43_000_000_000 + i}",
                        location_id="gid://shopify/Location/60000001",
                        matched_value=_sku(i),
                        last_pushed_quantity=i % 50,
                        last_observed_quantity=i % 50,
                        sync_state=SyncState.OUT_OF_SYNC if _sku(i) in out_of_sync else SyncState.IN_SYNC,
                        updated_at=bulk_at,
                    )
                    for i in range(count)
                ),
                count,
                "links",
            )
        )
        catalog = sync_bundles.catalog_bundles(count)
        sync_bundles.save(catalog, _sku)
        moved, stamps = sync_bundles.moved_by((int(sku[4:]) for sku in changed), catalog)
        print(f"      {len(catalog):,} bundles saved; the changes move {len(moved):,} of them", flush=True)
        with sync_bundles.AutoSyncReader(runtime) as auto_sync:
            listings.put_many(
                Listing(sku=sku, on_hand=(int(sku[4:]) + 7) % 50, updated_at=changed_at) for sku in changed
            )
            auto_sync.wait_for(len(changed) + stamps)
        watermarks.advance(CHANNEL, mark, full=True)
        setup = time.perf_counter() - started
        print(f"      written in {setup:.0f} s", flush=True)
        bundle_skus = {_sku(number) for number in catalog}
        reads = {mode: dry_sync(mode, mark, bundle_skus) for mode in (SyncMode.SMART, SyncMode.PARTIAL)}
    if reads[SyncMode.SMART].bundles != len(moved):
        raise RuntimeError(
            f"smart sync planned {reads[SyncMode.SMART].bundles} bundles, not the {len(moved)} moved"
        )
    for mode, read in reads.items():
        print(
            f"  {size:>5} {mode.value:8} {read.total:6,} DynamoDB items read "
            f"(planning {read.planning:,}, pushing {read.pushing:,}); "
            f"{read.planned:,} listings planned ({read.bundles:,} bundles), {read.changes:,} changes; "
            f"{read.seconds:.1f} s",
            flush=True,
        )
    print(f"  {size}: {time.perf_counter() - started:.0f} s in all", flush=True)
    return reads


def overlap() -> timedelta:
    """How far before the watermark a smart sync reads changes again (the template's setting)."""
    return timedelta(seconds=settings().smart_overlap_seconds)


def _sku(number: int) -> str:
    return f"SKU-{number:07d}"


def dry_sync(mode: SyncMode, mark: datetime, bundle_skus: set[str]) -> SyncReads:
    """One dry-run sync through its steps; the push messages are taken from the push queue."""
    job = Job(
        id=uuid.uuid4().hex,
        channel=CHANNEL,
        kind=JobKind.SYNC,
        mode=mode,
        dry_run=True,
        created_at=datetime.now(UTC),
    )
    jobs.create(job)
    started = time.perf_counter()
    with Meter() as planning:
        begin(StartInput(job_id=job.id))
        for shard in range(settings().push_shards):
            plan_shard(job.id, shard)
        mark_planned(job.id)
    running = jobs.get(job.id)
    if mode is SyncMode.SMART and running.changes_since != mark - overlap():
        raise RuntimeError(f"smart sync planned changes since {running.changes_since}, not the watermark")
    planned: list[str] = []
    with Meter() as pushing:
        take_push_messages(planned)
        if not check_pushes_done(job.id):
            raise RuntimeError(f"job {job.id}: planned push batches were not all recorded")
        finish(job.id)
    seconds = time.perf_counter() - started
    done = jobs.get(job.id)
    return SyncReads(
        planning.tally.items_read,
        pushing.tally.items_read,
        done.counts.planned,
        done.counts.changes,
        seconds,
        len(bundle_skus.intersection(planned)),
    )


def take_push_messages(planned: list[str]) -> int:
    """What the push queue's poller does: receive, push the batch, delete (`planned` gets the SKUs)."""
    sqs, url = client("sqs"), settings().push_queue_url
    taken = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return taken
        for message in messages:
            batch = PushMessage.model_validate_json(message["Body"])
            planned.extend(batch.skus)
            push_batch(batch)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            taken += 1


def part_read(sizes: dict[str, int]) -> dict[str, float]:
    print(f"read: smart and partial syncs of {CHANGED:,} changes, catalogs of {', '.join(sizes)}", flush=True)
    measured = {size: read_catalog(size, count) for size, count in sizes.items()}
    figures: dict[str, float] = {}
    for size, reads in measured.items():
        for mode, read in reads.items():
            figures[f"sync.{mode.value}.items_read.{size}"] = read.total
            figures[f"sync.{mode.value}.bundles_planned.{size}"] = read.bundles
    if "10k" in measured:
        for size in measured:
            if size == "10k":
                continue
            for mode in (SyncMode.SMART, SyncMode.PARTIAL):
                ratio = measured[size][mode].total / measured["10k"][mode].total
                print(f"  {mode.value:8} items read, {size} / 10k: {ratio:.3f} (goal <= 1.1)", flush=True)
                if size == "100k":
                    figures[f"sync.{mode.value}.read_ratio"] = round(ratio, 4)
                    figures[f"sync.{mode.value}.bundles_planned"] = measured[size][mode].bundles
                else:
                    figures[f"sync.{mode.value}.read_ratio.{size}"] = round(ratio, 4)
    return figures


# -- part 2: a full sync end to end in local mode --------------------------------------------------


def part_full(count: int) -> dict[str, float]:
    print(f"full: a full sync of {count:,} listings in local mode, Shopify {PLAN} plan", flush=True)
    started = time.perf_counter()
    store = ShopifyStore.generate(count, seed=1, plan=PLAN)
    variants = store.variants()
    with LocalRuntime(port=0, sandboxes=False) as runtime, serve_in_thread(create_app(store, TOKEN)) as shop:
        quiet(runtime, pollers=False)
        connect_channel(shop.url)
        at = datetime.now(UTC) - timedelta(hours=1)
        listings.put_many(written(master(variants, at, change=0), count, "listings"))
        links.put_many(written(linked(variants, at), count, "links"))
        print(f"      written in {time.perf_counter() - started:.0f} s", flush=True)
        print("  the first sync after linking (every link out of sync):", flush=True)
        first = report_full(*measured_full_sync(runtime))
        step = max(1, count // CHANGED)
        changes = [
            listing
            for i, listing in enumerate(master(variants, datetime.now(UTC), change=2))
            if i % step == 0
        ]
        listings.put_many(changes[:CHANGED])
        print(
            f"  a smart sync of {min(CHANGED, len(changes)):,} listings changed since the first:", flush=True
        )
        smart = report_full(*measured_full_sync(runtime, SyncMode.SMART))
        listings.put_many(written(master(variants, datetime.now(UTC), change=1), count, "listings changed"))
        print("  a sync of updates (every link in sync, every listing changed since):", flush=True)
        steady = report_full(*measured_full_sync(runtime))
    print(f"  full: {time.perf_counter() - started:.0f} s in all", flush=True)
    return {f"sync.full.first.{name}": value for name, value in first.items()} | {
        "sync.full.product_cpu_ms_per_listing": steady["product_cpu_ms_per_listing"],
        "sync.full.emulator_share": steady["emulator_share"],
        "sync.full.cpu_coverage": steady["cpu_coverage"],
        "sync.smart.product_cpu_ms_per_listing": smart["product_cpu_ms_per_listing"],
        "sync.smart.emulator_share": smart["emulator_share"],
        "sync.smart.listings": smart["listings"],
        "sync.full.machine_load": round(os.getloadavg()[0], 2),
        "sync.full.cpu_listings": count,
        "sync.full.listings": steady["listings"],
        "sync.full.pushes_per_s": steady["pushes_per_s"],
        "sync.full.ceiling_ratio": steady["ceiling_ratio"],
        "sync.requests_per_listing": steady["requests_per_listing"],
        "sync.cost_per_million_usd": steady["cost_per_million_usd"],
    }


CPU_FIGURES = {
    "sync.full.product_cpu_ms_per_listing",
    "sync.full.emulator_share",
    "sync.full.cpu_coverage",
    "sync.full.cpu_listings",
    "sync.full.machine_load",
    "sync.smart.product_cpu_ms_per_listing",
    "sync.smart.emulator_share",
    "sync.full.first.product_cpu_ms_per_listing",
    "sync.full.first.emulator_share",
}


def master(variants: list[Any], at: datetime, change: int) -> Iterator[Listing]:
    """A master listing a variant, its on hand other than the variant's (`change` moves it again)."""
    for i, v in enumerate(variants):
        yield Listing(
            sku=v.sku,
            on_hand=(v.quantity + 1 + change + i % 7) % 60,
            price=v.price,
            status=ListingStatus.ACTIVE if v.status == "ACTIVE" else ListingStatus.INACTIVE,
            updated_at=at,
        )


def measured_full_sync(
    runtime: LocalRuntime, mode: SyncMode = SyncMode.FULL
) -> tuple[Job, float, Tally, Writes, Invocations, int, Split]:
    """A sync started as the console API starts it and run by the stack, with all it asked and
    where the process's CPU went meanwhile."""
    invocations = time_handlers(runtime)
    stream = StreamReader()
    with Meter() as meter, CpuSampler() as sampler:
        job = start_job(JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=mode))
        done = wait_for(job.id)
        wait_for_execution(job.id)
    writes = stream.read()
    assert done.finished_at is not None
    elapsed = (done.finished_at - done.created_at).total_seconds()
    return done, elapsed, meter.tally, writes, invocations, state_transitions(job.id), sampler.split


def wait_for(job_id: str) -> Job:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    shown = time.monotonic()
    while time.monotonic() < deadline:
        with paused():
            job = jobs.get(job_id)
        if job.finished:
            return job
        if time.monotonic() - shown >= 30:
            shown = time.monotonic()
            print(
                f"      {job.status.value}: {job.counts.pushed:,} pushed of {job.counts.planned:,} planned",
                flush=True,
            )
        time.sleep(1.0)
    raise TimeoutError(f"job {job_id} did not finish in {JOB_TIMEOUT_S} s")


def _execution_arn(job_id: str) -> str:
    return settings().job_state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"


def wait_for_execution(job_id: str) -> None:
    with paused():
        for _ in range(120):
            answer = client("stepfunctions").describe_execution(executionArn=_execution_arn(job_id))
            if answer["status"] != "RUNNING":
                return
            time.sleep(0.5)


def state_transitions(job_id: str) -> int:
    """The states the job's execution entered, from its history (what Step Functions bills)."""
    entered = 0
    request: dict[str, Any] = {"executionArn": _execution_arn(job_id), "maxResults": 1000}
    with paused():
        while True:
            answer = client("stepfunctions").get_execution_history(**request)
            entered += sum(1 for e in answer["events"] if str(e["type"]).endswith("StateEntered"))
            if not answer.get("nextToken"):
                return entered
            request["nextToken"] = answer["nextToken"]


def estimated_transitions(steps: Counter[str], shards: int) -> int:
    """The same from the job.asl.json a sync walks: StartJob, WhichJob, PlanShards and each shard's
    PlanShard, MarkPlanned, then CheckProgress, PushesDone and (but the last round) WaitForPushes a
    round, and FinishJob."""
    return 3 + shards + 1 + 3 * steps["progress"] - 1 + 1


def report_full(
    job: Job,
    elapsed: float,
    tally: Tally,
    writes: Writes,
    invocations: Invocations,
    transitions: int,
    split: Split,
) -> dict[str, float]:
    pushed = job.counts.pushed
    if pushed == 0:
        raise RuntimeError(f"job {job.id} pushed nothing: {job.status.value} {job.error} {job.counts}")
    rate = PLAN_RESTORE_RATES[PLAN]
    per_listing_points = MUTATION_COST / ShopifyClient.quantity_batch_size
    ceiling = (rate * BUCKET_SECONDS + rate * elapsed) / per_listing_points
    ratio = pushed / ceiling
    push_queue = settings().push_queue_url.rsplit("/", 1)[-1]
    dynamodb_requests = tally.service("dynamodb")
    sqs_requests = tally.sqs_by_queue[push_queue]
    per_listing = (dynamodb_requests + sqs_requests) / pushed

    wru = writes.base_wru + writes.index_wru + tally.refused_writes
    estimate = estimated_transitions(invocations.steps, settings().push_shards)
    billed_transitions = max(transitions, estimate)
    lambda_requests = sum(invocations.count.values())
    lambda_seconds = sum(invocations.seconds.values())
    aws_seconds = sum(invocations.aws_seconds.values())
    secrets_calls = tally.service("secretsmanager")
    aws_calls = sum(invocations.aws_calls.values())
    on_aws = lambda_seconds - aws_seconds + aws_calls * AWS_CALL_S
    costs = {
        "DynamoDB writes": wru * WRU_USD,
        "DynamoDB reads": tally.rru * RRU_USD,
        "SQS FIFO": tally.sqs_billed_by_queue[push_queue] * SQS_FIFO_USD,
        "Step Functions": billed_transitions * SFN_TRANSITION_USD,
        "Lambda requests": lambda_requests * LAMBDA_REQUEST_USD,
        "Lambda compute": on_aws * LAMBDA_MEMORY_GB * LAMBDA_GB_S_USD,
        "Secrets Manager": secrets_calls * SECRETS_CALL_USD,
    }
    per_million = 1e6 / pushed
    total = sum(costs.values()) * per_million

    window = (
        invocations.last_push - invocations.first_push
        if invocations.first_push is not None and invocations.last_push is not None
        else 0.0
    )
    print(
        f"  {job.status.value}: {pushed:,} pushed of {job.counts.planned:,} planned "
        f"(skipped {job.counts.skipped}, failed {job.counts.failed}, conflicts {job.counts.conflicts}) "
        f"in {elapsed:.1f} s ({pushed / elapsed:.1f} pushes/s; the push handlers ran over {window:.1f} s)",
        flush=True,
    )
    print(
        f"  achieved/ceiling {ratio:.4f} (goal >= 0.8): the {PLAN} plan allows {ceiling:,.0f} over "
        f"{elapsed:.1f} s ({rate:.0f} points/s and a {rate * BUCKET_SECONDS:.0f}-point bucket, "
        f"{per_listing_points} points a listing)",
        flush=True,
    )
    other_queues = {q: n for q, n in tally.sqs_by_queue.items() if q != push_queue}
    print(
        f"  requests per pushed listing: {per_listing:.4f} (DynamoDB {dynamodb_requests:,}, push queue "
        f"{sqs_requests:,} of which {tally.sqs_empty_receives[push_queue]:,} empty receives; other queues "
        f"{other_queues}, not counted)",
        flush=True,
    )
    operations = ", ".join(f"{k} {n:,}" for k, n in sorted(tally.requests.items()))
    print(f"  requests by operation: {operations}", flush=True)
    print(
        f"  DynamoDB: {writes.writes:,} writes = {writes.base_wru:,} WRU on the table + "
        f"{writes.index_wru:,} WRU on its indexes + {tally.refused_writes:,} refused by their condition; "
        f"{tally.items_read:,} items read = {tally.rru:,.1f} RRU; the largest item written "
        f"{writes.largest / 1024:.1f} KB ({writes.largest_key})",
        flush=True,
    )
    print(
        f"  Step Functions: {transitions:,} state transitions in the execution history "
        f"(from the state machine: {estimate:,}; billed the larger)",
        flush=True,
    )
    functions = ", ".join(
        f"{name} {invocations.count[name]:,} ({invocations.seconds[name]:.1f} s)"
        for name in invocations.count
    )
    print(
        f"  Lambda: {lambda_requests:,} invocations, {lambda_seconds:,.1f} s at {LAMBDA_MEMORY_GB:g} GB "
        f"({functions}); {aws_seconds:,.1f} s of it inside AWS calls, on moto one at a time",
        flush=True,
    )
    print(
        f"  Lambda compute, billed in the headline as the handlers' own time plus {AWS_CALL_S * 1000:.0f} ms "
        f"for each of their {aws_calls:,} AWS calls: {on_aws:,.1f} s (with their turns on moto: "
        f"${lambda_seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_S_USD * per_million:.4f} a million)",
        flush=True,
    )
    for name, usd in costs.items():
        print(f"  cost {name:16} ${usd * per_million:8.4f} a million pushed listings", flush=True)
    print(f"  cost per million pushed listings: ${total:.4f} (goal < $2)", flush=True)
    cpu = cpu_report(split, pushed, f"{job.effective_mode.value if job.effective_mode else ''} sync")
    return cpu | {
        "listings": pushed,
        "pushes_per_s": round(pushed / elapsed, 1),
        "ceiling_ratio": round(ratio, 4),
        "requests_per_listing": round(per_listing, 4),
        "cost_per_million_usd": round(total, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--part", choices=("read", "full"), help="run one part (default: both)")
    parser.add_argument("--full", action="store_true", help="read part: add the 1,000,000-listing catalog")
    parser.add_argument("--sizes", help="read part: the catalogs, comma-separated (default: 10k,100k)")
    parser.add_argument("--listings", type=int, default=DEFAULT_LISTINGS, help="full part: catalog size")
    parser.add_argument("--no-merge", action="store_true", help="print the figures, leave results.json")
    arguments = parser.parse_args()
    known = READ_SIZES | FULL_READ_SIZES
    sizes = (
        {size: known[size] for size in arguments.sizes.split(",")} if arguments.sizes else dict(READ_SIZES)
    )
    if arguments.full:
        sizes |= FULL_READ_SIZES
    figures: dict[str, float] = {}
    if arguments.part in (None, "read"):
        started = time.perf_counter()
        figures |= part_read(sizes)
        print(f"read: {time.perf_counter() - started:.0f} s", flush=True)
        if not arguments.no_merge:
            merge(figures)
    if arguments.part in (None, "full"):
        started = time.perf_counter()
        full = part_full(arguments.listings)
        if arguments.listings != DEFAULT_LISTINGS:
            # the other figures are the 100,000-listing catalog's: a smaller one keeps the per-listing CPU
            full = {name: value for name, value in full.items() if name in CPU_FIGURES}
            print(f"full: {arguments.listings:,} listings, only these merged: {', '.join(full)}", flush=True)
        figures |= full
        print(f"full: {time.perf_counter() - started:.0f} s", flush=True)
        print(f"figures: {json.dumps(figures)}", flush=True)
        if not arguments.no_merge:
            merge(figures)


if __name__ == "__main__":
    main()
