"""The one small protocol every channel client speaks; the values that cross it live in the domain
(shared/domain/channel_values.py) and are re-exported here.

The domain plans and records; a client turns these values into one channel's API calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from shared.domain.channel_values import (
    CatalogPage,
    ChannelOrder,
    ChannelVariant,
    PricePush,
    PushOutcome,
    PushResult,
    QuantityPush,
    StatusPush,
    VariantRef,
    VariantStatus,
)

__all__ = [
    "CatalogPage",
    "ChannelAuthError",
    "ChannelClient",
    "ChannelError",
    "ChannelOrder",
    "ChannelVariant",
    "OrderReader",
    "OrderState",
    "PricePush",
    "PushOutcome",
    "PushResult",
    "QuantityPush",
    "StatusPush",
    "VariantRef",
    "VariantStatus",
]


class ChannelError(Exception):
    """A channel call that failed as a whole; `message` says what to do about it."""

    def __init__(self, message: str, *, retryable: bool, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.field = field  # the connection field at fault, when the client knows it


class ChannelAuthError(ChannelError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, retryable=False, field=field)


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


class OrderState(Protocol):
    """What an order read back from its channel says: whether it was cancelled."""

    @property
    def order_id(self) -> str: ...

    @property
    def cancelled(self) -> bool: ...


@runtime_checkable
class OrderReader(Protocol):
    """A client that reads one order back: Shopify's, WooCommerce's, Amazon's (getOrder) and eBay's
    (whose read_order returns its order's lines too)."""

    def read_order(self, order_id: str) -> OrderState | None:
        """The order as the channel holds it now; None for an order the channel does not know.
        Raises ChannelError as every call does."""
        ...
