"""Auto-sync flags: on or off for a list of SKUs or for every listing matching a filter, "sync
now", and the rules that give a new listing its flag by how it was created.

Turning a flag on pushes nothing by itself: a flag moves no balance. A selection that may hold
more than LARGE_SELECTION listings (more SKUs than that, or a filter whose candidates, the
listings with its SKU prefix, are more) runs as an auto_sync job on the listings' own queue
(LISTINGS_QUEUE), a page of each SKU shard a step, with its counts as progress.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ConfigDict, Field, field_validator, model_validator

from shared.domain.fields import FieldRule
from shared.domain.job import LISTINGS_QUEUE, Job, JobKind, JobStatus
from shared.domain.listing import AutoSyncRules, CreatedBy, Listing, Sku
from shared.domain.model import Model
from shared.domain.selection import FORMS, ListingFilter
from shared.services import autosync
from shared.services.jobs import UnknownSkus, enqueue, selected_by_shard
from shared.settings import settings
from shared.storage import jobs, listings, rules

LARGE_SELECTION = 500
PAGE_SIZE = 500  # listings an auto_sync job's step reads and flags


class FlagRequest(Model):
    """Auto sync on or off for these SKUs, or for every listing matching all these filters."""

    model_config = ConfigDict(extra="forbid")

    auto_sync: bool = Field(description="true: on, false: off")
    skus: list[Sku] = Field(default_factory=list, description="the listings, by SKU")
    filters: list[str] = Field(default_factory=list, description=f"or every listing matching all of {FORMS}")

    @model_validator(mode="after")
    def _one_selection(self) -> FlagRequest:
        if bool(self.skus) == bool(self.filters):
            raise FieldRule("skus", "give either skus or filters (one of them, not both)")
        return self


class FlagSummary(Model):
    """What changed; a large selection's counts are on its job instead, as it runs."""

    matched: int = 0
    flags_changed: int = 0
    job: Job | None = None


def set_flags(request: FlagRequest) -> FlagSummary:
    if request.filters:
        selection = ListingFilter.parse(request.filters)
        if listings.count_up_to(LARGE_SELECTION, selection.sku_prefix) > LARGE_SELECTION:
            return FlagSummary(job=_start_job(request.auto_sync, selection.expressions, {}))
        counts: Counter[str] = Counter()
        for shard in range(settings().push_shards):
            after: str | None = None
            while True:
                skus, after = listings.shard_page(shard, after, PAGE_SIZE, selection.sku_prefix)
                counts += _flag(listings.get_many(skus).values(), selection, request.auto_sync)
                if after is None:
                    break
        return FlagSummary(matched=counts["matched"], flags_changed=counts["flags_changed"])
    skus = list(dict.fromkeys(request.skus))
    if len(skus) > LARGE_SELECTION:
        return FlagSummary(job=_start_job(request.auto_sync, (), selected_by_shard(skus)))
    counts = _flag(_known(skus).values(), None, request.auto_sync)
    return FlagSummary(matched=counts["matched"], flags_changed=counts["flags_changed"])


def _known(skus: list[str]) -> dict[str, Listing]:
    found = listings.get_many(skus)
    unknown = [sku for sku in skus if sku not in found]
    if unknown:
        raise UnknownSkus(unknown)
    return found


def _flag(found: Iterable[Listing], selection: ListingFilter | None, on: bool) -> Counter[str]:
    """Set the flag of the listings that match; counts of those read, matched and changed."""
    read = list(found)
    matched = [listing for listing in read if selection is None or selection.matches(listing)]
    changed = sum(listings.set_auto_sync(listing.sku, on) for listing in matched if listing.auto_sync != on)
    return Counter(checked=len(read), matched=len(matched), flags_changed=changed)


def _start_job(on: bool, filters: tuple[str, ...], selected: Mapping[int, list[str]]) -> Job:
    job = Job(
        id=uuid.uuid4().hex,
        channel=LISTINGS_QUEUE,
        kind=JobKind.AUTO_SYNC,
        auto_sync=on,
        filters=filters,
        selected=sum(len(skus) for skus in selected.values()),
        created_at=datetime.now(UTC),
    )
    return enqueue(job, dict(selected))


@dataclass(frozen=True)
class FlagStep:
    job_id: str
    shard: int
    after: str | None  # where the shard's next page starts; None: the shard is done


def flag_shard_page(job_id: str, shard: int, after: str | None) -> FlagStep:
    """One step of an auto_sync job: a page of one shard's listings (the job's SKUs, or every
    listing with the filter's SKU prefix), flagged where they match, counted on the job once
    however often the step runs. A job no longer running takes no further step."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.RUNNING or job.auto_sync is None:
        return FlagStep(job_id, shard, None)
    selection = ListingFilter.parse(job.filters) if job.filters else None
    if selection is None:
        skus, last = jobs.selected_page(job_id, shard, after, PAGE_SIZE)
    else:
        skus, last = listings.shard_page(shard, after, PAGE_SIZE, selection.sku_prefix)
    counts = _flag(listings.get_many(skus).values(), selection, job.auto_sync)
    jobs.record_batch(job_id, f"flags-{shard}-{after or ''}", counts, datetime.now(UTC))
    return FlagStep(job_id, shard, last)


class SyncNowRequest(Model):
    model_config = ConfigDict(extra="forbid")

    skus: list[Sku] = Field(min_length=1, description=f"the listings to push, at most {LARGE_SELECTION}")

    @field_validator("skus")
    @classmethod
    def _not_too_many(cls, skus: list[str]) -> list[str]:
        if len(set(skus)) > LARGE_SELECTION:
            raise ValueError(f"at most {LARGE_SELECTION} SKUs a request: split them into several")
        return skus


class SyncNowSummary(Model):
    flags_changed: int
    pushes_queued: int  # (channel, SKU) pushes: one for each channel a listing is linked on


def sync_now(request: SyncNowRequest) -> SyncNowSummary:
    """Turn the listings' auto sync on and push them to every channel they are linked on now."""
    skus = list(dict.fromkeys(request.skus))
    counts = _flag(_known(skus).values(), None, True)
    return SyncNowSummary(flags_changed=counts["flags_changed"], pushes_queued=autosync.push_now(skus))


def edit_rules(changes: Mapping[CreatedBy, bool]) -> AutoSyncRules:
    """Set the rules given (by creation method); the others stay as they are."""
    return rules.update({created_by.value: on for created_by, on in changes.items()})


def rules_now() -> AutoSyncRules:
    """The auto-sync flag new listings get, by how they came."""
    return rules.get()
