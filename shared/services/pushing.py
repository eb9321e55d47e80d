"""Pushing one batch: master values read now, the channel's batch calls, each result recorded.

A job's push is sent only under a lease taken while its job runs and the batch is not recorded:
once a cancel is acknowledged no push leaves, and a batch delivered again is not sent again. A dry
run records what the push would change instead of sending it. Pushes at once (auto sync, sync now,
a channel edit overwritten) belong to no job: each message is pushed once however often it comes
(Powertools idempotency on its id). A channel edit's push-back is sent only if the channel, as last
seen, still holds something other than master when it is due.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import TypeVar

from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.channels.base import (
    ChannelClient,
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantStatus,
)
from shared.domain.allocation import Allocation, of
from shared.domain.channel import HIDES_BY_QUANTITY, Channel
from shared.domain.channel_events import holds_master, settled
from shared.domain.guard import weighed
from shared.domain.job import JobFailure, JobStatus
from shared.domain.link import Link
from shared.domain.listing import Listing
from shared.domain.messages import AutoPushMessage, PushMessage, PushOrigin
from shared.domain.syncing import Push, SyncPlan, blocked_hides, plan_pushes, planned_changes, record_results
from shared.services import amazon_dry_run, clients, guard, locations
from shared.storage import channel_rules, channels, history, jobs, links, listings, read_once

# How long an auto push's id is remembered: well past the retries that can bring it again (its
# queue's five receives, the table stream's retries of the change that queued it).
PUSHED_ONCE_TTL_S = 24 * 60 * 60


def push_batch(message: PushMessage) -> Counter[str]:
    """Push the batch unless its job stopped running; returns the counts it added to the job."""
    job = jobs.get(message.job_id)
    channel = channels.get(message.channel)
    counts: Counter[str] = Counter()
    if job.status is not JobStatus.RUNNING or channel is None:
        counts["skipped"] = len(message.skus)
        jobs.record_batch(job.id, message.batch_id, counts, datetime.now(UTC), push=True)
        return counts
    master = listings.get_many(message.skus)
    current = links.get_many(channel.name, message.skus)
    reads = locations.push_reads(channel.name, message.skus)
    quantities = locations.push_quantities(channel.name, message.skus, master, current, reads)
    rules = channel_rules.for_skus(channel.name, master)
    allocated = allocations(rules, master, quantities)
    plan = plan_pushes(
        channel.name,
        message.skus,
        master,
        current,
        allocated,
        quantities,
        hides_by_quantity=channel.type in HIDES_BY_QUANTITY,
    )
    _add_other_locations(plan, channel, message.skus, master, current, reads, rules)
    counts["skipped"] = len(plan.skipped)
    failures = [JobFailure(sku=sku, message=reason) for sku, reason in plan.skipped.items()]
    if job.plans_only:  # a dry run, or the guard's check of the sync
        changes = planned_changes(plan, current)
        jobs.put_plan(job.id, changes, datetime.now(UTC))
        counts["compared"] = len(plan.quantities)
        counts["changes"] = len(changes)
        counts["unchanged"] = len(plan.quantities) - len({change.sku for change in changes})
        counts["zeroed"], counts["moved"] = weighed(plan.quantities, current)
        if job.dry_run:  # not the guard's check: a real sync follows it
            failures += amazon_dry_run.refused(channel, plan.quantities)
    elif plan.quantities:
        from shared.services.jobs import PUSH_LEASE  # here: auto_push, pushing at once, needs none of it

        if not jobs.lease(job.id, message.batch_id, datetime.now(UTC) + PUSH_LEASE):
            # cancelled, or pushed before (a redelivery: its counts are recorded): nothing leaves
            counts = Counter(skipped=len(message.skus))
            failures = []
        else:
            try:
                results = clients.call(channel, lambda client: send_plan(client, plan, message))
            finally:
                jobs.end_lease(job.id, message.batch_id)
            failures += _record(job.id, current, results, counts, allocated)
    jobs.record_batch(job.id, message.batch_id, counts, datetime.now(UTC), push=True, failures=failures)
    return counts


def push_at_once(message: AutoPushMessage, context: LambdaContext | None = None) -> dict[str, int]:
    """Push listings outside any job (auto sync, sync now, a channel edit overwritten): master's
    values as they are now, recorded on the links and in history under the push's origin. A
    message delivered again (a retried batch, a change streamed again) answers the first push's
    counts and sends nothing; one that failed keeps no record and is pushed when it comes back."""
    # here: Powertools idempotency imports boto3, which the import of a handler leaves out
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    from shared.storage import idempotency

    config = IdempotencyConfig(
        event_key_jmespath="id",
        expires_after_seconds=PUSHED_ONCE_TTL_S,
        lambda_context=context,  # a push cut off by the timeout does not hold its id
    )
    once = idempotent_function(
        _push_at_once,
        data_keyword_argument="message",
        persistence_store=idempotency.store("auto-push"),
        config=config,
        key_prefix="auto-push",
    )
    counts: dict[str, int] = once(message=message)
    return counts


def config_read_once() -> AbstractContextManager[None]:
    """An auto-push batch reads each channel, its location map, its rules item and its guard once
    (at the first message that needs them), not once a message: shared/storage/read_once.py."""
    return read_once.config_read_once()


def _push_at_once(message: AutoPushMessage) -> Counter[str]:
    channel = channels.get(message.channel)
    if channel is None:
        return Counter(skipped=len(message.skus))
    master = listings.get_many(message.skus)
    current = links.get_many(channel.name, message.skus)
    skus = message.skus
    counts: Counter[str] = Counter()
    reads = locations.push_reads(channel.name, skus)
    quantities = locations.push_quantities(channel.name, skus, master, current, reads)
    rules = channel_rules.for_skus(channel.name, master)
    allocated = allocations(rules, master, quantities)
    if message.origin is PushOrigin.CHANNEL_EDIT:
        skus = _push_backs_needed(skus, master, current, counts, allocated)
    plan = plan_pushes(
        channel.name,
        skus,
        master,
        current,
        allocated,
        quantities,
        hides_by_quantity=channel.type in HIDES_BY_QUANTITY,
    )
    _add_other_locations(plan, channel, skus, master, current, reads, rules)
    counts["skipped"] = len(plan.skipped)
    auto = message.origin is PushOrigin.AUTO_SYNC
    if auto and plan.quantities and not guard.admit(channel.name, plan.quantities, current):
        counts["held"] = len(plan.quantities)  # the breaker is open: pushed once it is resumed
        return counts
    if plan.quantities:
        results = clients.call(channel, lambda client: send_plan(client, plan, message))
        _record(message.origin.value, current, results, counts, allocated)
    return counts


def allocations(
    rules: channel_rules.ChannelRules, master: dict[str, Listing], quantities: dict[str, int | None]
) -> dict[str, Allocation]:
    """Each listing's allocation on the channel, by its rules as they are now (read at send time,
    as master's values are), applied to what its channel location's master locations can sell (or
    its bundle's components make: `quantities`, shared/services/locations.py)."""
    given = quantities
    return {
        sku: of(rules.rules, rules.override(sku), listing, given.get(sku)) for sku, listing in master.items()
    }


def _add_other_locations(
    plan: SyncPlan,
    channel: Channel,
    skus: Sequence[str],
    master: dict[str, Listing],
    current: dict[str, Link],
    reads: locations.PushReads,
    rules: channel_rules.ChannelRules,
) -> None:
    """Shopify under a location map: the pushes to its other mapped locations (one
    inventorySetQuantities carries them all); a listing pushed there is no longer skipped."""
    for push in locations.other_location_pushes(channel, skus, master, current, rules, reads):
        plan.skipped.pop(push.sku, None)
        plan.quantities.append(push)


def _push_backs_needed(
    skus: Sequence[str],
    master: dict[str, Listing],
    current: dict[str, Link],
    counts: Counter[str],
    allocated: dict[str, Allocation],
) -> list[str]:
    """The SKUs whose channel still holds something other than master now. The rest are not sent,
    their links settled in sync; one that changed since it was read is pushed back after all."""
    needed = []
    for sku in skus:
        link, listing = current.get(sku), master.get(sku)
        if link is not None and listing is not None and holds_master(link, listing, allocated.get(sku)):
            after = settled(link, datetime.now(UTC))
            if after is None or links.put_unless_changed(link, after):
                counts["agreed"] += 1
                continue
        needed.append(sku)
    return needed


def send_plan(
    client: ChannelClient, plan: SyncPlan, message: PushMessage | AutoPushMessage
) -> list[tuple[Push, PushResult]]:
    """Quantities, then prices, then statuses, each in the channel's batch sizes; then again the
    quantities and prices refused of a listing the statuses showed (eBay revises only a published
    offer: one withdrawn by hand refuses both until its publish, which goes last)."""
    blocked = _blocked_hides(client, plan)
    statuses = [push for push in plan.statuses if push.sku not in blocked]
    sent = [
        *_in_batches(
            plan.quantities, client.quantity_batch_size, client.push_quantities, message, "quantity"
        ),
        *_in_batches(plan.prices, client.price_batch_size, client.push_prices, message, "price"),
        *_in_batches(statuses, client.status_batch_size, client.push_statuses, message, "status"),
    ]
    return [
        *_again_once_shown(client, sent, message),
        *((push, blocked[push.sku]) for push in plan.statuses if push.sku in blocked),
    ]


def _again_once_shown(
    client: ChannelClient, sent: list[tuple[Push, PushResult]], message: PushMessage | AutoPushMessage
) -> list[tuple[Push, PushResult]]:
    shown = {
        push.sku
        for push, result in sent
        if isinstance(push, StatusPush)
        and push.status is VariantStatus.ACTIVE
        and result.outcome is PushOutcome.PUSHED
    }
    refused = [push for push, result in sent if push.sku in shown and result.outcome is PushOutcome.FAILED]
    quantities = [push for push in refused if isinstance(push, QuantityPush)]
    prices = [push for push in refused if isinstance(push, PricePush)]
    if not quantities and not prices:
        return sent
    again = [
        *_in_batches(
            quantities, client.quantity_batch_size, client.push_quantities, message, "quantity again"
        ),
        *_in_batches(prices, client.price_batch_size, client.push_prices, message, "price again"),
    ]
    results = {id(push): result for push, result in again}
    return [(push, results.get(id(push), result)) for push, result in sent]


def _blocked_hides(client: ChannelClient, plan: SyncPlan) -> dict[str, PushResult]:
    hides = {push.product_id for push in plan.statuses if push.status is VariantStatus.HIDDEN}
    if not hides:
        return {}
    product_skus = client.product_skus(sorted(hides))
    siblings = listings.get_many(sku for skus in product_skus.values() for sku in skus)
    return blocked_hides(plan.statuses, product_skus, siblings)


P = TypeVar("P", QuantityPush, PricePush, StatusPush)


def _in_batches(
    pushes: list[P],
    size: int,
    call: Callable[[Sequence[P], str], list[PushResult]],
    message: PushMessage | AutoPushMessage,
    name: str,
) -> list[tuple[Push, PushResult]]:
    sent: list[tuple[Push, PushResult]] = []
    for start in range(0, len(pushes), size):
        batch = pushes[start : start + size]
        sent += zip(batch, call(batch, message.idempotency_key(f"{name}:{start}")), strict=True)
    return sent


def _record(
    job_id: str,
    current: dict[str, Link],
    results: list[tuple[Push, PushResult]],
    counts: Counter[str],
    allocated: dict[str, Allocation],
) -> list[JobFailure]:
    """Write the links and history (naming the rules that shaped each push); count each listing
    once, by its worst result."""
    shaped = {sku: allocation.shaped_by for sku, allocation in allocated.items()}
    updated, entries = record_results(current, results, job_id, datetime.now(UTC), shaped)
    links.put_many(updated)
    history.append_many(entries)
    worst: dict[str, PushResult] = {}
    for _, result in results:
        if result.sku not in worst or _RANK[result.outcome] > _RANK[worst[result.sku].outcome]:
            worst[result.sku] = result
    failures = []
    for result in worst.values():
        counts[_COUNT[result.outcome]] += 1
        if result.outcome is not PushOutcome.PUSHED:
            failures.append(JobFailure(sku=result.sku, message=result.message))
    return failures


_COUNT = {PushOutcome.PUSHED: "pushed", PushOutcome.CONFLICT: "conflicts", PushOutcome.FAILED: "failed"}
_RANK = {PushOutcome.PUSHED: 0, PushOutcome.CONFLICT: 1, PushOutcome.FAILED: 2}
