"""Planning one SKU shard of a sync: its push batches go to the FIFO queue, one group per shard."""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain.channel import PUSH_BATCH_SIZE
from shared.domain.job import JobStatus, SyncMode
from shared.domain.messages import PushMessage
from shared.domain.syncing import chunked
from shared.settings import settings
from shared.storage import channels, jobs, links
from shared.storage.aws import client


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
    if job.mode is not SyncMode.FULL:
        raise ValueError(f"mode: {job.mode} syncs are not planned by this release: run a full sync")
    skus = (sku for page in links.shard_skus(channel.name, shard) for sku in page)
    messages = (
        PushMessage(job_id=job_id, channel=channel.name, batch_id=f"{shard}-{n}", skus=batch)
        for n, batch in enumerate(chunked(skus, PUSH_BATCH_SIZE[channel.type]))
    )
    listings = batches = 0
    for entries in chunked(messages, 10):
        answer = client("sqs").send_message_batch(
            QueueUrl=settings().push_queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": message.model_dump_json(),
                    "MessageGroupId": f"{channel.name}#{shard}",
                    "MessageDeduplicationId": f"{job_id}-{message.batch_id}",
                }
                for i, message in enumerate(entries)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(
                f"the push queue refused {len(answer['Failed'])} messages: {answer['Failed'][0]}"
            )
        batches += len(entries)
        listings += sum(len(message.skus) for message in entries)
    jobs.record_shard_plan(job_id, shard, batches=batches, listings=listings)
    return ShardPlan(job_id, shard, listings, batches)
