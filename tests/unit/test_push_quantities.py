"""What a push sends, on in-memory fakes: a channel location's quantity from the master locations
mapped to it, a location mapped to nothing left alone and said so, a bundle from its components."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.allocation import Override, Rules, of
from shared.domain.channel import Channel, ChannelType
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing
from shared.domain.locations import ChannelLocationMap, with_location_stock
from shared.domain.syncing import plan_pushes
from shared.services import locations
from shared.storage.channel_rules import ChannelRules
from tests.fakes import InMemoryBundles, InMemoryListings, InMemoryLocationMaps

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)
L1, L2 = "gid://shopify/Location/1", "gid://shopify/Location/2"


def allocated(master, quantities, rules=None):
    """Each listing's allocation under the channel's rules (none: what its location gets, as is)."""
    return {
        sku: of(rules or Rules(), Override(), listing, quantities.get(sku)) for sku, listing in master.items()
    }


def link(sku: str, location: str, status: LinkStatus = LinkStatus.LINKED) -> Link:
    return Link(sku=sku, channel="shop", status=status, location_id=location, updated_at=NOW)


def stocked(sku: str, default: int, east: int) -> Listing:
    listing = Listing(sku=sku, on_hand=default, updated_at=NOW)
    return with_location_stock(listing, "east", on_hand=east)


@pytest.fixture
def master(monkeypatch: pytest.MonkeyPatch) -> dict[str, Listing]:
    listings = {
        s.sku: s
        for s in (
            stocked("A", 5, 7),
            stocked("B", 2, 3),
            stocked("C", 1, 8),
            Listing(sku="KIT", updated_at=NOW),
        )
    }
    saved = ChannelLocationMap(channel="shop", locations={L1: ["east"], "x": ["default"]}, updated_at=NOW)
    monkeypatch.setattr(locations, "listings", InMemoryListings(*listings.values()))
    monkeypatch.setattr(locations, "locations", InMemoryLocationMaps(shop=saved))
    monkeypatch.setattr(locations, "bundles", InMemoryBundles(KIT={"B": 1, "C": 2}))
    return listings


def test_each_link_gets_what_the_locations_mapped_to_its_channel_location_can_sell(master):
    current = {"A": link("A", L1), "B": link("B", L2), "KIT": link("KIT", L1)}
    quantities = locations.push_quantities("shop", ["A", "B", "KIT"], master, current)
    assert quantities == {"A": 7, "B": None, "KIT": 3}  # KIT at east: min(3 // 1, 8 // 2)
    plan = plan_pushes("shop", ["A", "B", "KIT"], master, current, allocated(master, quantities), quantities)
    assert {push.sku: push.quantity for push in plan.quantities} == {"A": 7, "KIT": 3}
    assert "mapped to no master location: left alone" in plan.skipped["B"]


def test_with_no_map_a_listing_pushes_its_balance_and_a_bundle_what_every_location_makes(master, monkeypatch):
    monkeypatch.setattr(locations, "locations", InMemoryLocationMaps())
    current = {"A": link("A", L1), "KIT": link("KIT", L2), "C": link("C", L1, LinkStatus.UNLINKED)}
    quantities = locations.push_quantities("shop", ["A", "KIT", "C"], master, current)
    assert quantities == {"KIT": 3 + 0}  # default: min(2, 0); east: min(3, 4)
    plan = plan_pushes("shop", ["A", "KIT", "C"], master, current, allocated(master, quantities), quantities)
    assert {push.sku: push.quantity for push in plan.quantities} == {"A": 12, "KIT": 3}
    assert "not linked" in plan.skipped["C"]


CHANNEL_LOCATIONS = [f"gid://shopify/Location/{n}" for n in (1, 2, 3)]
MASTER_LOCATIONS = ["default", "east", "west"]
held_at = st.dictionaries(
    st.sampled_from(MASTER_LOCATIONS), st.tuples(st.integers(-3, 30), st.integers(0, 10))
)


@given(
    st.dictionaries(st.sampled_from(["A", "B"]), held_at, min_size=2),
    st.dictionaries(
        st.sampled_from(CHANNEL_LOCATIONS),
        st.lists(st.sampled_from(MASTER_LOCATIONS), max_size=3),
        min_size=1,
    ),
    st.sampled_from(CHANNEL_LOCATIONS),
    st.integers(0, 5),
)
def test_every_channel_locations_pushed_quantity_equals_the_models(stock, mapping, linked_at, buffer):
    master = {}
    for sku, where in stock.items():
        listing = Listing(sku=sku, safety_buffer=buffer, updated_at=NOW)
        for name, (on_hand, committed) in where.items():
            listing = with_location_stock(listing, name, on_hand=on_hand, committed=committed)
        master[sku] = listing
    shop = Channel(name="shop", type=ChannelType.SHOPIFY, store_url="https://s.example.com", created_at=NOW)
    current = {sku: link(sku, linked_at) for sku in master}
    saved = ChannelLocationMap(channel="shop", locations=mapping, updated_at=NOW)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locations, "listings", InMemoryListings(*master.values()))
        patch.setattr(locations, "locations", InMemoryLocationMaps(shop=saved))
        patch.setattr(locations, "bundles", InMemoryBundles())
        own = locations.push_quantities("shop", list(master), master, current)
        others = locations.other_location_pushes(shop, list(master), master, current, ChannelRules(Rules()))
    pushed = {(sku, linked_at): quantity for sku, quantity in own.items()}
    pushed.update({(push.sku, push.location_id): push.quantity for push in others})
    for sku, where in stock.items():
        for channel_location in CHANNEL_LOCATIONS:
            fed_by = set(mapping.get(channel_location, []))
            model = max(
                0, sum(max(0, on - co) for name, (on, co) in where.items() if name in fed_by) - buffer
            )
            expected = model if fed_by else None  # mapped to nothing: left alone
            if channel_location == linked_at or fed_by:
                assert pushed.get((sku, channel_location)) == expected
            else:
                assert (sku, channel_location) not in pushed


def test_the_channels_rules_apply_to_what_its_location_gets_and_explain_says_so(master):
    current = {"A": link("A", L1), "KIT": link("KIT", L1)}
    quantities = locations.push_quantities("shop", ["A", "KIT"], master, current)
    rules = Rules(reserve=2, max_quantity=4)
    shaped = allocated(master, quantities, rules)
    plan = plan_pushes("shop", ["A", "KIT"], master, current, shaped, quantities)
    assert {push.sku: push.quantity for push in plan.quantities} == {
        "A": 4,
        "KIT": 1,
    }  # 7 - 2, at most 4; 3 - 2
    steps = [(step.rule, step.after) for step in shaped["A"].steps if step.field == "quantity"]
    assert steps[-3:] == [("locations", "7"), ("reserve", "5"), ("max_quantity", "4")]
    assert of(rules, Override(), master["A"]).quantity == 4  # no map: the syncable balance 12, as before
