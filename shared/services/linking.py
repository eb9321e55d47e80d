"""The link job: read the channel's whole catalog into the job's catalog read, then decide every
listing against it, one shard of SKUs at a time.

Each step is safe to run twice (Step Functions retries): the catalog read is keyed by variant,
links are absolute writes, and a step's counts are added once under its step id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from shared.channels.base import CatalogPage, ChannelClient, ChannelVariant
from shared.domain.channel import Channel
from shared.domain.job import Job, JobFailure, JobKind, JobStatus
from shared.domain.link import Link, LinkStatus
from shared.domain.link_state import Unmatched, UnmatchedCause
from shared.domain.linking import (
    Catalog,
    Decision,
    LinkOutcome,
    channel_fields,
    channel_value,
    decide,
    listing_value,
)
from shared.domain.listing import Listing
from shared.services import clients
from shared.storage import catalog, channels, jobs, link_states, links, listings

# Enough work per step to keep a million-variant job far under Step Functions' 25,000 events,
# little enough to finish well inside a Lambda timeout.
PAGES_PER_STEP = 20
LISTINGS_PER_STEP = 1000


@dataclass(frozen=True)
class CatalogRead:
    job_id: str
    cursor: str | None  # None: the whole catalog was read


@dataclass(frozen=True)
class ShardMatched:
    job_id: str
    shard: int
    after: str | None  # None: the shard is done


def running(job_id: str) -> tuple[Job, Channel] | None:
    """The job and its channel while the job runs; None once it was cancelled or finished."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.RUNNING:
        return None
    channel = channels.get(job.channel)
    if channel is None:
        raise LookupError(f"channel '{job.channel}' was removed while job {job_id} ran")
    return job, channel


def _page(client: ChannelClient, cursor: str | None) -> CatalogPage:
    return client.read_catalog_page(cursor)


def read_catalog(job_id: str, cursor: str | None) -> CatalogRead:
    """Read up to PAGES_PER_STEP pages of the catalog into the job's catalog read."""
    found = running(job_id)
    if found is None:
        return CatalogRead(job_id, None)
    job, channel = found
    fields = channel_fields(channel.priorities)
    step_id = f"read:{cursor or ''}"
    read = 0
    for _ in range(PAGES_PER_STEP):
        page = clients.call(channel, partial(_page, cursor=cursor))
        catalog.record_page(job.id, page.variants, fields, datetime.now(UTC))
        read += len(page.variants)
        cursor = page.next_cursor
        if cursor is None:
            break
    jobs.record_batch(job.id, step_id, {"read": read}, datetime.now(UTC))
    return CatalogRead(job.id, cursor)


def match_shard(job_id: str, shard: int, after: str | None) -> ShardMatched:
    """Decide up to LISTINGS_PER_STEP listings of one shard against the job's catalog read."""
    found = running(job_id)
    if found is None:
        return ShardMatched(job_id, shard, None)
    job, channel = found
    skus, more_after = listings.shard_page(shard, after, LISTINGS_PER_STEP)
    masters = listings.get_many(skus)
    current = links.get_many(channel.name, skus)
    notes = link_states.notes(channel.name, skus)
    relinking = job.kind is JobKind.RELINK or job.relink
    if relinking:
        masters = _not_linked(masters, current)
    read = _catalog_for(job.id, channel, masters.values(), current)
    now = datetime.now(UTC)
    decisions = {
        sku: decide(channel.name, listing, current.get(sku), read, channel.priorities, now)
        for sku, listing in masters.items()
    }
    links.write_changes((current.get(sku), d.link) for sku, d in decisions.items() if d.link is not None)
    _note_unmatched(channel.name, decisions, current, notes)
    counts = Counter(d.outcome.value for d in decisions.values())
    if relinking:
        counts[LinkOutcome.ALREADY_LINKED.value] += len(skus) - len(masters)
    jobs.record_batch(job.id, f"match:{shard}:{after or ''}", counts, now, failures=_reported(decisions))
    return ShardMatched(job_id, shard, more_after)


def _not_linked(masters: dict[str, Listing], current: dict[str, Link]) -> dict[str, Listing]:
    """The listings a re-link touches: those not linked."""
    linked = {sku for sku, link in current.items() if link.status is LinkStatus.LINKED}
    return {sku: listing for sku, listing in masters.items() if sku not in linked}


_UNMATCHED = {
    LinkOutcome.DUPLICATE: UnmatchedCause.DUPLICATE,
    LinkOutcome.NO_MATCH: UnmatchedCause.NO_MATCH,
    LinkOutcome.EMPTY_VALUE: UnmatchedCause.EMPTY_VALUE,
}


def _note_unmatched(
    channel: str, decisions: dict[str, Decision], current: dict[str, Link], notes: dict[str, Unmatched]
) -> None:
    """Note each listing left without a variant and why (a duplicate always; no match or no value
    when it has no link either), for the console's link states; drop the notes that no longer hold."""
    wanted = {
        sku: Unmatched(sku=sku, channel=channel, cause=_UNMATCHED[d.outcome], reason=d.reason)
        for sku, d in decisions.items()
        if d.outcome is LinkOutcome.DUPLICATE or (d.outcome in _UNMATCHED and sku not in current)
    }
    link_states.write_notes(
        channel,
        notes,
        [note for sku, note in wanted.items() if notes.get(sku) != note],
        [sku for sku in notes if sku in decisions and sku not in wanted],
    )


def _catalog_for(
    job_id: str, channel: Channel, masters: Iterable[Listing], current: dict[str, Link]
) -> Catalog:
    """The part of the catalog read these listings need: their linked variants, the holders of
    every value the listings that may need matching carry, and the sole holders themselves."""
    linked = [link for link in current.values() if link.status is LinkStatus.LINKED]
    by_id = catalog.variants(job_id, (link.variant_id for link in linked))
    still_linked = _still_linked(linked, by_id)
    holders = catalog.holders(job_id, _values_to_match(channel, masters, still_linked))
    sole = {ids[0] for ids in holders.values() if len(ids) == 1} - by_id.keys()
    return Catalog(holders, {**by_id, **catalog.variants(job_id, sole)})


def _still_linked(linked: list[Link], by_id: dict[str, ChannelVariant]) -> set[str]:
    """The SKUs whose linked variant is still in the catalog read, with the value it was matched on."""
    return {
        link.sku
        for link in linked
        if link.variant_id in by_id
        and channel_value(by_id[link.variant_id], link.matched_field) == link.matched_value
    }


def _values_to_match(
    channel: Channel, masters: Iterable[Listing], still_linked: set[str]
) -> list[tuple[str, str]]:
    """(channel field, value) of every priority, for each listing that may need matching."""
    return [
        (priority.channel_field, value)
        for listing in masters
        if listing.sku not in still_linked
        for priority in channel.priorities
        if (value := listing_value(listing, priority))
    ]


def _reported(decisions: dict[str, Decision]) -> list[JobFailure]:
    """What the merchant must act on: duplicates that kept a listing unlinked, and lost links."""
    fixes = {
        LinkOutcome.DUPLICATE: "{reason}",
        LinkOutcome.VARIANT_GONE: "{reason}, so the listing was unlinked: re-link once the variant is back",
        LinkOutcome.VALUE_CHANGED: "{reason}, so the listing was unlinked: undo the change, or re-link",
    }
    return [
        JobFailure(sku=sku, message=fixes[decision.outcome].format(reason=decision.reason))
        for sku, decision in sorted(decisions.items())
        if decision.outcome in fixes
    ]
