"""The console's listing search: which listings a filter of the Listings screen holds, and the
cursor that pages through them in SKU order."""

from __future__ import annotations

import base64
import binascii
import json

from pydantic import ConfigDict, Field, model_validator

from shared.domain.fields import FieldError, FieldRule
from shared.domain.link_state import LinkState
from shared.domain.listing import CreatedBy, Listing, ListingStatus
from shared.domain.model import Model

MAX_LIMIT = 200


class ListingQuery(Model):
    """Every filter given must hold. `channel` with `link_state`: the listing's state there."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku_prefix: str = Field(default="", max_length=255, description="SKUs starting with it (case-sensitive)")
    title: str = Field(default="", max_length=255, description="titles that contain it, in any case")
    status: ListingStatus | None = None
    created_by: CreatedBy | None = None
    quantity_min: int | None = Field(default=None, ge=0, description="syncable balance at least")
    quantity_max: int | None = Field(default=None, ge=0, description="syncable balance at most")
    auto_sync: bool | None = None
    channel: str | None = Field(default=None, min_length=1, description="the channel `link_state` is on")
    link_state: LinkState | None = Field(default=None, description="the listing's state on `channel`")

    @model_validator(mode="after")
    def _consistent(self) -> ListingQuery:
        low, high = self.quantity_min, self.quantity_max
        if low is not None and high is not None and low > high:
            raise FieldRule(
                "quantity_max", f"{high} is below quantity_min {low}: give a maximum at or above the minimum"
            )
        if self.link_state is not None and self.channel is None:
            raise FieldRule("channel", "link_state needs the channel it is on: add channel=<name>")
        if self.channel is not None and self.link_state is None:
            raise FieldRule(
                "link_state",
                "channel filters by a link state: add link_state=linked, unlinked, "
                "duplicate, out_of_sync or error",
            )
        return self

    @property
    def filters_listing(self) -> bool:
        """Whether a filter reads the listing itself (not its SKU or link state alone)."""
        return bool(self.title) or any(
            v is not None
            for v in (self.status, self.created_by, self.quantity_min, self.quantity_max, self.auto_sync)
        )

    def matches(self, listing: Listing, state: LinkState | None = None) -> bool:
        """Whether the listing (with its state on `channel`, when that is filtered) is in the filter."""
        return (
            listing.sku.startswith(self.sku_prefix)
            and self.title.casefold() in listing.title.casefold()
            and self._fields_match(listing)
            and (self.link_state is None or state is self.link_state)
        )

    def _fields_match(self, listing: Listing) -> bool:
        """Whether the listing's status, origin, balance and auto-sync are as filtered."""
        balance = listing.syncable_balance
        return (
            (self.status is None or listing.status is self.status)
            and (self.created_by is None or listing.created_by is self.created_by)
            and (self.quantity_min is None or balance >= self.quantity_min)
            and (self.quantity_max is None or balance <= self.quantity_max)
            and (self.auto_sync is None or listing.auto_sync is self.auto_sync)
        )


class BadListingCursor(FieldError):
    def __init__(self) -> None:
        super().__init__("cursor", "not a cursor this API gave out: pass the previous page's `next_cursor`")


def encode_cursor(after: str | None) -> str | None:
    """An opaque cursor: the last SKU a page read (the next page starts after it)."""
    if after is None:
        return None
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    if not cursor:
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise BadListingCursor from None
    if not isinstance(found, dict) or not isinstance(found.get("after"), str) or not found["after"]:
        raise BadListingCursor
    return str(found["after"])
