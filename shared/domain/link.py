"""A listing joined to one channel variant, and what was last pushed there and seen there."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import ConfigDict

from shared.domain.channel_values import VariantRef, VariantStatus
from shared.domain.model import Model


class LinkStatus(StrEnum):
    LINKED = "linked"
    UNLINKED = "unlinked"


class SyncState(StrEnum):
    IN_SYNC = "in_sync"
    OUT_OF_SYNC = "out_of_sync"
    ERROR = "error"


class Link(Model):
    model_config = ConfigDict(frozen=True)

    sku: str
    channel: str
    status: LinkStatus
    variant_id: str = ""
    product_id: str = ""
    inventory_item_id: str = ""
    location_id: str = ""
    channel_status: VariantStatus = VariantStatus.ACTIVE
    # the priority's channel field and value the link was made by: a change of it unlinks
    matched_field: str = "sku"
    matched_value: str = ""
    last_pushed_quantity: int | None = None
    last_pushed_at: datetime | None = None  # when a quantity push last landed
    last_observed_quantity: int | None = None
    last_observed_price: Decimal | None = None
    sync_state: SyncState = SyncState.OUT_OF_SYNC
    # what the last reconcile found the channel holding other than master; kept while out of sync
    out_of_sync_reason: str = ""
    unlinked_reason: str = ""
    updated_at: datetime

    def variant_ref(self, other_locations: tuple[str, ...] = ()) -> VariantRef:
        """Where the linked variant lives on the channel, to read it back (also at `other_locations`)."""
        return VariantRef(
            sku=self.sku,
            variant_id=self.variant_id,
            product_id=self.product_id,
            inventory_item_id=self.inventory_item_id,
            location_id=self.location_id,
            locations=other_locations,
        )


def channel_number(channel_id: str) -> str:
    """The number a channel's webhooks carry for one of its ids: the last segment of a Shopify gid
    ("gid://shopify/InventoryItem/43" -> "43") or of a WooCommerce "<product>/<variation>" item."""
    return channel_id.rsplit("/", 1)[-1]
