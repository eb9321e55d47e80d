"""Master locations (warehouses), the stock a listing holds at each, and which of them feed each
location of a channel.

A listing's on hand and committed are its totals over every location. `Listing.stock` holds the
locations other than `default`; `default` holds the rest. A catalog with no locations (or an item
written before there were any) is all `default`, and behaves exactly as before.

A channel's quantity at one of its locations is the sum, over the master locations mapped to it,
of what each can sell (its on hand less committed, never below 0: one warehouse's oversold stock
takes nothing off another's), less the listing's safety buffer, never below 0. A channel with no
map pushes the listing's syncable balance, as before; a channel location mapped to nothing is left
alone.

An order taken from a channel location comes off its mapped master locations in the order given:
each gives what it can sell before the next is touched, and only the first goes below zero, and
only once every one of them is empty. A cancel puts back exactly what was taken, where it was.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from pydantic import ConfigDict, Field

from shared.domain.fields import FieldError
from shared.domain.listing import Listing, LocationStock
from shared.domain.model import Model

DEFAULT_LOCATION = "default"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
NAME_FIX = "use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit"

# A channel's location map: channel location (a Shopify location id, WooCommerce's `default`) ->
# the master locations that feed it, in the order an order takes from them.
LocationMap = Mapping[str, Sequence[str]]


class Location(Model):
    model_config = ConfigDict(frozen=True)

    name: str
    created_at: datetime


class ChannelLocationMap(Model):
    """A channel's map: channel location id -> the master locations feeding it, in the order an
    order takes from them; and the store's name of each channel location, for showing."""

    model_config = ConfigDict(frozen=True)

    channel: str
    locations: dict[str, list[str]]
    names: dict[str, str] = Field(default_factory=dict)
    updated_at: datetime


class BadLocationName(FieldError):
    def __init__(self, field: str, name: str) -> None:
        super().__init__(field, f"'{name}' is not a location name: {NAME_FIX}")


def check_name(name: str, field: str = "name") -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise BadLocationName(field, name)
    return name


def stock_by_location(listing: Listing) -> dict[str, LocationStock]:
    """Every location's stock, `default` first: it holds what the others do not."""
    others = {name: stock for name, stock in listing.stock.items() if name != DEFAULT_LOCATION}
    default = LocationStock(
        on_hand=listing.on_hand - sum(s.on_hand for s in others.values()),
        committed=max(0, listing.committed - sum(s.committed for s in others.values())),
    )
    return {DEFAULT_LOCATION: default, **others}


def sellable(stock: LocationStock) -> int:
    """What one location can sell: on hand less committed, never below 0."""
    return max(0, stock.on_hand - stock.committed)


def sellable_by_location(listing: Listing) -> dict[str, int]:
    return {name: sellable(stock) for name, stock in stock_by_location(listing).items()}


def fed_quantity(sellable_at: Mapping[str, int], fed_by: Sequence[str], safety_buffer: int) -> int:
    """A channel location's quantity from what its master locations can sell (absent ones: 0)."""
    return max(0, sum(sellable_at.get(name, 0) for name in dict.fromkeys(fed_by)) - safety_buffer)


def channel_quantity(listing: Listing, location_map: LocationMap, channel_location: str) -> int | None:
    """The quantity pushed to one channel location; None when the map feeds it nothing (left
    alone). With no map at all, the syncable balance, as before there were locations."""
    if not location_map:
        return listing.syncable_balance
    fed_by = location_map.get(channel_location)
    if not fed_by:
        return None
    return fed_quantity(sellable_by_location(listing), fed_by, listing.safety_buffer)


def takes_for_order(sellable_at: Mapping[str, int], fed_by: Sequence[str], quantity: int) -> dict[str, int]:
    """How much of an order of `quantity` each mapped location gives, in the order mapped: each
    what it can sell, and what none could give, the first (it goes below zero, as an oversold
    listing does). Locations that give nothing are left out."""
    order = list(dict.fromkeys(fed_by)) or [DEFAULT_LOCATION]
    takes: dict[str, int] = {}
    left = quantity
    for name in order:
        take = min(left, sellable_at.get(name, 0))
        if take > 0:
            takes[name] = take
            left -= take
    if left > 0:
        takes[order[0]] = takes.get(order[0], 0) + left
    return takes


def after_takes(listing: Listing, takes: Mapping[str, int], sign: int = -1) -> Listing:
    """The listing with `takes` taken off (sign -1: an order) or put back (+1: its cancel)."""
    stock = dict(listing.stock)
    for name, units in takes.items():
        if name != DEFAULT_LOCATION:
            held = stock.get(name, LocationStock())
            stock[name] = held.model_copy(update={"on_hand": held.on_hand + sign * units})
    total = sum(takes.values())
    return listing.model_copy(update={"on_hand": listing.on_hand + sign * total, "stock": stock})


def with_location_stock(
    listing: Listing, location: str, on_hand: int | None = None, committed: int | None = None
) -> Listing:
    """The listing with one location's on hand or committed set; the totals move by the difference."""
    current = stock_by_location(listing).get(location, LocationStock())
    new_on_hand = current.on_hand if on_hand is None else on_hand
    new_committed = current.committed if committed is None else committed
    update: dict[str, object] = {
        "on_hand": listing.on_hand + new_on_hand - current.on_hand,
        "committed": listing.committed + new_committed - current.committed,
    }
    if location != DEFAULT_LOCATION:
        update["stock"] = {
            **listing.stock,
            location: LocationStock(on_hand=new_on_hand, committed=new_committed),
        }
    return listing.model_copy(update=update)


def located_change(
    listing: Listing, location: str, on_hand: int | None, delta: int | None, committed: int | None
) -> Listing:
    """The listing after one change at one location: on hand set or moved by a delta, or committed set."""
    if delta is not None:
        held = stock_by_location(listing).get(location, LocationStock())
        return with_location_stock(listing, location, on_hand=held.on_hand + delta)
    return with_location_stock(listing, location, on_hand=on_hand, committed=committed)


def holds_stock(listings: Sequence[Listing], location: str) -> list[str]:
    """The SKUs that still hold stock (on hand or committed other than 0) at the location."""
    return [
        listing.sku
        for listing in listings
        if (held := listing.stock.get(location)) is not None and (held.on_hand or held.committed)
    ]
