"""The one small protocol every channel client speaks, and the values that cross it.

The domain plans and records; a client turns these values into one channel's API calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class VariantStatus(StrEnum):
    ACTIVE = "active"
    HIDDEN = "hidden"


class ChannelVariant(BaseModel):
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


class CatalogPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    variants: list[ChannelVariant]
    next_cursor: str | None = None


class QuantityPush(BaseModel):
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


class VariantRef(BaseModel):
    """Where a linked listing lives on the channel: what reading its current values needs."""

    model_config = ConfigDict(frozen=True)

    sku: str
    variant_id: str
    product_id: str
    inventory_item_id: str
    location_id: str


class PricePush(BaseModel):
    """Set one variant's price."""

    model_config = ConfigDict(frozen=True)

    sku: str
    variant_id: str
    product_id: str
    price: Decimal = Field(ge=0)


class StatusPush(BaseModel):
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


class PushResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    outcome: PushOutcome
    observed: int | None = None
    message: str = ""


class ChannelError(Exception):
    """A channel call that failed as a whole; `message` says what to do about it."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class ChannelAuthError(ChannelError):
    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class ChannelClient(Protocol):
    """Every call raises ChannelError when the call as a whole failed (after the client's own
    retries), ChannelAuthError when the credentials were refused. Per-item problems come back as
    PushResults, never as exceptions."""

    quantity_batch_size: int
    price_batch_size: int
    status_batch_size: int

    def check_access(self) -> str:
        """Make one cheap authenticated call; return the store's name or raise ChannelAuthError."""
        ...

    def read_catalog_page(self, cursor: str | None) -> CatalogPage:
        """One page of the whole catalog; None starts, `next_cursor` continues. For a catalog too
        large to page through, the client reads it in bulk and pages through the bulk result."""
        ...

    def read_variants(self, refs: Sequence[VariantRef]) -> list[ChannelVariant | None]:
        """The current values of these variants, in order; None for one gone from the channel."""
        ...

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        """Push at most `quantity_batch_size` quantities; one result per push, in order."""
        ...

    def push_prices(self, pushes: Sequence[PricePush], idempotency_key: str) -> list[PushResult]:
        """Push at most `price_batch_size` prices; one result per push, in order."""
        ...

    def push_statuses(self, pushes: Sequence[StatusPush], idempotency_key: str) -> list[PushResult]:
        """Push at most `status_batch_size` statuses; one result per push, in order."""
        ...

    def product_skus(self, product_ids: Sequence[str]) -> dict[str, list[str]]:
        """Where the channel shows or hides whole products (Shopify), the SKUs of every variant of
        each product; {} where each variant has a status of its own (WooCommerce)."""
        ...

    def close(self) -> None: ...
