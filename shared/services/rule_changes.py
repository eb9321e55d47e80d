"""A channel's rule change as a job: every linked listing it moves, found a page of a link shard a
step, planned (from and to, readable as the job's plan) and, unless a dry run, pushed at once where
its auto sync is on and stamped changed for smart sync.

A channel may link 100,000 listings: reading each of them, its master listing and its override
does not fit an API request, so the request saves the rules and queues the job, which runs on the
channel's queue as its other jobs do. The rules it compares are the job's own (before and after),
so a later change is a job of its own and this one's moves stay what this change moved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.allocation import Moved, Rules, moves, of
from shared.domain.job import Job, JobKind, JobStatus
from shared.domain.link import LinkStatus
from shared.domain.listing import Listing
from shared.domain.messages import PushOrigin
from shared.domain.syncing import PlannedChange
from shared.services import autosync
from shared.services.jobs import enqueue
from shared.storage import channel_rules, jobs, links, listings

PAGE_SIZE = 500  # links a step reads


def start(channel: str, before: Rules, after: Rules, *, dry_run: bool) -> Job:
    job = Job(
        id=uuid.uuid4().hex,
        channel=channel,
        kind=JobKind.RULES,
        dry_run=dry_run,
        rules_before=before,
        rules_after=after,
        created_at=datetime.now(UTC),
    )
    return enqueue(job, {})


@dataclass(frozen=True)
class RulesStep:
    job_id: str
    shard: int
    after: str | None  # where the shard's next page starts; None: the shard is done


def rule_change_page(job_id: str, shard: int, after: str | None) -> RulesStep:
    """One step of a rules job: a page of one shard's links, its moves planned and applied, counted
    on the job once however often the step runs. A job no longer running takes no further step."""
    job = jobs.get(job_id)
    if job.status is not JobStatus.RUNNING or job.rules_before is None or job.rules_after is None:
        return RulesStep(job_id, shard, None)
    page, last = links.shard_page(job.channel, shard, after, PAGE_SIZE)
    found = listings.get_many(link.sku for link in page if link.status is LinkStatus.LINKED)
    moved = _moved(job.channel, found, job.rules_before, job.rules_after)
    now = datetime.now(UTC)
    jobs.put_plan(job_id, _planned(moved), now)
    skus = list(dict.fromkeys(m.sku for m in moved))
    step = f"{shard}-{after or ''}"
    pushed = apply_moves(job.channel, skus, source=f"{job_id}-{step}") if skus and not job.dry_run else 0
    counts = {"checked": len(found), "moved": len(skus), "changes": len(moved), "auto_pushed": pushed}
    jobs.record_batch(job_id, f"rules-{step}", counts, now)
    return RulesStep(job_id, shard, last)


def _planned(moved: list[Moved]) -> list[PlannedChange]:
    """A rule moves a value, never clears it: each move has a value to go to."""
    return [PlannedChange(m.sku, m.field, m.from_value, m.to_value or "") for m in moved]


def _moved(channel: str, found: dict[str, Listing], before: Rules, after: Rules) -> list[Moved]:
    """The values of `found` the change from `before` to `after` moves, each with its override."""
    current = channel_rules.for_skus(channel, found)
    moved: list[Moved] = []
    for sku, listing in found.items():
        override = current.override(sku)
        moved += moves(of(before, override, listing), of(after, override, listing))
    return moved


def apply_moves(channel: str, skus: list[str], source: str | None = None) -> int:
    """Push the moved listings whose auto sync is on, and stamp them all changed for smart sync (the
    watermark follows the change index, and the stamp is after the rules were saved)."""
    master = listings.get_many(skus)
    auto = [sku for sku, listing in master.items() if listing.auto_sync]
    pushed = (
        autosync.queue_pushes(auto, PushOrigin.RULE_CHANGE, channel=channel, source=source) if auto else 0
    )
    listings.touch(skus, datetime.now(UTC))
    return pushed
