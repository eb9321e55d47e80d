"""Issue 6: after any interleaving of changes, syncs, cancels and late commits, the channel converges
to master and the watermark never skips a change.

A hypothesis state machine over the sync engine on moto (the template's table and push queue, deployed
from template.yaml; Step Functions only records the executions) and a Shopify sandbox store on loopback,
spoken to by the real client. Every job's steps run in-process in the order its state machine runs
them (begin, plan each shard, mark planned, the push batches from the FIFO queue, finish; a
reconcile's shards), so the test chooses what happens between them: master changes (some stamped in
the past, as a write committed or indexed late), hand edits on the channel, syncs of every mode (some
dry runs), a re-planned shard (a Step Functions retry), batches delivered in any group order and
delivered twice, cancels of queued and running jobs.

Checked as it runs:
- a push sends master's values as they are when it is sent: right after a batch of a running job the
  channel holds master's quantity (and price, unless it was edited on the channel since Tidemark last
  read it) for every linked SKU in it, and no push to a fault-free channel fails or conflicts;
- a batch of a cancelled or finished job, or of a dry run, or delivered again, writes nothing to the
  channel;
- a completed sync counts every planned listing once (planned == pushed + skipped + failed + conflicts);
- one job runs at a time on the channel, and the watermark only moves forward;
- the watermark never skips a change: when a smart or full sync completes, every master change
  committed before it planned the SKU's shard is on the channel, and every change committed since is
  stamped at or after the new watermark less the overlap, where the next smart sync reads it.
At the end, once the faults stop: a smart sync (checked as above), then a reconcile and a partial
sync leave every linked variant equal to master (quantity, price, status) and every link in sync.

SMART_OVERLAP_SECONDS is 1 here, so that the watermark matters within an example (changes more than a
second old are not read again). A change written later than the overlap after its stamp (a slow
machine) is outside what the watermark promises: it is left to the final reconcile.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shared.domain.channel import ChannelType
from shared.domain.job import Job, JobKind, JobStatus, SyncMode
from shared.domain.link import LinkStatus, SyncState
from shared.domain.listing import Listing, ListingStatus
from shared.domain.messages import PushMessage
from shared.domain.syncing import shard_of
from shared.services.channels import ChannelRequest, add_channel
from shared.services.jobs import (
    JobRequest,
    StartInput,
    begin,
    cancel,
    finish,
    mark_planned,
    pushes_done,
    start_job,
)
from shared.services.linking import match_shard, read_catalog
from shared.services.planning import plan_shard
from shared.services.pushing import push_batch
from shared.services.reconciling import reconcile_shard
from shared.settings import settings as app_settings
from shared.storage import aws, jobs, links, listings, watermarks
from tests import storage
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import ShopifyStore, create_app

pytestmark = [pytest.mark.integration, pytest.mark.storage]

TOKEN = "shpat_convergence"
CHANNEL = "convergence"
VARIANTS = 16
ON_CHANNEL = [f"SKU-{i:05d}" for i in range(1, VARIANTS + 1)]
LINKED = ON_CHANNEL[:14]  # the last two variants have no listing
MASTER_ONLY = ["LOCAL-1", "LOCAL-2"]  # listings with no variant on the channel: never linked
LISTED = [*LINKED, *MASTER_ONLY]
PUSH_SHARDS = 2
OVERLAP_SECONDS = 1
# How long before its write a master change is stamped: as if committed (or indexed) that late.
# "as_of": just before the last sync began, a write racing the start of a sync.
LAGS = (0.0, 0.0, 0.2, 0.5, "as_of")
MOST_LAG = timedelta(seconds=0.5)
CENTS = Decimal("0.01")
EXAMPLES = int(os.environ.get("TIDEMARK_CONVERGENCE_EXAMPLES", "15"))

prices = st.integers(100, 9_999).map(lambda cents: (Decimal(cents) / 100).quantize(CENTS))
master_edits = st.fixed_dictionaries(
    {},
    optional={
        "on_hand": st.integers(0, 60),
        "committed": st.integers(0, 10),
        "safety_buffer": st.integers(0, 5),
        "price": prices,
    },
)
hand_edits = st.one_of(
    st.fixed_dictionaries({"quantity": st.integers(0, 60)}),
    st.fixed_dictionaries({"price": prices}),
    st.fixed_dictionaries({"status": st.sampled_from(["active", "hidden"])}),
)


class FrontDoor:
    """One loopback server for the module; each example serves a fresh store through it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def deployed(dynamodb_endpoint) -> Iterator[None]:
    """template.yaml in moto, whose Step Functions only records executions: the test runs the steps.
    Its table in DynamoDB Local under --dynamodb=local (tests/storage.py)."""
    environment = {"PUSH_SHARDS": str(PUSH_SHARDS), "SMART_OVERLAP_SECONDS": str(OVERLAP_SECONDS)}
    with storage.deployed(dynamodb_endpoint, **environment):
        yield


