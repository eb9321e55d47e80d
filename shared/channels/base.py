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
    quantity_batch_size: int

    def check_access(self) -> str:
        """Make one cheap authenticated call; return the store's name or raise ChannelAuthError."""
        ...

    def read_catalog_page(self, cursor: str | None) -> CatalogPage: ...

    def push_quantities(self, pushes: Sequence[QuantityPush], idempotency_key: str) -> list[PushResult]:
        """Push at most `quantity_batch_size` quantities; one result per push, in order."""
        ...

    def close(self) -> None: ...
