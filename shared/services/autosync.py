"""Pushes at once, outside the job queue: a listing whose balance changed with auto sync on,
`listings sync-now`, and master's quantity back over a channel edit.

They go to the auto-push queue, which its own function drains: they never wait behind a running
job's push batches. Message groups are (channel, SKU shard), as on the push queue, so one
listing's pushes never race. A push over a channel edit goes to the push-back queue instead,
delayed a few seconds (template.yaml PushBackQueue says why) and drained by the same function;
it may run beside an auto push of its listing, which is harmless: each sends master's value of
its moment with the channel's compare-and-set, and a conflict re-reads.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from shared.domain.autosync import balance_pushes
from shared.domain.link import LinkStatus
from shared.domain.listing import Listing
from shared.domain.messages import AutoPushMessage, PushOrigin
from shared.domain.syncing import chunked, shard_of
from shared.settings import settings
from shared.storage import channels, links
from shared.storage.aws import client
from shared.storage.items import from_item

SKUS_PER_MESSAGE = 100


def push_now(skus: Sequence[str]) -> int:
    """`listings sync-now`: queue these listings to every channel they are linked on; the number of
    (channel, SKU) pushes queued."""
    return queue_pushes(skus, PushOrigin.SYNC_NOW)


def queue_pushes(
    skus: Iterable[str], origin: PushOrigin, *, channel: str | None = None, source: str | None = None
) -> int:
    """Queue pushes of `skus` to every channel they are linked on (or to `channel` only). With a
    `source` (the change that caused them), a redelivered change queues the same messages, which
    the FIFO queue deduplicates and the channel applies once (same idempotency keys)."""
    wanted = list(dict.fromkeys(skus))
    names = [channel] if channel else [c.name for c in channels.list_all()]
    shards = settings().push_shards
    messages = []
    for name in names:
        linked = [s for s, link in links.get_many(name, wanted).items() if link.status is LinkStatus.LINKED]
        by_shard: dict[int, list[str]] = {}
        for sku in sorted(linked):
            by_shard.setdefault(shard_of(sku, shards), []).append(sku)
        for shard, group in sorted(by_shard.items()):
            for part in chunked(group, SKUS_PER_MESSAGE):
                key = f"{source}:{name}:{part[0]}" if source else uuid.uuid4().hex
                message_id = uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:{origin}:{key}").hex
                messages.append(
                    (shard, AutoPushMessage(id=message_id, channel=name, origin=origin, skus=part))
                )
    pushing_back = origin is PushOrigin.CHANNEL_EDIT
    queue_url = settings().push_back_queue_url if pushing_back else settings().auto_push_queue_url
    for entries in chunked(messages, 10):
        answer = client("sqs").send_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {
                    "Id": str(i),
                    "MessageBody": message.model_dump_json(),
                    "MessageGroupId": f"{message.channel}#{shard}",
                    "MessageDeduplicationId": message.id,
                }
                for i, (shard, message) in enumerate(entries)
            ],
        )
        if answer.get("Failed"):
            raise RuntimeError(
                f"the auto-push queue refused {len(answer['Failed'])} messages: {answer['Failed'][0]}"
            )
    return sum(len(message.skus) for _, message in messages)


def on_listing_change(old: dict[str, Any] | None, new: dict[str, Any] | None, change: str) -> int:
    """A listing written (the table's stream): when its balance moved with auto sync on, queue it to
    every channel it is linked on. `change` names the write (its stream sequence number)."""
    before = from_item(Listing, old) if old else None
    after = from_item(Listing, new) if new else None
    if after is None or not balance_pushes(before, after):
        return 0
    return queue_pushes([after.sku], PushOrigin.AUTO_SYNC, source=change)
