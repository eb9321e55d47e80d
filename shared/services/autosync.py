"""Pushes at once, outside the job queue: a listing whose balance changed with auto sync on,
`listings sync-now`, and master's quantity back over a channel edit.

They go to the auto-push queue, which its own function drains: they never wait behind a running
job's push batches. Message groups are (channel, SKU shard), as on the push queue, so one
listing's pushes never race. A push over a channel edit goes to the push-back queue instead,
delayed a few seconds (template.yaml PushBackQueue says why) and drained by the same function;
it may run beside an auto push of its listing, which is harmless: each sends master's value of
its moment with the channel's compare-and-set, and a conflict re-reads.

A stream batch reads the channels and the links of every listing whose balance it moved once
(`links_read_once`: a Query and a BatchGetItem a channel for the batch), not once a record: under
load, those reads were most of the stream's wait (issue 23).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from shared.domain.autosync import balance_pushes, stock_moved
from shared.domain.channel import ChannelType
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing
from shared.domain.messages import AutoPushMessage, PushOrigin
from shared.domain.syncing import chunked, shard_of
from shared.settings import settings
from shared.storage import bundles, channels, fifo, links, listings
from shared.storage.items import from_item

SKUS_PER_MESSAGE = 100


def push_now(skus: Sequence[str]) -> int:
    """`listings sync-now`: queue these listings to every channel they are linked on; the number of
    (channel, SKU) pushes queued."""
    return queue_pushes(skus, PushOrigin.SYNC_NOW)


def queue_pushes(
    skus: Iterable[str],
    origin: PushOrigin,
    *,
    channel: str | None = None,
    source: str | None = None,
    links_of: dict[str, Link] | None = None,
) -> int:
    """Queue pushes of `skus` to every channel they are linked on (or to `channel` only). With a
    `source` (the change that caused them), a redelivered change queues the same messages, which
    the FIFO queue deduplicates and the channel applies once (same idempotency keys). `links_of`:
    the links of `skus` on `channel`, as the caller just read or wrote them (not read again).

    The channel a sale or cancel was made on is queued too, though it moved its own stock: a push
    of master's balance from before the order can land after the channel's own move and overwrite
    it (WooCommerce, eBay and Amazon have no compare-and-set; Shopify's re-reads on conflict and
    sends master's value of then), and the link cannot tell that from the move itself."""
    wanted = list(dict.fromkeys(skus))
    if channel is not None and links_of is not None:
        read = {channel: {sku: links_of[sku] for sku in wanted if sku in links_of}}
    else:
        read = _linked(wanted, channel)
    messages = _push_messages(read, origin, source)
    coalesced: list[tuple[int, AutoPushMessage]] = []  # only auto sync's eBay pushes are coalesced
    if origin is PushOrigin.AUTO_SYNC:
        messages, coalesced = _coalesced(messages)
        _send_coalesced(coalesced)
    pushing_back = origin is PushOrigin.CHANNEL_EDIT
    queue_url = settings().push_back_queue_url if pushing_back else settings().auto_push_queue_url
    # either queue's refusal names the auto-push queue: the auto-push function drains both
    fifo.send_all(
        queue_url,
        (
            fifo.Outgoing(message.model_dump_json(), f"{message.channel}#{shard}", message.id)
            for shard, message in messages
        ),
        "auto-push",
    )
    return sum(len(message.skus) for _, message in messages) + sum(len(m.skus) for _, m in coalesced)


def _push_messages(
    read: dict[str, dict[str, Link]], origin: PushOrigin, source: str | None
) -> list[tuple[int, AutoPushMessage]]:
    """Each channel's linked SKUs, up to SKUS_PER_MESSAGE a message, with the SKU shard that is
    the message's group."""
    shards = settings().push_shards
    messages = []
    for name, found in read.items():
        linked = [s for s, link in found.items() if link.status is LinkStatus.LINKED]
        by_shard: dict[int, list[str]] = {}
        for sku in sorted(linked):
            by_shard.setdefault(shard_of(sku, shards), []).append(sku)
        for shard, group in sorted(by_shard.items()):
            for part in chunked(group, SKUS_PER_MESSAGE):
                message_id = _message_id(origin, source, name, part[0])
                messages.append(
                    (shard, AutoPushMessage(id=message_id, channel=name, origin=origin, skus=part))
                )
    return messages


def _message_id(origin: PushOrigin, source: str | None, channel: str, first_sku: str) -> str:
    """Derived from the source when there is one (a redelivered change queues the same id again),
    else fresh."""
    key = f"{source}:{channel}:{first_sku}" if source else uuid.uuid4().hex
    return uuid.uuid5(uuid.NAMESPACE_URL, f"tidemark:{origin}:{key}").hex


# eBay takes 250 revisions of a listing a calendar day: its auto-sync pushes are coalesced per
# listing over COALESCE_SECONDS. Each goes, one SKU a message, to the push-back queue (delayed
# PUSH_BACK_DELAY_SECONDS, template.yaml) with a deduplication id of its channel, SKU and window: the
# window's later changes are dropped as duplicates of its first message, which is delivered after the
# window has ended and pushes master's value of then, theirs included. The window is shorter than the
# delay (a second's margin for clocks), so no change is left out. A burst of sales is one revision.
COALESCE_SECONDS = 4
PUSH_BACK_DELAY_SECONDS = 5
# A channel's type never changes: read once a container (a name removed and added again as another
# type is at worst pushed 5 s later, never lost).
_types: dict[str, ChannelType] = {}


def _coalesced(
    messages: list[tuple[int, AutoPushMessage]],
) -> tuple[list[tuple[int, AutoPushMessage]], list[tuple[int, AutoPushMessage]]]:
    """(the messages sent at once, the eBay ones coalesced: one a SKU, its id its window's)."""
    if not messages:
        return messages, []
    if any(message.channel not in _types for _, message in messages):
        _types.update((c.name, c.type) for c in channels.list_all())
    window = int(time.time() // COALESCE_SECONDS)
    now: list[tuple[int, AutoPushMessage]] = []
    later: list[tuple[int, AutoPushMessage]] = []
    for shard, message in messages:
        if _types.get(message.channel) is not ChannelType.EBAY:
            now.append((shard, message))
            continue
        for sku in message.skus:
            key = f"tidemark:coalesce:{message.channel}:{sku}:{window}"
            one = AutoPushMessage(
                id=uuid.uuid5(uuid.NAMESPACE_URL, key).hex,
                channel=message.channel,
                origin=message.origin,
                skus=[sku],
            )
            later.append((shard, one))
    return now, later


def _send_coalesced(messages: list[tuple[int, AutoPushMessage]]) -> None:
    if messages:
        fifo.send_all(
            settings().push_back_queue_url,
            (fifo.Outgoing(m.model_dump_json(), f"{m.channel}#{shard}", m.id) for shard, m in messages),
            "auto-push",
        )


_batch = threading.local()  # the links a stream batch read once, in the thread that handles it


@contextmanager
def links_read_once(changes: Iterable[tuple[dict[str, Any] | None, dict[str, Any] | None]]) -> Iterator[None]:
    """While a stream batch of (old, new) listing images is handled in this thread: the channels
    and the links of the listings whose balance it moved, read once for the batch, and used by
    `queue_pushes` of those listings instead of reading them again for each record."""
    moved = [str(new["sku"]) for old, new in changes if new and _moves(old, new)]
    try:
        _batch.links = _read_links(moved, None) if moved else {}
        _batch.skus = set(moved)
    except Exception:  # each record reads its own then, and a failure is recorded against it
        _batch.links, _batch.skus = {}, set()
    try:
        yield
    finally:
        _batch.links, _batch.skus = {}, set()


def _linked(skus: list[str], channel: str | None) -> dict[str, dict[str, Link]]:
    """The links of `skus` by channel (every channel, or `channel` only): as the stream batch read
    them when it covers them, read now otherwise."""
    if skus and set(skus) <= getattr(_batch, "skus", set()):
        read: dict[str, dict[str, Link]] = _batch.links
        return {
            name: {s: found[s] for s in skus if s in found}
            for name, found in read.items()
            if channel is None or name == channel
        }
    return _read_links(skus, channel)


def _read_links(skus: list[str], channel: str | None) -> dict[str, dict[str, Link]]:
    names = [channel] if channel else [c.name for c in channels.list_all()]
    return {name: links.get_many(name, skus) for name in names}


def _moves(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    before = from_item(Listing, old) if old else None
    after = from_item(Listing, new) if new else None
    return after is not None and balance_pushes(before, after)


def on_listing_change(old: dict[str, Any] | None, new: dict[str, Any] | None, change: str) -> int:
    """A listing written (the table's stream): when its balance moved with auto sync on, queue it to
    every channel it is linked on. `change` names the write (its stream sequence number). When what
    it can sell moved, the bundles that hold it move too: see `_bundles_moved`."""
    queued = _bundles_moved(old, new, change)
    if not new or not _moves(old, new):
        return queued
    sku = from_item(Listing, new).sku
    return queued + queue_pushes([sku], PushOrigin.AUTO_SYNC, source=change)


def _bundles_moved(old: dict[str, Any] | None, new: dict[str, Any] | None, change: str) -> int:
    """A component's stock moved: every bundle that holds it (directly or not) moves in the change
    index (a smart sync then pushes it: it is written after the change, so no watermark passes it),
    and those with auto sync on are queued to their channels. A bundle moved so changes no stock of
    its own, and moves nothing further."""
    if not new or not stock_moved(from_item(Listing, old) if old else None, from_item(Listing, new)):
        return 0
    holders = bundles.holding([str(new["sku"])])
    if not holders:
        return 0
    moved = listings.touch(holders, datetime.now(UTC))
    auto = [sku for sku, listing in moved.items() if listing.auto_sync]
    return queue_pushes(auto, PushOrigin.AUTO_SYNC, source=f"{change}:bundles") if auto else 0