@pytest.fixture(scope="module")
def front_door() -> Iterator[tuple[FrontDoor, str]]:
    door = FrontDoor(create_app(ShopifyStore.generate(1), TOKEN))
    server = serve_in_thread(door)
    yield door, server.url
    server.stop()


def overlap() -> timedelta:
    """The overlap the code reads (SMART_OVERLAP_SECONDS), or its five minutes where it has no setting."""
    configured = getattr(app_settings(), "smart_overlap_seconds", None)
    return timedelta(minutes=5) if configured is None else timedelta(seconds=configured)


def wipe() -> None:
    """An empty table and push queue: each example starts from nothing."""
    table = aws.table()
    keys: list[dict[str, Any]] = []
    request: dict[str, Any] = {"ProjectionExpression": "PK, SK"}
    while True:
        page = table.scan(**request)
        keys += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    with table.batch_writer() as writer:
        for item in keys:
            writer.delete_item(Key={"PK": item["PK"], "SK": item["SK"]})
    sqs, url = aws.client("sqs"), app_settings().push_queue_url
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def channel_snapshot(store: ShopifyStore) -> tuple[int, list[Any]]:
    return store.adjustment_count, sorted(store.variants(), key=lambda v: v.variant_id)


def channel_differences(store: ShopifyStore) -> dict[str, tuple[object, object]]:
    """Where a linked variant holds something else than master: {"<sku> <field>": (channel, master)}."""
    master = listings.get_many(LINKED)
    found: dict[str, tuple[object, object]] = {}
    for variant in store.variants():
        listing = master.get(variant.sku)
        if listing is None:
            continue
        status = "ACTIVE" if listing.status is ListingStatus.ACTIVE else "DRAFT"
        for name, held, wanted in (
            ("quantity", variant.quantity, listing.syncable_balance),
            ("price", variant.price, listing.price),
            ("status", variant.status, status),
        ):
            if held != wanted:
                found[f"{variant.sku} {name}"] = (held, wanted)
    return found


@dataclass
class Execution:
    """One job's state machine execution, which the test steps through."""

    job_id: str
    kind: JobKind
    begun: bool = False
    shards: list[int] = field(default_factory=list)
    planned: dict[int, int] = field(default_factory=dict)  # shard -> the model's clock when first planned
    marked: bool = False
    done: bool = False


@dataclass
class Pending:
    """A linked SKU's master changes that the channel has not been seen to hold yet."""

    since: int  # the model's clock at the first of them
    beyond_promise: bool = False  # one was written later than the overlap after its stamp


CONVERGED: list[dict[str, int]] = []


