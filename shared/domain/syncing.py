"""Sync rules: which SKUs a push batch holds, what is pushed, and what a result changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from shared.channels.base import PushOutcome, PushResult, QuantityPush
from shared.domain.history import HistoryEntry
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing

T = TypeVar("T")


def shard_of(sku: str, shards: int) -> int:
    """A SKU's shard: stable across processes and releases (not Python's salted hash)."""
    digest = hashlib.blake2b(sku.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class QuantityPlan:
    pushes: list[QuantityPush] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def plan_quantity_pushes(
    channel: str, skus: Sequence[str], listings: Mapping[str, Listing], links: Mapping[str, Link]
) -> QuantityPlan:
    """What to push now, from master as it is at send time; unlinked listings are skipped with the reason."""
    plan = QuantityPlan()
    for sku in skus:
        listing = listings.get(sku)
        link = links.get(sku)
        if listing is None:
            plan.skipped[sku] = f"SKU '{sku}' is no longer in master: nothing to push"
        elif link is None or link.status is not LinkStatus.LINKED:
            reason = f" ({link.unlinked_reason})" if link and link.unlinked_reason else ""
            plan.skipped[sku] = f"SKU '{sku}' is not linked to channel '{channel}'{reason}: run a re-link"
        else:
            plan.pushes.append(
                QuantityPush(
                    sku=sku,
                    inventory_item_id=link.inventory_item_id,
                    location_id=link.location_id,
                    quantity=listing.syncable_balance,
                    expected=link.last_observed_quantity,
                )
            )
    return plan


def record_quantity_result(
    link: Link, push: QuantityPush, result: PushResult, job_id: str, at: datetime
) -> tuple[Link, HistoryEntry]:
    """The link and the history entry after one push's result."""
    if result.outcome is PushOutcome.PUSHED:
        changes: dict[str, object] = {
            "last_pushed_quantity": push.quantity,
            "last_observed_quantity": push.quantity if result.observed is None else result.observed,
            "sync_state": SyncState.IN_SYNC,
        }
    elif result.outcome is PushOutcome.CONFLICT:
        changes = {"last_observed_quantity": result.observed, "sync_state": SyncState.OUT_OF_SYNC}
    else:
        changes = {"sync_state": SyncState.ERROR}
    entry = HistoryEntry(
        sku=link.sku,
        channel=link.channel,
        at=at,
        job_id=job_id,
        field="quantity",
        from_value=None if link.last_observed_quantity is None else str(link.last_observed_quantity),
        to_value=str(push.quantity),
        outcome=result.outcome,
        message=result.message,
    )
    return link.model_copy(update={**changes, "updated_at": at}), entry
