"""Reconciling: is what the channel holds for a linked variant what master says it should?"""

from __future__ import annotations

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
) -> list[str]:
    """Each value the channel holds that differs from master (its allocation on the channel, where
    it has one), as 'field: channel X, master Y'. A channel that hides by quantity has no status to
    compare: a hidden listing is expected at quantity 0."""
    found = []
    quantity, price = target(listing, allocated, hides_by_quantity=hides_by_quantity)
    if variant.quantity != quantity:
        found.append(f"quantity: channel {variant.quantity}, master {quantity}")
    if price is not None and variant.price != price:
        found.append(f"price: channel {variant.price}, master {price}")
    if variant.status is not listing.channel_status and not hides_by_quantity:
        found.append(f"status: channel {variant.status.value}, master {listing.channel_status.value}")
    return found


def reconciled(
    link: Link,
    listing: Listing,
    variant: ChannelVariant,
    at: datetime,
    allocated: Allocation | None = None,
    *,
    hides_by_quantity: bool = False,
) -> Link:
    """The link with what the channel holds now, out of sync when any value differs from master."""
    found = differences(listing, variant, allocated, hides_by_quantity=hides_by_quantity)
    state = SyncState.OUT_OF_SYNC if found else SyncState.IN_SYNC
    observed = refresh(link, variant, at)
    if observed.sync_state is state:
        return observed
    return observed.model_copy(update={"sync_state": state, "updated_at": at})
