"""Reconciling: is what the channel holds for a linked variant what master says it should?"""

from __future__ import annotations

from datetime import datetime

from shared.domain.channel_values import ChannelVariant
from shared.domain.link import Link, SyncState
from shared.domain.linking import refresh
from shared.domain.listing import Listing


def differences(listing: Listing, variant: ChannelVariant, quantity: int | None = None) -> list[str]:
    """Each value the channel holds that differs from master, as 'field: channel X, master Y'.
    `quantity`: what master pushes to the variant's location (a location map, a bundle), when it is
    not the syncable balance."""
    found = []
    expected = listing.syncable_balance if quantity is None else quantity
    if variant.quantity != expected:
        found.append(f"quantity: channel {variant.quantity}, master {expected}")
    if listing.price is not None and variant.price != listing.price:
        found.append(f"price: channel {variant.price}, master {listing.price}")
    if variant.status is not listing.channel_status:
        found.append(f"status: channel {variant.status.value}, master {listing.channel_status.value}")
    return found


def reconciled(
    link: Link, listing: Listing, variant: ChannelVariant, at: datetime, quantity: int | None = None
) -> Link:
    """The link with what the channel holds now, out of sync when any value differs from master."""
    state = SyncState.OUT_OF_SYNC if differences(listing, variant, quantity) else SyncState.IN_SYNC
    observed = refresh(link, variant, at)
    if observed.sync_state is state:
        return observed
    return observed.model_copy(update={"sync_state": state, "updated_at": at})
