"""Sync rules: which SKUs a push batch holds, what is pushed, and what a result changes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from shared.domain.allocation import Allocation
from shared.domain.channel_values import (
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantStatus,
)
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
class SyncPlan:
    """What one batch pushes, built from master as it is at send time.

    Quantity is pushed for every linked listing: an absolute value, harmless twice, and the one
    thing a sale changes. Price and status are pushed only where master differs from what the
    channel was last seen to hold (a reconcile refreshes that), since they cost a call per product.
    """

    quantities: list[QuantityPush] = field(default_factory=list)
    prices: list[PricePush] = field(default_factory=list)
    statuses: list[StatusPush] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)


def plan_pushes(
    channel: str,
    skus: Sequence[str],
    listings: Mapping[str, Listing],
    links: Mapping[str, Link],
    allocations: Mapping[str, Allocation] | None = None,
    quantities: Mapping[str, int | None] | None = None,
    *,
    hides_by_quantity: bool = False,
) -> SyncPlan:
    """What to push now; unlinked listings are skipped with the reason. A listing's quantity and
    price are its allocation on the channel where one is given (shared.domain.allocation), master's
    balance and price otherwise. `quantities`: None for a listing whose channel location the
    channel's location map feeds nothing (left alone, shared/services/locations.py); what a location
    or a bundle gets otherwise is the balance its allocation started from. On a channel that
    `hides_by_quantity` (no listing status: Amazon), a hidden listing is sent quantity 0 and no status."""
    plan = SyncPlan()
    quantities = quantities or {}
    allocations = allocations or {}
    for sku in skus:
        listing = listings.get(sku)
        link = links.get(sku)
        if sku in quantities and quantities[sku] is None and link is not None:
            plan.skipped[sku] = _unmapped(sku, channel, link)
        elif listing is None:
            plan.skipped[sku] = f"SKU '{sku}' is no longer in master: nothing to push"
        elif link is None or link.status is not LinkStatus.LINKED:
            plan.skipped[sku] = _not_linked(sku, channel, link)
        else:
            _plan_linked(plan, sku, listing, link, allocations.get(sku), hides_by_quantity=hides_by_quantity)
    return plan


def _unmapped(sku: str, channel: str, link: Link) -> str:
    return (
        f"SKU '{sku}': channel '{channel}' location {link.location_id or 'default'} is mapped to "
        f"no master location: left alone (tidemark channels locations {channel} --map ...)"
    )


def _not_linked(sku: str, channel: str, link: Link | None) -> str:
    reason = f" ({link.unlinked_reason})" if link and link.unlinked_reason else ""
    return f"SKU '{sku}' is not linked to channel '{channel}'{reason}: run a re-link"


def _plan_linked(
    plan: SyncPlan,
    sku: str,
    listing: Listing,
    link: Link,
    allocated: Allocation | None,
    *,
    hides_by_quantity: bool,
) -> None:
    """A linked listing's pushes: its quantity, and its price and status where the channel's differ."""
    quantity, price = target(listing, allocated, hides_by_quantity=hides_by_quantity)
    plan.quantities.append(
        QuantityPush(
            sku=sku,
            inventory_item_id=link.inventory_item_id,
            location_id=link.location_id,
            quantity=quantity,
            expected=link.last_observed_quantity,
        )
    )
    if price is not None and price != link.last_observed_price:
        plan.prices.append(
            PricePush(sku=sku, variant_id=link.variant_id, product_id=link.product_id, price=price)
        )
    if listing.channel_status is not link.channel_status and not hides_by_quantity:
        plan.statuses.append(
            StatusPush(
                sku=sku, variant_id=link.variant_id, product_id=link.product_id, status=listing.channel_status
            )
        )


def target(
    listing: Listing, allocated: Allocation | None, *, hides_by_quantity: bool = False
) -> tuple[int, Decimal | None]:
    """The quantity and price a channel is sent: its allocation when there is one, else master's;
    0 for a hidden listing on a channel that hides by quantity."""
    quantity, price = (
        (listing.syncable_balance, listing.price)
        if allocated is None
        else (allocated.quantity, allocated.price)
    )
    if hides_by_quantity and listing.channel_status is VariantStatus.HIDDEN:
        return 0, price
    return quantity, price


def blocked_hides(
    statuses: Sequence[StatusPush], product_skus: Mapping[str, list[str]], listings: Mapping[str, Listing]
) -> dict[str, PushResult]:
    """Hides that would hide a whole product (where the channel shows or hides whole products)
    while master keeps another variant of it active: failed, with the fix, and not sent."""
    blocked = {}
    for push in statuses:
        if push.status is not VariantStatus.HIDDEN or push.product_id not in product_skus:
            continue
        active = [
            sku
            for sku in product_skus[push.product_id]
            if sku != push.sku and sku in listings and listings[sku].channel_status is VariantStatus.ACTIVE
        ]
        if active:
            blocked[push.sku] = PushResult(
                sku=push.sku,
                outcome=PushOutcome.FAILED,
                message=(
                    f"{push.sku}: not hidden, because the channel shows or hides whole products and "
                    f"{', '.join(active[:3])} on product {push.product_id} is active in master: set them "
                    f"inactive too to hide the product, or move {push.sku} to a product of its own there"
                ),
            )
    return blocked


@dataclass(frozen=True)
class PlannedChange:
    """One value a dry run would change on the channel."""

    sku: str
    field: str
    from_value: str | None
    to_value: str


def planned_changes(plan: SyncPlan, links: Mapping[str, Link]) -> list[PlannedChange]:
    """The plan's pushes that would change what the channel was last seen to hold."""
    changes = [
        PlannedChange(p.sku, "quantity", _text(links[p.sku].last_observed_quantity), str(p.quantity))
        for p in plan.quantities
        if p.location_id == links[p.sku].location_id and p.quantity != links[p.sku].last_observed_quantity
    ]
    changes += [  # another location of the channel (Shopify under a location map): nothing seen there
        PlannedChange(p.sku, f"quantity at {p.location_id}", None, str(p.quantity))
        for p in plan.quantities
        if p.location_id != links[p.sku].location_id
    ]
    changes += [
        PlannedChange(p.sku, "price", _text(links[p.sku].last_observed_price), str(p.price))
        for p in plan.prices
    ]
    changes += [
        PlannedChange(p.sku, "status", links[p.sku].channel_status.value, p.status.value)
        for p in plan.statuses
    ]
    return changes


