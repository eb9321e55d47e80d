"""Planning one SKU shard of a sync: its push batches go to the FIFO queue, one group per shard.

Each mode reads only what it needs: full the channel's links, partial the sparse index of its
out-of-sync links, smart the change index from the watermark on, selected the job's own SKUs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.domain.channel import PUSH_BATCH_SIZE
from shared.domain.job import Job, JobStatus, SyncMode
from shared.domain.messages import PushMessage
from shared.domain.syncing import chunked
from shared.settings import settings
from shared.storage import channels, fifo, jobs, links, listings


@dataclass(frozen=True)
class ShardPlan:
    job_id: str
    shard: int
    listings: int
    batches: int


def plan_shard(job_id: str, shard: int) -> ShardPlan:
    """Send one message per push batch of the shard's SKUs. Deduplication ids make a re-plan harmless."""
    job = jobs.get(job_id)
    channel = channels.get(job.channel)
    if channel is None or job.status is not JobStatus.RUNNING:
        return ShardPlan(job_id, shard, 0, 0)
    skus = (sku for page in _planned_pages(job, shard) for sku in page)
    messages = (
        PushMessage(
            job_id=job_id, channel=channel.name, batch_id=f"{job.batch_prefix}{shard}-{n}", skus=batch
        )
        for n, batch in enumerate(chunked(skus, PUSH_BATCH_SIZE[channel.type]))
    )
    listings = 0

    def outgoing() -> Iterator[fifo.Outgoing]:
        nonlocal listings
        for message in messages:
            listings += len(message.skus)
            yield fifo.Outgoing(
                message.model_dump_json(), f"{channel.name}#{shard}", f"{job_id}-{message.batch_id}"
            )

    batches = fifo.send_all(settings().push_queue_url, outgoing(), "push")
    jobs.record_shard_plan(job_id, shard, batches=batches, listings=listings)
    return ShardPlan(job_id, shard, listings, batches)


def _planned_pages(job: Job, shard: int) -> Iterator[list[str]]:
    match job.effective_mode:
        case SyncMode.FULL:
            return links.shard_skus(job.channel, shard)
        case SyncMode.PARTIAL:
            return links.out_of_sync_skus(job.channel, shard)
        case SyncMode.SMART:
            return listings.changed_skus(shard, job.changes_since or datetime.min.replace(tzinfo=UTC))
        case SyncMode.SELECTED:
            return jobs.selected_skus(job.id, shard)
    raise ValueError(f"job {job.id} is not a sync job")
