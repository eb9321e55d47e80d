"""Master locations, the channels' location maps, bundles, and the quantity each push sends.

`push_quantities` is the one place a push's quantity comes from: the listing's stock at the master
locations that feed the link's channel location (shared/domain/locations.py), or for a bundle its
components' (shared/domain/bundles.py). A channel's allocation rules, where they exist, apply to
this number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from pydantic import ConfigDict, Field

from shared.domain.allocation import of
from shared.domain.bundles import (
    MAX_COMPONENTS,
    MAX_UNITS,
    BundleRefused,
    bundle_channel_quantity,
    check_components,
    component_takes,
    kits_by_location,
    leaf_units,
    limiting,
)
from shared.domain.channel import Channel, ChannelType
from shared.domain.channel_events import OrderLine
from shared.domain.channel_values import QuantityPush
from shared.domain.fields import FieldError
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing, Sku
from shared.domain.locations import (
    DEFAULT_LOCATION,
    ChannelLocationMap,
    Location,
    channel_quantity,
    check_name,
    holds_stock,
    sellable_by_location,
    stock_by_location,
    takes_for_order,
)
from shared.domain.model import Model
from shared.services import clients
from shared.services.channels import get_channel
from shared.storage import bundles, listings, locations
from shared.storage.channel_rules import ChannelRules

SHOWN = 5


class LocationRefused(FieldError):
    """400: a location name, map or bundle that cannot be used, naming the field and the fix."""


class LocationConflict(FieldError):
    """409: the location exists, or still holds stock."""


class LocationNotFound(FieldError):
    """404: no such location."""


class LocationView(Model):
    name: str
    created_at: datetime | None = None  # `default` is always there


def list_locations() -> list[LocationView]:
    return [LocationView(name=DEFAULT_LOCATION)] + [
        LocationView(name=location.name, created_at=location.created_at)
        for location in sorted(locations.all_locations(), key=lambda location: location.name)
    ]


def add_location(name: str) -> LocationView:
    check_name(name)
    location = Location(name=name, created_at=datetime.now(UTC))
    if name == DEFAULT_LOCATION or not locations.add(location):
        raise LocationConflict("name", f"location '{name}' exists already: pick another name")
    return LocationView(name=name, created_at=location.created_at)


def remove_location(name: str) -> None:
    """Refused while a listing holds stock there, or a channel's map still names it."""
    if name == DEFAULT_LOCATION:
        raise LocationRefused("name", "`default` holds what no other location does: it cannot be removed")
    known(name, "name")
    held = holds_stock(list(listings.get_many(locations.held_at(name)).values()), name)
    if held:
        shown = ", ".join(held[:SHOWN]) + (f" and {len(held) - SHOWN} more" if len(held) > SHOWN else "")
        raise LocationConflict(
            "name",
            f"location '{name}' still holds stock of {shown}: set it to 0 there first "
            f"(tidemark listings adjust SKU --location {name} --on-hand 0, and --committed 0)",
        )
    locations.remove(name)


def known(name: str, field: str) -> str:
    """The name of a location that exists (`default` always does); LocationNotFound otherwise."""
    check_name(name, field)
    if name != DEFAULT_LOCATION and locations.get(name) is None:
        raise LocationNotFound(field, f"no location '{name}': add it first (tidemark locations add {name})")
    return name


# -- a channel's map -----------------------------------------------------------------------


class LocationMapRequest(Model):
    model_config = ConfigDict(extra="forbid")

    map: dict[str, list[str]] = Field(
        description="channel location (a Shopify location's id or name; WooCommerce: `default`) -> "
        "the master locations feeding it, in the order an order takes from them; {} clears the map",
        max_length=250,
    )


class LocationMapView(Model):
    channel: str
    mapped: bool = Field(description="false: no map, every master location feeds the channel as one")
    locations: dict[str, list[str]]
    names: dict[str, str]
    store_locations: dict[str, str] = Field(description="the store's locations, id -> name")


class _WithLocations(Protocol):
    def locations(self) -> dict[str, str]: ...


