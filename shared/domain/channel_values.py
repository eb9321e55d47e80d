"""The values that cross the channel protocol (shared/channels/base.py): a variant as a channel holds
it, a page of the catalog, the pushes the domain plans and the result of each, an order read back.

The domain plans and records with these; a client turns them into one channel's API calls.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import ConfigDict, Field

from shared.domain.model import Model


class VariantStatus(StrEnum):
    ACTIVE = "active"
    HIDDEN = "hidden"


class ChannelVariant(Model):
    """One sellable variant as the channel holds it."""

    model_config = ConfigDict(frozen=True)

    variant_id: str
    product_id: str
    sku: str = ""
    barcode: str = ""
    inventory_item_id: str
    location_id: str
    quantity: int
    price: Decimal | None = None
    status: VariantStatus = VariantStatus.ACTIVE
    # what is available at each location read (Shopify, asked for several): location id -> quantity;
    # a location the item is not stocked at is absent
    quantities: dict[str, int] = Field(default_factory=dict)


class CatalogPage(Model):
    model_config = ConfigDict(frozen=True)

    variants: list[ChannelVariant]
    next_cursor: str | None = None


class QuantityPush(Model):
    """Set one variant's quantity to an absolute value.

    `expected` is the quantity last observed on the channel: clients with compare-and-set
    send it so that a hand edit made since is noticed instead of silently overwritten.
    """

    model_config = ConfigDict(frozen=True)

    sku: str
    inventory_item_id: str
    location_id: str
    quantity: int = Field(ge=0)
    expected: int | None = None


class VariantRef(Model):
    """Where a linked listing lives on the channel: what reading its current values needs."""

    model_config = ConfigDict(frozen=True)

    sku: str
    variant_id: str
    product_id: str
    inventory_item_id: str
    location_id: str
    # more channel locations to read the quantity at (Shopify under a location map), beside its own
    locations: tuple[str, ...] = ()


class PricePush(Model):
    """Set one variant's price."""

    model_config = ConfigDict(frozen=True)

    sku: str
    variant_id: str
    product_id: str
    price: Decimal = Field(ge=0)


class StatusPush(Model):
    """Show or hide one variant. Where the channel keeps status per product (Shopify), the
    product's status follows: a product is active while any pushed variant of it is active."""

    model_config = ConfigDict(frozen=True)

    sku: str
    variant_id: str
    product_id: str
    status: VariantStatus


class PushOutcome(StrEnum):
    PUSHED = "pushed"
    CONFLICT = "conflict"
    FAILED = "failed"


class PushResult(Model):
    model_config = ConfigDict(frozen=True)

    sku: str
    outcome: PushOutcome
    observed: int | None = None
    message: str = ""


class ChannelOrder(Model):
    """An order as the channel holds it now, as far as confirming its cancel needs."""

    model_config = ConfigDict(frozen=True)

    order_id: str
    cancelled: bool