class SyncConvergence(RuleBasedStateMachine):
    def __init__(self, door: FrontDoor, url: str) -> None:
        super().__init__()
        self.door = door
        self.url = url
        self.ready = False
        self.clock = 0  # the order of master commits and shard plans
        self.executions: dict[str, Execution] = {}
        self.open_jobs: list[str] = []  # queued or running, oldest first
        self.pending: dict[str, Pending] = {}
        self.stamps: dict[str, datetime] = {}  # each listing's place in the change index
        self.price_unseen: set[str] = set()  # prices edited on the channel and not read since
        self.delivered: list[PushMessage] = []
        self.last_as_of: datetime | None = None
        self.watermark: datetime | None = None
        self.products: list[list[str]] = []
        self.stats: dict[str, int] = {}

    # -- a fresh store, master, the channel and its links ----------------------------------------

    @initialize(
        seed=st.integers(0, 10_000),
        stock=st.lists(st.integers(0, 50), min_size=len(LISTED), max_size=len(LISTED)),
        cents=st.lists(st.integers(100, 9_999), min_size=len(LISTED), max_size=len(LISTED)),
        hidden=st.sets(st.integers(0, VARIANTS)),
        synced=st.sampled_from([True, True, False]),
    )
    def set_up(self, seed: int, stock: list[int], cents: list[int], hidden: set[int], synced: bool) -> None:
        """A channel linked to master, and most often synced in full once."""
        wipe()
        self.store = ShopifyStore.generate(VARIANTS, seed=seed, restore_rate=1_000_000)
        self.door.app = create_app(self.store, TOKEN)
        product_of = {variant.sku: variant.product_id for variant in self.store.variants()}
        by_product: dict[str, list[str]] = {}
        for sku in LINKED:
            by_product.setdefault(product_of[sku], []).append(sku)
        self.products = list(by_product.values())
        hidden_skus = {sku for n, skus in enumerate(self.products) if n in hidden for sku in skus}
        now = datetime.now(UTC)
        listings.put_many(
            Listing(
                sku=sku,
                on_hand=on_hand,
                price=(Decimal(price) / 100).quantize(CENTS),
                status=ListingStatus.INACTIVE if sku in hidden_skus else ListingStatus.ACTIVE,
                updated_at=now,
            )
            for sku, on_hand, price in zip(LISTED, stock, cents, strict=True)
        )
        self.stamps = dict.fromkeys(LISTED, now)
        self.pending = {sku: Pending(since=0) for sku in LINKED}  # master was never pushed
        add_channel(
            ChannelRequest(
                name=CHANNEL,
                type=ChannelType.SHOPIFY,
                store_url=self.url,
                allow_insecure_url=True,
                token=TOKEN,
            )
        )
        link = self._start(JobRequest(channel=CHANNEL, kind=JobKind.LINK))
        assert begin(StartInput(job_id=link.id))["shards"] == list(range(PUSH_SHARDS))
        cursor = read_catalog(link.id, None).cursor
        while cursor is not None:
            cursor = read_catalog(link.id, cursor).cursor
        for shard in range(PUSH_SHARDS):
            after = match_shard(link.id, shard, None).after
            while after is not None:
                after = match_shard(link.id, shard, after).after
        linked = self._finish(self.executions[link.id])
        assert linked.status is JobStatus.COMPLETED and linked.counts.linked == len(LINKED), linked
        if synced:
            self._start(JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=SyncMode.FULL))
            self._settle()
        self.ready = True

    # -- master -----------------------------------------------------------------------------------

    @rule(sku=st.sampled_from(LISTED), edit=master_edits, lag=st.sampled_from(LAGS))
    def change_master(self, sku: str, edit: dict[str, Any], lag: float | str) -> None:
        self._write_master({sku: edit}, lag)

    @rule(product=st.integers(0, VARIANTS), hide=st.booleans(), lag=st.sampled_from(LAGS))
    def show_or_hide_product(self, product: int, hide: bool, lag: float | str) -> None:
        """Master shows or hides every listing of one channel product (Shopify keeps status per product)."""
        status = ListingStatus.INACTIVE if hide else ListingStatus.ACTIVE
        self._write_master(
            {sku: {"status": status} for sku in self.products[product % len(self.products)]}, lag
        )

    def _write_master(self, edits: dict[str, dict[str, Any]], lag: float | str) -> None:
        now = datetime.now(UTC)
        if isinstance(lag, float):
            stamp = now - timedelta(seconds=lag)
        elif self.last_as_of is not None:
            stamp = max(self.last_as_of - timedelta(milliseconds=1), now - MOST_LAG)
        else:
            stamp = now
        current = listings.get_many(edits)
        listings.put_many(
            current[sku].model_copy(update={**edit, "updated_at": stamp}) for sku, edit in edits.items()
        )
        committed = datetime.now(UTC)
        self.clock += 1
        for sku in edits:
            self.stamps[sku] = stamp
            if sku in LINKED:
                pending = self.pending.setdefault(sku, Pending(since=self.clock))
                pending.beyond_promise |= committed - stamp >= overlap()
        self._count("master writes" if committed - stamp < overlap() else "writes beyond the overlap")

    # -- the channel ------------------------------------------------------------------------------

    @rule(sku=st.sampled_from(ON_CHANNEL), edit=hand_edits)
    def edit_on_channel(self, sku: str, edit: dict[str, Any]) -> None:
        """A merchant's edit in the Shopify admin (a status applies to the whole product)."""
        self.store.edit_by_hand(sku, edit)  # type: ignore[arg-type]
        if "price" in edit:
            self.price_unseen.add(sku)
        self._count("hand edits")

    # -- jobs -------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.open_jobs) < 3)
    @rule(
        mode=st.sampled_from(
            [SyncMode.SMART, SyncMode.SMART, SyncMode.FULL, SyncMode.PARTIAL, SyncMode.SELECTED]
        ),
        dry_run=st.sampled_from([False, False, False, True]),
        skus=st.lists(st.sampled_from(LISTED), min_size=1, max_size=5, unique=True),
    )
    def start_sync(self, mode: SyncMode, dry_run: bool, skus: list[str]) -> None:
        selected = skus if mode is SyncMode.SELECTED else []
        self._start(JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=mode, dry_run=dry_run, skus=selected))

    @precondition(lambda self: len(self.open_jobs) < 3)
    @rule()
    def start_reconcile(self) -> None:
        self._start(JobRequest(channel=CHANNEL, kind=JobKind.RECONCILE))

    @precondition(lambda self: any(not e.done for e in self.executions.values()))
    @rule(data=st.data(), steps=st.integers(1, 4))
    def advance(self, data: st.DataObject, steps: int) -> None:
        """The next steps of one execution (a cancelled job's execution runs on to its end too)."""
        live = [e for e in self.executions.values() if not e.done]
        execution = data.draw(st.sampled_from(live), label="execution")
        for _ in range(steps):
            if execution.done or not self._step(
                execution, lambda most: data.draw(st.integers(1, most), label="shards")
            ):
                return

    @precondition(lambda self: bool(self._planning()))
    @rule(data=st.data())
    def replan_shard(self, data: st.DataObject) -> None:
        """Step Functions retries PlanShard: a shard is planned again before the job is marked planned."""
        execution = data.draw(st.sampled_from(self._planning()), label="execution")
        plan_shard(execution.job_id, data.draw(st.sampled_from(sorted(execution.planned)), label="shard"))
        self._count("re-plans")

    @rule(data=st.data(), count=st.integers(1, 4))
    def deliver(self, data: st.DataObject, count: int) -> None:
        """Push batches from the queue, the head of any message group first."""
        for _ in range(count):
            message = self._receive(lambda heads: data.draw(st.sampled_from(heads), label="group"))
            if message is None:
                return
            self._push(message)

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        """At-least-once delivery: a batch already pushed (and recorded) comes again: it is not sent."""
        message = data.draw(st.sampled_from(self.delivered), label="message")
        before = channel_snapshot(self.store)
        push_batch(message)
        assert channel_snapshot(self.store) == before, (
            f"batch {message.batch_id} of {message.job_id} sent again"
        )
        self._count("duplicate deliveries")

    @precondition(lambda self: bool(self.open_jobs))
    @rule()
    def catch_up(self) -> None:
        """Every execution runs on and every batch is pushed until the channel's queue is empty."""
        self._settle()

    @precondition(lambda self: bool(self.open_jobs))
    @rule(data=st.data())
    def cancel_job(self, data: st.DataObject) -> None:
        """Cancel a queued or running job: no push leaves once the cancel has answered."""
        job_id = data.draw(st.sampled_from(self.open_jobs), label="job")
        cancelled = cancel(job_id)
        assert cancelled.job.status is JobStatus.CANCELLED and cancelled.pushes_in_flight == 0, cancelled
        self.open_jobs.remove(job_id)
        self._track_dispatch()
        self._count("cancels")

    # -- the end: the faults stop, the channel converges ------------------------------------------

    def teardown(self) -> None:
        if not self.ready or sys.exc_info()[0] is not None:
            return  # a failure (or hypothesis dropping the example) is already on its way out
        self._settle()
        for request in (
            JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=SyncMode.SMART),
            JobRequest(channel=CHANNEL, kind=JobKind.RECONCILE),
            JobRequest(channel=CHANNEL, kind=JobKind.SYNC, mode=SyncMode.PARTIAL),
        ):
            job = self._start(request)
            self._settle()
            assert jobs.get(job.id).status is JobStatus.COMPLETED, jobs.get(job.id)
        assert channel_differences(self.store) == {}
        unsettled = {
            sku: (link.status.value, link.sync_state.value)
            for sku, link in links.get_many(CHANNEL, LINKED).items()
            if link.status is not LinkStatus.LINKED or link.sync_state is not SyncState.IN_SYNC
        }
        assert unsettled == {}, f"links not in sync after reconcile and partial sync: {unsettled}"
        CONVERGED.append(self.stats)

    # -- running the jobs' steps ------------------------------------------------------------------

    def _start(self, request: JobRequest) -> Job:
        job = start_job(request)
        self.open_jobs.append(job.id)
        self._track_dispatch()
        return job

    def _planning(self) -> list[Execution]:
        """Sync executions between planning their first shard and being marked planned."""
        return [e for e in self.executions.values() if e.kind is JobKind.SYNC and e.planned and not e.marked]

    def _track_dispatch(self) -> None:
        """The job holding the channel had its execution started by dispatch: the test runs it."""
        holder = jobs.running(CHANNEL)
        if holder is not None and holder not in self.executions:
            self.executions[holder] = Execution(holder, jobs.get(holder).kind)

    def _step(self, execution: Execution, how_many: Callable[[int], int]) -> bool:
        """Run the execution's next step; False while it waits for its pushes."""
        job_id = execution.job_id
        remaining = [shard for shard in execution.shards if shard not in execution.planned]
        if not execution.begun:
            execution.shards = list(begin(StartInput(job_id=job_id))["shards"])  # type: ignore[call-overload]
            execution.begun = True
            running = [job.id for job in jobs.for_channel(CHANNEL, status=JobStatus.RUNNING)]
            assert len(running) <= 1, f"jobs running at once on the channel: {running}"
            began = jobs.get(job_id).status is JobStatus.RUNNING
            assert running == [job_id] if began else job_id not in running, (job_id, running)
            if began and execution.kind is JobKind.SYNC:
                self.last_as_of = jobs.get(job_id).as_of
        elif execution.kind is JobKind.RECONCILE and remaining:
            shard = remaining[0]
            reads = jobs.get(job_id).status is JobStatus.RUNNING  # a cancelled one reads nothing
            after = reconcile_shard(job_id, shard, None).after
            while after is not None:
                after = reconcile_shard(job_id, shard, after).after
            execution.planned[shard] = self.clock
            if reads:
                # the links now hold what the channel holds: a price edited there is known
                self.price_unseen -= {sku for sku in LINKED if shard_of(sku, PUSH_SHARDS) == shard}
            else:
                self._count("shards of a cancelled reconcile")
        elif execution.kind is JobKind.RECONCILE:
            self._finish(execution)
        elif remaining:
            for shard in remaining[: how_many(len(remaining))]:
                self.clock += 1
                plan_shard(job_id, shard)
                execution.planned.setdefault(shard, self.clock)
        elif not execution.marked:
            mark_planned(job_id)
            execution.marked = True
        elif pushes_done(job_id):
            self._finish(execution)
        else:
            return False
        return True

    def _finish(self, execution: Execution) -> Job:
        job = finish(execution.job_id)
        execution.done = True
        if job.id in self.open_jobs:
            assert job.finished, job
            self.open_jobs.remove(job.id)
        self._track_dispatch()
        mark = watermarks.get(CHANNEL).changes_until
        if self.watermark is not None:
            assert mark is not None and mark >= self.watermark, (
                f"watermark moved back: {self.watermark} -> {mark}"
            )
        self.watermark = mark
        if job.kind is JobKind.SYNC and job.status in (JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS):
            self._check_completed_sync(job, execution)
        return job

    def _receive(self, choose: Callable[[list[str]], str]) -> PushMessage | None:
        """One message, from the head of a message group (the others are made visible again)."""
        sqs, url = aws.client("sqs"), app_settings().push_queue_url
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["MessageGroupId"], VisibilityTimeout=30
        ).get("Messages", [])
        if not received:
            return None
        heads: dict[str, dict[str, Any]] = {}
        for message in received:
            heads.setdefault(message["Attributes"]["MessageGroupId"], message)
        taken = heads[choose(sorted(heads))]
        for message in received:
            if message is not taken:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        sqs.delete_message(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"])
        return PushMessage.model_validate_json(taken["Body"])

    def _push(self, message: PushMessage) -> None:
        job = jobs.get(message.job_id)
        before = channel_snapshot(self.store)
        counts = push_batch(message)
        self.delivered.append(message)
        if job.status is not JobStatus.RUNNING or job.dry_run:
            assert channel_snapshot(self.store) == before, (
                f"a batch of a {'dry run' if job.dry_run else job.status.value} job wrote to the channel"
            )
            self._count("batches that wrote nothing")
            return
        assert counts["failed"] == counts["conflicts"] == 0, (message, counts, jobs.get(job.id).failures)
        master = listings.get_many(message.skus)
        held = {variant.sku: variant for variant in self.store.variants()}
        for sku in set(message.skus) & set(LINKED):
            assert held[sku].quantity == master[sku].syncable_balance, (
                f"{sku}: the channel holds {held[sku].quantity} right after its push, "
                f"master's balance is {master[sku].syncable_balance}"
            )
            if sku not in self.price_unseen:
                assert held[sku].price == master[sku].price, (sku, held[sku].price, master[sku].price)
            if held[sku].price == master[sku].price:
                self.price_unseen.discard(sku)
            self.pending.pop(sku, None)  # the channel holds master as it is now
        self._count("batches pushed")

    def _check_completed_sync(self, job: Job, execution: Execution) -> None:
        counts = job.counts
        if job.dry_run:
            assert counts.planned == counts.skipped + counts.compared, counts
            return
        assert counts.planned == counts.pushed + counts.skipped + counts.failed + counts.conflicts, (
            f"{job.effective_mode} sync {job.id} planned {counts.planned} listings but pushed "
            f"{counts.pushed}, skipped {counts.skipped}, failed {counts.failed}, conflicts {counts.conflicts}"
        )
        if job.effective_mode not in (SyncMode.FULL, SyncMode.SMART):
            return
        mark = watermarks.get(CHANNEL).changes_until
        assert job.as_of is not None and mark is not None and mark >= job.as_of, (mark, job.as_of)
        for sku in LINKED:
            pending = self.pending.get(sku)
            if pending is None or pending.beyond_promise:
                continue
            assert pending.since > execution.planned[shard_of(sku, PUSH_SHARDS)], (
                f"{job.effective_mode} sync {job.id} completed without pushing {sku}, changed on master "
                f"(stamped {self.stamps[sku].isoformat()}) before the sync planned its shard; "
                f"changes_since={job.changes_since}, as_of={job.as_of}"
            )
            assert self.stamps[sku] >= mark - overlap(), (
                f"{sku} changed on master while {job.effective_mode} sync {job.id} ran (stamped "
                f"{self.stamps[sku].isoformat()}), yet the watermark moved to {mark.isoformat()}: "
                "the next smart sync will not read it"
            )
        self._count(f"{job.effective_mode} syncs checked")

    def _settle(self) -> None:
        """Run every execution and deliver every batch until the channel's queue is empty."""
        for _ in range(500):
            message = self._receive(lambda heads: heads[0])
            if message is not None:
                self._push(message)
                continue
            live = [e for e in self.executions.values() if not e.done]
            if not live:
                assert jobs.running(CHANNEL) is None and not jobs.queue_head(CHANNEL), self.open_jobs
                return
            for execution in live:
                self._step(execution, lambda most: most)
        raise AssertionError(f"the channel's jobs did not settle: {self.executions}")

    def _count(self, what: str) -> None:
        self.stats[what] = self.stats.get(what, 0) + 1


def test_every_channel_converges_to_master_and_the_watermark_skips_nothing(deployed, front_door):
    door, url = front_door
    CONVERGED.clear()
    run_state_machine_as_test(
        lambda: SyncConvergence(door, url),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert CONVERGED, "no example reached the final convergence check"