def store_locations(channel: Channel) -> dict[str, str]:
    """The channel's own locations, id -> name (Shopify: every page read from the store)."""
    if channel.type is ChannelType.SHOPIFY:
        return clients.call(channel, _locations_of)
    return {DEFAULT_LOCATION: "the store's one stock"}


def _locations_of(client: object) -> dict[str, str]:
    reader: _WithLocations = client  # type: ignore[assignment]  # the Shopify client
    return reader.locations()


def set_map(channel_name: str, request: LocationMapRequest) -> LocationMapView:
    """Check every channel location against the store and every master location, then save."""
    channel = get_channel(channel_name)
    in_store = store_locations(channel)
    by_name = {name: location_id for location_id, name in in_store.items()}
    mapped: dict[str, list[str]] = {}
    for given, feeding in request.map.items():
        location_id = given if given in in_store else by_name.get(given)
        if location_id is None:
            shown = ", ".join(f"{name} ({lid})" for lid, name in list(in_store.items())[:SHOWN])
            raise LocationRefused(
                f"map.{given}", f"'{channel_name}' has no location '{given}': use one of {shown}"
            )
        mapped[location_id] = [known(name, f"map.{given}") for name in dict.fromkeys(feeding)]
    if mapped:
        locations.put_map(
            ChannelLocationMap(
                channel=channel.name,
                locations=mapped,
                names={lid: in_store[lid] for lid in mapped},
                updated_at=datetime.now(UTC),
            )
        )
    else:
        locations.remove_map(channel.name)
    return _view(channel.name, in_store)


def show_map(channel_name: str) -> LocationMapView:
    channel = get_channel(channel_name)
    return _view(channel.name, store_locations(channel))


def _view(channel: str, in_store: dict[str, str]) -> LocationMapView:
    saved = locations.get_map(channel)
    return LocationMapView(
        channel=channel,
        mapped=saved is not None,
        locations=saved.locations if saved else {},
        names=saved.names if saved else {},
        store_locations=in_store,
    )


# -- bundles --------------------------------------------------------------------------------


class BundleRequest(Model):
    model_config = ConfigDict(extra="forbid")

    components: dict[Sku, int] = Field(
        description=f"component SKU -> units in one bundle (1 to {MAX_UNITS:,}); {{}} clears the bundle: "
        f"at most {MAX_COMPONENTS} leaf components",
        max_length=MAX_COMPONENTS,
    )


class ComponentView(Model):
    sku: str
    units: int
    sellable: int = Field(description="what the component can sell, over every location")
    makes: int = Field(description="the bundles it alone makes")


class BundleView(Model):
    sku: str
    is_bundle: bool
    components: list[ComponentView]
    balance: int = Field(description="the bundles its components make, over every location")
    by_location: dict[str, int]
    limited_by: str | None = Field(description="the leaf component that makes fewest")


def set_bundle(sku: str, request: BundleRequest) -> BundleView:
    """Save (or, with no components, clear) the bundle; refused when a component is unknown, out
    of range, or the bundle would hold itself. Nothing is saved when refused."""
    if listings.get(sku) is None:
        raise LocationNotFound("sku", f"no listing with SKU '{sku}': import it first")
    before = bundles.get(sku)
    if request.components:
        saved = bundles.reachable(request.components)
        known_skus = set(listings.get_many(request.components)) | {sku}
        try:
            check_components(sku, request.components, saved, known_skus)
        except BundleRefused as refused:
            raise LocationRefused(refused.field, refused.fix) from None
    bundles.put(sku, dict(request.components), before)
    return show_bundle(sku)


