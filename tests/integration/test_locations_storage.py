"""Locations and bundles in storage, against the template's table (moto, and DynamoDB Local with
`--dynamodb=local`): stock at a location written under its condition (concurrent changes all kept),
an order line taking off several locations and components once, in one transaction with its record,
and its cancel putting back exactly that; bundles and which bundles hold a component; a bundle moved
in the change index."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.adjusting import Adjustment
from shared.domain.channel_events import OrderLine
from shared.domain.listing import AdjustReason, Listing
from shared.domain.locations import ChannelLocationMap, Location, stock_by_location
from shared.domain.syncing import shard_of
from shared.settings import settings
from shared.storage import bundles, listings, locations, orders
from tests import storage

pytestmark = [pytest.mark.integration, pytest.mark.storage]
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def deployed(dynamodb_endpoint):
    with storage.deployed(dynamodb_endpoint):
        yield


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def held(sku: str) -> dict[str, int]:
    listing = listings.get(sku)
    assert listing is not None
    return {name: stock.on_hand for name, stock in stock_by_location(listing).items() if stock.on_hand}


def test_changes_at_locations_move_the_totals_and_are_noted_under_the_location():
    sku = unique("L")
    listings.put_many([Listing(sku=sku, on_hand=10, updated_at=NOW)])
    change = Adjustment(sku=sku, delta=1)
    for n in range(12):
        listings.adjust_at(("east", "west")[n % 2], change, AdjustReason.MANUAL, NOW)
    assert held(sku) == {"default": 10, "east": 6, "west": 6}
    assert listings.get(sku).on_hand == 22
    assert sku in set(locations.held_at("east")) and sku in set(locations.held_at("west"))
    same, moved = listings.adjust_at("east", Adjustment(sku=sku, on_hand=6), AdjustReason.MANUAL, NOW)
    assert not moved and same.on_hand == 22
    with pytest.raises(listings.ListingNotFound):
        listings.adjust_at("east", Adjustment(sku=unique("none"), delta=1), AdjustReason.MANUAL, NOW)


def test_an_order_line_takes_off_locations_and_components_once_and_its_cancel_puts_back_exactly():
    a, b, kit, channel, order = unique("A"), unique("B"), unique("KIT"), unique("ch"), unique("o")
    listings.put_many([Listing(sku=s, on_hand=5, updated_at=NOW) for s in (a, b, kit)])
    listings.adjust_at("east", Adjustment(sku=a, on_hand=4), AdjustReason.MANUAL, NOW)
    line = OrderLine(line_id="1", sku=kit, quantity=3)
    takes = {a: {"default": 2, "east": 4}, b: {"default": 6}}  # b oversold at its first location
    assert orders.place(channel, order, line, takes) == 3
    assert orders.place(channel, order, line, takes) == 0  # a duplicate delivery
    assert held(a) == {"default": 3} and held(b) == {"default": -1}
    assert listings.get(kit).on_hand == 5  # the bundle's own item is not taken from
    assert orders.cancel(channel, order, line) == 3
    assert orders.cancel(channel, order, line) == 0
    assert held(a) == {"default": 5, "east": 4} and held(b) == {"default": 5}


def test_bundles_their_components_and_the_bundles_holding_a_component():
    a, b, inner, kit = unique("A"), unique("B"), unique("IN"), unique("KIT")
    bundles.put(inner, {a: 2}, {})
    bundles.put(kit, {inner: 1, b: 1}, {})
    assert bundles.get(kit) == {inner: 1, b: 1}
    assert bundles.reachable([kit]) == {kit: {inner: 1, b: 1}, inner: {a: 2}}
    assert bundles.holding([a]) == {inner, kit}  # through the inner bundle too
    bundles.put(kit, {inner: 1}, {inner: 1, b: 1})
    assert bundles.holding([b]) == set()
    bundles.put(kit, {}, {inner: 1})
    assert bundles.get(kit) == {} and bundles.holding([a]) == {inner}


def test_a_bundle_touched_moves_in_the_change_index_and_nothing_else():
    kit = unique("KIT")
    listings.put_many([Listing(sku=kit, on_hand=7, updated_at=NOW)])
    later = NOW + timedelta(minutes=5)
    moved = listings.touch([kit, unique("gone")], later)
    assert list(moved) == [kit] and moved[kit].on_hand == 7
    shard = shard_of(kit, settings().push_shards)
    assert any(kit in page for page in listings.changed_skus(shard, later))


def test_locations_and_a_channels_map_are_saved_and_removed():
    name, channel = unique("loc"), unique("ch")
    assert locations.add(Location(name=name, created_at=NOW))
    assert not locations.add(Location(name=name, created_at=NOW))
    assert name in {location.name for location in locations.all_locations()}
    locations.put_map(ChannelLocationMap(channel=channel, locations={"default": [name]}, updated_at=NOW))
    assert locations.get_map(channel).locations == {"default": [name]}
    locations.remove_map(channel)
    assert locations.get_map(channel) is None
    locations.remove(name)
    assert locations.get(name) is None
