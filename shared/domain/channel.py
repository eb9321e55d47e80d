"""A connected store. Its credentials live in Secrets Manager, never on this model."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ChannelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class ChannelType(StrEnum):
    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


ListingField = Literal["sku", "upc", "mpn"]

# The variant fields a linking priority may name, per channel type.
CHANNEL_FIELDS_BY_TYPE: dict[ChannelType, tuple[str, ...]] = {
    ChannelType.SHOPIFY: ("sku", "barcode"),
    ChannelType.WOOCOMMERCE: ("sku", "global_unique_id"),
}

# How many quantities one channel call sets (Shopify's input array limit, WooCommerce's batch limit).
PUSH_BATCH_SIZE: dict[ChannelType, int] = {ChannelType.SHOPIFY: 250, ChannelType.WOOCOMMERCE: 100}


class LinkPriority(BaseModel):
    """Link when the listing's field equals exactly one channel variant's field."""

    model_config = ConfigDict(frozen=True)

    listing_field: ListingField
    channel_field: str


DEFAULT_PRIORITIES = (LinkPriority(listing_field="sku", channel_field="sku"),)


class Channel(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: ChannelName
    type: ChannelType
    store_url: str
    store_name: str = ""
    priorities: tuple[LinkPriority, ...] = Field(default=DEFAULT_PRIORITIES, min_length=1)
    link_after_build: bool = True
    created_at: datetime
    synced_full_at: datetime | None = None