def show_bundle(sku: str) -> BundleView:
    graph = bundles.reachable([sku])
    if sku not in graph:
        return BundleView(sku=sku, is_bundle=False, components=[], balance=0, by_location={}, limited_by=None)
    leaves = leaf_units(sku, graph)
    sellable_at = {s: sellable_by_location(listing) for s, listing in listings.get_many(leaves).items()}
    totals = {leaf: sum(by.values()) for leaf, by in sellable_at.items()}
    by_location = kits_by_location(leaves, sellable_at)
    return BundleView(
        sku=sku,
        is_bundle=True,
        components=[
            ComponentView(
                sku=leaf, units=units, sellable=totals.get(leaf, 0), makes=totals.get(leaf, 0) // units
            )
            for leaf, units in sorted(leaves.items())
        ],
        balance=sum(by_location.values()),
        by_location=by_location,
        limited_by=limiting(leaves, totals),
    )


def refuse_bundle_adjustment(sku: str) -> None:
    if bundles.get(sku):
        raise LocationRefused(
            "sku",
            f"'{sku}' is a bundle: it has no stock of its own; adjust its components "
            f"(tidemark listings bundle {sku} shows them)",
        )


# -- what a push sends ----------------------------------------------------------------------


class StockView(Model):
    location: str
    on_hand: int
    committed: int


def stock_of(listing: Listing) -> list[StockView]:
    return [
        StockView(location=name, on_hand=stock.on_hand, committed=stock.committed)
        for name, stock in stock_by_location(listing).items()
    ]


@dataclass(frozen=True)
class PushReads:
    """What a push batch reads once for its quantities: the channel's map, and each bundle's leaf
    components with what they can sell at each location."""

    location_map: Mapping[str, Sequence[str]]
    leaves_of: Mapping[str, Mapping[str, int]]
    sellable_of: Mapping[str, Mapping[str, int]]
    names: Mapping[str, str] = field(default_factory=dict)  # the store's name of each mapped location

    def bundle_quantity(self, sku: str, fed_by: Sequence[str] | None, buffer: int) -> int | None:
        leaves = self.leaves_of[sku]
        sellable_at = {leaf: self.sellable_of[leaf] for leaf in leaves if leaf in self.sellable_of}
        return bundle_channel_quantity(leaves, sellable_at, fed_by, buffer)

    @property
    def fed(self) -> tuple[str, ...]:
        """The mapped channel locations some master location feeds, in id order."""
        return tuple(sorted(location_id for location_id, fed_by in self.location_map.items() if fed_by))

    def by_location(self, listing: Listing) -> dict[str, int]:
        """The listing's quantity at each channel location in `fed` (before the channel's rules)."""
        quantities = {}
        for location_id in self.fed:
            fed_by = self.location_map[location_id]
            if listing.sku in self.leaves_of:
                quantity = self.bundle_quantity(listing.sku, fed_by, listing.safety_buffer)
            else:
                quantity = channel_quantity(listing, self.location_map, location_id)
            if quantity is not None:
                quantities[location_id] = quantity
        return quantities


def push_reads(channel: str, skus: Sequence[str]) -> PushReads:
    saved = locations.get_map(channel)
    graph = bundles.reachable(skus)
    leaves_of = {sku: leaf_units(sku, graph) for sku in skus if sku in graph}
    leaves = {leaf for found in leaves_of.values() for leaf in found}
    leaf_listings = listings.get_many(leaves) if leaves else {}
    return PushReads(
        location_map=saved.locations if saved else {},
        leaves_of=leaves_of,
        sellable_of={sku: sellable_by_location(listing) for sku, listing in leaf_listings.items()},
        names=saved.names if saved else {},
    )


def push_quantities(
    channel: str,
    skus: Sequence[str],
    master: Mapping[str, Listing],
    current: Mapping[str, Link],
    reads: PushReads | None = None,
) -> dict[str, int | None]:
    """The quantity each listing's push sends to its link's channel location: None where the
    channel's map feeds that location nothing (left alone). A listing absent here: its syncable
    balance, as before (neither a bundle nor under a map)."""
    reads = reads or push_reads(channel, skus)
    location_map = reads.location_map
    quantities: dict[str, int | None] = {}
    for sku in skus:
        listing, link = master.get(sku), current.get(sku)
        if listing is None or link is None or link.status is not LinkStatus.LINKED:
            continue
        where = link.location_id or DEFAULT_LOCATION
        if sku in reads.leaves_of:
            fed_by = location_map.get(where, []) if location_map else None
            quantities[sku] = reads.bundle_quantity(sku, fed_by, listing.safety_buffer)
        elif location_map:
            quantities[sku] = channel_quantity(listing, location_map, where)
    return quantities


