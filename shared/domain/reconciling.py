"""Reconciling: is what the channel holds for a linked variant what master says it should?"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from shared.domain.allocation import Allocation
from shared.domain.channel_values import ChannelVariant
from shared.domain.link import Link, SyncState
from shared.domain.linking import refresh
from shared.domain.listing import Listing
from shared.domain.syncing import target


def differences(
    listing: Listing,
    variant: ChannelVariant,
    allocated: Allocation | None = None,
    *,
    hides_by_quantity: bool = False,
    by_location: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """Each value the channel holds that differs from master (its allocation on the channel, where
    it has one), as 'field: channel X, master Y'. A channel that hides by quantity has no status to
    compare: a hidden listing is expected at quantity 0.

    `by_location` (a channel pushed per location under a map): what master computes for each mapped
    channel location some master location feeds; the quantity is compared there, each as
    'quantity at NAME (ID): channel X, master Y', and not at the variant's own location alone."""
    found = []
    quantity, price = target(listing, allocated, hides_by_quantity=hides_by_quantity)
    if by_location is not None:
        held = dict(variant.quantities)
        if variant.location_id:  # stocked at its own location: its quantity is read there
            held.setdefault(variant.location_id, variant.quantity)
        found += location_differences(held, by_location, names or {})
    elif variant.quantity != quantity:
        found.append(f"quantity: channel {variant.quantity}, master {quantity}")
    if price is not None and variant.price != price:
        found.append(f"price: channel {variant.price}, master {price}")
    if variant.status is not listing.channel_status and not hides_by_quantity:
        found.append(f"status: channel {variant.status.value}, master {listing.channel_status.value}")
    return found


def location_differences(
    held: Mapping[str, int], expected: Mapping[str, int], names: Mapping[str, str]
) -> list[str]:
    """Each channel location whose quantity the channel holds other than master computes for it, in
    the order of `expected`. A location the item is not stocked at holds nothing to compare (a push
    there says so, with its fix)."""
    return [
        f"quantity at {location_label(location_id, names)}: channel {held[location_id]}, master {quantity}"
        for location_id, quantity in expected.items()
        if location_id in held and held[location_id] != quantity
    ]


def location_label(location_id: str, names: Mapping[str, str]) -> str:
    name = names.get(location_id)
    return f"{name} ({location_id})" if name else location_id


def reconciled(
    link: Link,
    listing: Listing,
    variant: ChannelVariant,
    at: datetime,
    allocated: Allocation | None = None,
    *,
    hides_by_quantity: bool = False,
    by_location: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> Link:
    """The link with what the channel holds now, out of sync when any value differs from master;
    what differs is its `out_of_sync_reason`."""
    found = differences(
        listing, variant, allocated, hides_by_quantity=hides_by_quantity, by_location=by_location, names=names
    )
    state = SyncState.OUT_OF_SYNC if found else SyncState.IN_SYNC
    reason = "; ".join(found)
    observed = refresh(link, variant, at)
    if observed.sync_state is state and observed.out_of_sync_reason == reason:
        return observed
    return observed.model_copy(update={"sync_state": state, "out_of_sync_reason": reason, "updated_at": at})
