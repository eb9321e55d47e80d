"""A master listing: one inventory item, keyed by SKU. The master is the source of truth."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from shared.domain.channel_values import VariantStatus
from shared.domain.model import Model

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ListingStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class CreatedBy(StrEnum):
    MANUAL = "manual"
    FILE_IMPORT = "file_import"
    ORDER_IMPORT = "order_import"
    FEED = "feed"


class AdjustReason(StrEnum):
    """Why a listing's quantity changed (`tidemark listings adjust --reason`)."""

    SALES_ORDER = "sales_order"
    PURCHASE_ORDER = "purchase_order"
    WORK_ORDER = "work_order"
    MANUAL = "manual"
    FILE_UPLOAD = "file_upload"
    FEED = "feed"


class LocationStock(Model):
    """On hand and committed at one master location other than `default` (shared/domain/locations.py)."""

    model_config = ConfigDict(frozen=True)

    on_hand: int = 0  # below zero only when an order took more than every location held
    committed: int = Field(default=0, ge=0)


class Listing(Model):
    model_config = ConfigDict(frozen=True)

    sku: Sku
    upc: str = ""
    mpn: str = ""
    title: str = ""
    on_hand: int = 0  # below zero when orders oversold it; an absolute value set is never negative
    committed: int = Field(default=0, ge=0)
    safety_buffer: int = Field(default=0, ge=0)
    price: Decimal | None = Field(default=None, ge=0, decimal_places=2)
    status: ListingStatus = ListingStatus.ACTIVE
    auto_sync: bool = False
    created_by: CreatedBy = CreatedBy.FILE_IMPORT
    last_reason: AdjustReason | None = None  # why on hand or committed last changed by an adjustment
    updated_at: datetime
    # on hand and committed are the totals over every location; `stock` holds the locations other
    # than `default`, which holds the rest (an item written before locations has none: all default)
    stock: dict[str, LocationStock] = Field(default_factory=dict)

    @property
    def syncable_balance(self) -> int:
        """What is pushed as quantity: on hand less committed less the safety buffer, never below 0."""
        return max(0, self.on_hand - self.committed - self.safety_buffer)

    @property
    def channel_status(self) -> VariantStatus:
        """How the listing shows on a channel: an inactive listing is hidden there."""
        return VariantStatus.ACTIVE if self.status is ListingStatus.ACTIVE else VariantStatus.HIDDEN


class AutoSyncRules(Model):
    """The auto-sync flag a new listing starts with, by how it was created (a row's own auto_sync
    wins). Every rule starts off: auto sync is switched on by choice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    manual: bool = False
    file_import: bool = False
    order_import: bool = False
    feed: bool = False

    def default_for(self, created_by: CreatedBy) -> bool:
        return bool(getattr(self, created_by.value))