def order_takes(channel: str, link: Link, line: OrderLine) -> dict[str, dict[str, int]] | None:
    """Where an order line's quantity comes off: the master locations that feed the channel
    location it was fulfilled from (the line's, else its link's), in the order mapped; for a bundle,
    each leaf component's units that many times. None: as before locations (the listing's total,
    `default` holding the rest), for a listing that is no bundle, under no map and held nowhere else."""
    saved = locations.get_map(channel)
    location_map = saved.locations if saved else {}
    where = line.location_id or link.location_id or DEFAULT_LOCATION
    graph = bundles.reachable([line.sku])
    if line.sku in graph:
        return _bundle_takes(leaf_units(line.sku, graph), location_map.get(where), line.quantity)
    listing = listings.get(line.sku)
    if listing is None or (not location_map and not listing.stock):
        return None
    sellable = sellable_by_location(listing)
    fed_by = location_map.get(where) or list(sellable)
    return {line.sku: takes_for_order(sellable, fed_by, line.quantity)}


def _bundle_takes(
    leaves: Mapping[str, int], mapped: Sequence[str] | None, quantity: int
) -> dict[str, dict[str, int]]:
    """Each leaf component's units off the master locations that feed the channel location, in the
    order mapped; with none mapped there, `default` first, then every other location a component is
    sellable at."""
    sellable_at = {sku: sellable_by_location(listing) for sku, listing in listings.get_many(leaves).items()}
    everywhere = sorted({name for by in sellable_at.values() for name in by} - {DEFAULT_LOCATION})
    fed_by = mapped or [DEFAULT_LOCATION, *everywhere]
    return component_takes(leaves, sellable_at, fed_by, quantity)


def other_location_pushes(
    channel: Channel,
    skus: Sequence[str],
    master: Mapping[str, Listing],
    current: Mapping[str, Link],
    rules: ChannelRules,
    reads: PushReads | None = None,
) -> list[QuantityPush]:
    """Shopify under a map: a quantity push to every mapped channel location other than the one a
    link was made at, shaped by the channel's `rules` as the link's own is (that one is in the
    plan, with compare-and-set on what was last seen there); these go with no compare-and-set (no
    value was seen there) and land in the listing's history. A location the item is not stocked
    at answers ITEM_NOT_STOCKED_AT_LOCATION, with its fix."""
    if channel.type is not ChannelType.SHOPIFY:
        return []
    reads = reads or push_reads(channel.name, skus)
    if not reads.location_map:
        return []
    pushes = []
    for sku in skus:
        listing, link = master.get(sku), current.get(sku)
        if listing is not None and link is not None and link.status is LinkStatus.LINKED:
            pushes += _pushes_elsewhere(sku, listing, link, reads, rules)
    return pushes


def _pushes_elsewhere(
    sku: str, listing: Listing, link: Link, reads: PushReads, rules: ChannelRules
) -> list[QuantityPush]:
    """The listing's quantity at each mapped channel location other than its link's, where any
    master location feeds it."""
    return [
        QuantityPush(
            sku=sku,
            inventory_item_id=link.inventory_item_id,
            location_id=location_id,
            quantity=quantity,
            expected=None,
        )
        for location_id, quantity in allocated_by_location(listing, reads, rules).items()
        if location_id != link.location_id
    ]


def allocated_by_location(listing: Listing, reads: PushReads, rules: ChannelRules) -> dict[str, int]:
    """What a push sends to each mapped channel location some master location feeds: those
    locations' quantity, then the channel's rules (reconcile compares against the same)."""
    override = rules.override(listing.sku)
    return {
        location_id: of(rules.rules, override, listing, quantity).quantity
        for location_id, quantity in reads.by_location(listing).items()
    }
