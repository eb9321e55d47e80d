"""Linking rules: the first priority whose listing value equals exactly one channel value links.

Empty values never match. A value two or more channel variants share links nothing and is
reported with the variants and the fix.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.channels.base import ChannelVariant
from shared.domain.channel import LinkPriority
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing

# Each channel's name for the variant attribute a priority can name.
CHANNEL_FIELDS = {"sku": "sku", "barcode": "barcode", "global_unique_id": "barcode"}


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
            f"variants {ids}; make it unique there"
        )


@dataclass
class Matches:
    linked: dict[str, ChannelVariant] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)
    not_matched: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)


def match_listings(
    channel: str,
    listings: Iterable[Listing],
    variants: Sequence[ChannelVariant],
    priorities: Sequence[LinkPriority],
) -> Matches:
    index: dict[str, dict[str, list[ChannelVariant]]] = defaultdict(lambda: defaultdict(list))
    for priority in priorities:
        attribute = CHANNEL_FIELDS[priority.channel_field]
        values = index[priority.channel_field]
        if values:
            continue
        for variant in variants:
            value = getattr(variant, attribute).strip()
            if value:
                values[value].append(variant)

    matches = Matches()
    reported: set[tuple[str, str]] = set()
    for listing in listings:
        found = False
        any_value = False
        for priority in priorities:
            value = str(getattr(listing, priority.listing_field)).strip()
            if not value:
                continue
            any_value = True
            candidates = index[priority.channel_field].get(value, [])
            if len(candidates) == 1:
                matches.linked[listing.sku] = candidates[0]
                found = True
                break
            if len(candidates) > 1 and (priority.channel_field, value) not in reported:
                reported.add((priority.channel_field, value))
                ids = tuple(v.variant_id for v in candidates)
                matches.duplicates.append(Duplicate(channel, priority.channel_field, value, ids))
        if found:
            continue
        if not any_value:
            matches.empty.append(listing.sku)
        elif not any(
            len(index[p.channel_field].get(str(getattr(listing, p.listing_field)).strip(), [])) > 1
            for p in priorities
        ):
            matches.not_matched.append(listing.sku)
    return matches


def new_link(channel: str, sku: str, variant: ChannelVariant, at: datetime) -> Link:
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
        last_observed_quantity=variant.quantity,
        sync_state=SyncState.OUT_OF_SYNC,
        updated_at=at,
    )