def _text(value: object) -> str | None:
    return None if value is None else str(value)


Push = QuantityPush | PricePush | StatusPush

# How bad an outcome is for the link's sync state: the worst of a batch's results decides it.
_STATE = {
    PushOutcome.PUSHED: SyncState.IN_SYNC,
    PushOutcome.CONFLICT: SyncState.OUT_OF_SYNC,
    PushOutcome.FAILED: SyncState.ERROR,
}
_SEVERITY = {SyncState.IN_SYNC: 0, SyncState.OUT_OF_SYNC: 1, SyncState.ERROR: 2}


def record_results(
    links: Mapping[str, Link],
    results: Sequence[tuple[Push, PushResult]],
    job_id: str,
    at: datetime,
    shaped_by: Mapping[str, str] | None = None,
) -> tuple[list[Link], list[HistoryEntry]]:
    """The links after a batch's results (quantities, then prices, then statuses) and one history
    entry per push, naming the allocation rules that shaped its listing's values (`shaped_by`). A link
    is in sync only when everything pushed to it landed."""
    updated: dict[str, Link] = {}
    states: dict[str, SyncState] = {}
    entries = []
    for push, result in results:
        link = updated.get(push.sku, links[push.sku])
        field_name, before, after, changes = _applied(link, push, result)
        pushed_at = {"last_pushed_at": at} if "last_pushed_quantity" in changes else {}
        updated[push.sku] = link.model_copy(update={**changes, **pushed_at, "updated_at": at})
        state = _STATE[result.outcome]
        if _SEVERITY[state] >= _SEVERITY[states.get(push.sku, SyncState.IN_SYNC)]:
            states[push.sku] = state
        entries.append(
            HistoryEntry(
                sku=link.sku,
                channel=link.channel,
                at=at,
                job_id=job_id,
                field=field_name,
                from_value=before,
                to_value=after,
                outcome=result.outcome,
                message=result.message,
                rule=(shaped_by or {}).get(push.sku, "") if field_name != "status" else "",
            )
        )
    return [  # what a reconcile found (out_of_sync_reason) is pushed over now
        link.model_copy(update={"sync_state": states[sku], "out_of_sync_reason": ""})
        for sku, link in updated.items()
    ], entries


def _applied(link: Link, push: Push, result: PushResult) -> tuple[str, str | None, str, dict[str, object]]:
    """(field, from, to, the link's changes) for one push's result."""
    pushed = result.outcome is PushOutcome.PUSHED
    if isinstance(push, QuantityPush) and push.location_id != link.location_id:
        # another location of the channel: recorded in history, the link holds its own location's
        return f"quantity at {push.location_id}", None, str(push.quantity), {}
    if isinstance(push, QuantityPush):
        if pushed:
            observed = push.quantity if result.observed is None else result.observed
            changes: dict[str, object] = {
                "last_pushed_quantity": push.quantity,
                "last_observed_quantity": observed,
            }
        elif result.outcome is PushOutcome.CONFLICT:
            changes = {"last_observed_quantity": result.observed}
        else:
            changes = {}
        return "quantity", _text(link.last_observed_quantity), str(push.quantity), changes
    if isinstance(push, PricePush):
        return (
            "price",
            _text(link.last_observed_price),
            str(push.price),
            {"last_observed_price": push.price} if pushed else {},
        )
    return (
        "status",
        link.channel_status.value,
        push.status.value,
        {"channel_status": push.status} if pushed else {},
    )
