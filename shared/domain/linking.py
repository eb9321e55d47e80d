"""Linking rules, for one listing at a time against the whole catalog of a channel.

For each unlinked listing the priorities are tried in order: the first pair whose listing value
equals exactly one channel value links. Empty values never match. A value two or more channel
variants share links nothing through that pair and is reported with the variants and the fix.
A linked listing whose variant is gone from the channel, or whose matched value changed there,
is unlinked with the reason, then tried again like any unlinked listing.

The decision for a listing depends only on the catalog's values, never on how the catalog was
paged or in what order its pages came: that is what lets the link job read pages one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.domain.channel import LinkPriority
from shared.domain.channel_values import ChannelVariant
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing

# The ChannelVariant attribute each channel field a priority can name is read from.
VARIANT_ATTRIBUTE = {
    "sku": "sku",
    "barcode": "barcode",
    "global_unique_id": "barcode",
    "external_product_id": "barcode",  # Amazon: the UPC or EAN
    "asin": "product_id",  # Amazon: a listing's product is its ASIN
    "upc": "barcode",  # eBay: the first UPC, else the first EAN
    "ean": "barcode",
}
# Longer values are not identifiers: they never match (and stay inside DynamoDB's key limits).
MAX_VALUE_LENGTH = 255


class LinkOutcome(StrEnum):
    """What a link job did with one listing; each is a count on the job."""

    LINKED = "linked"
    ALREADY_LINKED = "already_linked"
    NO_MATCH = "no_match"
    DUPLICATE = "duplicate"
    EMPTY_VALUE = "empty_value"
    VARIANT_GONE = "variant_gone"
    VALUE_CHANGED = "value_changed"


def channel_value(variant: ChannelVariant, channel_field: str) -> str:
    value = getattr(variant, VARIANT_ATTRIBUTE[channel_field]).strip()
    return value if len(value) <= MAX_VALUE_LENGTH else ""


def listing_value(listing: Listing, priority: LinkPriority) -> str:
    value = str(getattr(listing, priority.listing_field)).strip()
    return value if len(value) <= MAX_VALUE_LENGTH else ""


def channel_fields(priorities: Sequence[LinkPriority]) -> tuple[str, ...]:
    """The channel fields the catalog must be indexed by, once each."""
    return tuple(dict.fromkeys(p.channel_field for p in priorities))


@dataclass(frozen=True)
class Duplicate:
    channel: str
    channel_field: str
    value: str
    variant_ids: tuple[str, ...]

    @property
    def fix(self) -> str:
        ids = ", ".join(self.variant_ids)
        return (
            f"duplicate {self.channel_field} '{self.value}' on channel '{self.channel}': "
            f"variants {ids} share it, so none was linked; make it unique there, then re-link"
        )


@dataclass(frozen=True)
class Decision:
    outcome: LinkOutcome
    link: Link | None = None  # the link to write, when it changed
    duplicates: tuple[Duplicate, ...] = ()
    reason: str = ""


class Catalog:
    """What a read of the channel's whole catalog found, as far as one listing needs it."""

    def __init__(
        self,
        holders: Mapping[tuple[str, str], Sequence[str]],
        variants_by_id: Mapping[str, ChannelVariant],
    ) -> None:
        self._holders = holders  # (channel field, value) -> the id of every variant that carries it
        self._variants = variants_by_id  # at least the sole holders and the currently linked variants

    def holders(self, channel_field: str, value: str) -> Sequence[str]:
        return self._holders.get((channel_field, value), ())

    def variant(self, variant_id: str) -> ChannelVariant | None:
        return self._variants.get(variant_id)


def decide(
    channel: str,
    listing: Listing,
    current: Link | None,
    catalog: Catalog,
    priorities: Sequence[LinkPriority],
    at: datetime,
) -> Decision:
    """What the link job does with one listing, given the whole catalog it read."""
    if current is None or current.status is not LinkStatus.LINKED:
        return match(channel, listing, catalog, priorities, at)
    variant = catalog.variant(current.variant_id)
    if variant is not None and channel_value(variant, current.matched_field) == current.matched_value:
        refreshed = refresh(current, variant, at)
        return Decision(LinkOutcome.ALREADY_LINKED, refreshed if refreshed != current else None)
    matched = match(channel, listing, catalog, priorities, at)
    if matched.outcome is LinkOutcome.LINKED:
        return matched
    if variant is None:
        outcome, reason = LinkOutcome.VARIANT_GONE, f"variant {current.variant_id} is gone from '{channel}'"
    else:
        outcome, reason = (
            LinkOutcome.VALUE_CHANGED,
            f"the {current.matched_field} of variant {current.variant_id} changed on '{channel}' "
            f"from '{current.matched_value}' to '{channel_value(variant, current.matched_field)}'",
        )
    unlinked = current.model_copy(
        update={"status": LinkStatus.UNLINKED, "unlinked_reason": reason, "updated_at": at}
    )
    return Decision(outcome, unlinked, matched.duplicates, reason)


def match(
    channel: str, listing: Listing, catalog: Catalog, priorities: Sequence[LinkPriority], at: datetime
) -> Decision:
    """Try the priorities in order for a listing that is not linked."""
    duplicates: list[Duplicate] = []
    any_value = False
    for priority in priorities:
        value = listing_value(listing, priority)
        if not value:
            continue
        any_value = True
        holders = catalog.holders(priority.channel_field, value)
        variant = catalog.variant(holders[0]) if len(holders) == 1 else None
        if variant is not None:
            link = new_link(channel, listing.sku, variant, priority.channel_field, value, at)
            return Decision(LinkOutcome.LINKED, link, tuple(duplicates))
        if len(holders) > 1:
            duplicates.append(Duplicate(channel, priority.channel_field, value, tuple(sorted(holders))))
    if duplicates:
        return Decision(LinkOutcome.DUPLICATE, duplicates=tuple(duplicates), reason=duplicates[0].fix)
    if not any_value:
        return Decision(LinkOutcome.EMPTY_VALUE, reason="the listing has no value for any linking priority")
    return Decision(LinkOutcome.NO_MATCH, reason=f"no variant on channel '{channel}' matches")


def new_link(
    channel: str, sku: str, variant: ChannelVariant, matched_field: str, matched_value: str, at: datetime
) -> Link:
    """A fresh link: what the channel holds is observed, and nothing has been pushed yet."""
    return Link(
        sku=sku,
        channel=channel,
        status=LinkStatus.LINKED,
        variant_id=variant.variant_id,
        product_id=variant.product_id,
        inventory_item_id=variant.inventory_item_id,
        location_id=variant.location_id,
        channel_status=variant.status,
        matched_field=matched_field,
        matched_value=matched_value,
        last_observed_quantity=variant.quantity,
        last_observed_price=variant.price,
        sync_state=SyncState.OUT_OF_SYNC,
        updated_at=at,
    )


def refresh(link: Link, variant: ChannelVariant, at: datetime) -> Link:
    """The link with what the channel holds now for its variant (ids, status, observed values)."""
    observed = {
        "product_id": variant.product_id,
        "inventory_item_id": variant.inventory_item_id,
        "location_id": variant.location_id,
        "channel_status": variant.status,
        "last_observed_quantity": variant.quantity,
        "last_observed_price": variant.price,
    }
    if all(getattr(link, name) == value for name, value in observed.items()):
        return link
    return link.model_copy(update={**observed, "updated_at": at})
