from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.listing import Listing, LocationStock
from shared.domain.locations import (
    DEFAULT_LOCATION,
    BadLocationName,
    after_takes,
    channel_quantity,
    check_name,
    holds_stock,
    sellable_by_location,
    stock_by_location,
    takes_for_order,
    with_location_stock,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)
NAMES = ["default", "east", "west", "north"]


def listing_at(stock: dict[str, tuple[int, int]], buffer: int = 0) -> Listing:
    """A listing holding (on hand, committed) at each location named."""
    listing = Listing(sku="A", safety_buffer=buffer, updated_at=NOW)
    for name, (on_hand, committed) in stock.items():
        listing = with_location_stock(listing, name, on_hand=on_hand, committed=committed)
    return listing


stocks = st.dictionaries(
    st.sampled_from(NAMES), st.tuples(st.integers(-5, 50), st.integers(0, 20)), min_size=1
)


def test_an_item_written_before_locations_is_all_default():
    legacy = Listing.model_validate({"sku": "A", "on_hand": 7, "committed": 2, "updated_at": NOW.isoformat()})
    assert legacy.stock == {}
    assert stock_by_location(legacy) == {DEFAULT_LOCATION: LocationStock(on_hand=7, committed=2)}
    assert channel_quantity(legacy, {}, "anything") == 5


def test_a_channel_location_mapped_to_nothing_is_left_alone():
    listing = listing_at({"east": (5, 0)})
    assert (
        channel_quantity(listing, {"gid://shopify/Location/1": ["east"]}, "gid://shopify/Location/2") is None
    )
    assert channel_quantity(listing, {"gid://shopify/Location/1": ["east"]}, "gid://shopify/Location/1") == 5


def test_location_names_are_checked():
    assert check_name("east-1") == "east-1"
    with pytest.raises(BadLocationName) as refused:
        check_name("East Wing", "location")
    assert refused.value.field == "location"


def test_holds_stock_names_the_skus_still_holding_some():
    held = listing_at({"east": (0, 1)})
    empty = listing_at({"east": (0, 0)}).model_copy(update={"sku": "B"})
    assert holds_stock([held, empty], "east") == ["A"]


@given(stocks, st.integers(0, 10))
def test_the_totals_are_the_sum_of_the_locations(stock, buffer):
    listing = listing_at(stock, buffer)
    by_location = stock_by_location(listing)
    assert sum(s.on_hand for s in by_location.values()) == listing.on_hand
    assert sum(s.committed for s in by_location.values()) == listing.committed
    for name, (on_hand, committed) in stock.items():
        assert by_location[name] == LocationStock(on_hand=on_hand, committed=committed)


@given(stocks, st.integers(0, 10), st.lists(st.sampled_from(NAMES), min_size=1, max_size=4))
def test_a_channel_locations_quantity_is_what_its_locations_can_sell_less_the_buffer(stock, buffer, fed_by):
    listing = listing_at(stock, buffer)
    model = sum(max(0, on - co) for name, (on, co) in stock.items() if name in fed_by)
    assert channel_quantity(listing, {"L1": fed_by}, "L1") == max(0, model - buffer)


@given(stocks, st.integers(0, 10))
def test_a_map_of_every_location_to_one_equals_the_syncable_balance_when_none_is_oversold(stock, buffer):
    listing = listing_at({name: (abs(on), co) for name, (on, co) in stock.items()}, buffer)
    if any(s.on_hand < s.committed for s in stock_by_location(listing).values()):
        return  # a location holding less than it committed: it takes nothing off the others
    assert channel_quantity(listing, {"L1": NAMES}, "L1") == listing.syncable_balance


@given(stocks, st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True), st.integers(0, 80))
def test_an_order_comes_off_its_locations_in_order_and_none_goes_below_zero_while_another_has_stock(
    stock, fed_by, quantity
):
    listing = listing_at(stock)
    before = sellable_by_location(listing)
    takes = takes_for_order(before, fed_by, quantity)
    assert sum(takes.values()) == quantity
    assert set(takes) <= set(fed_by)
    after = after_takes(listing, takes)
    left = sellable_by_location(after)
    for i, name in enumerate(fed_by):
        if takes.get(name, 0) > before.get(name, 0):
            # it gave more than it could sell: the first mapped, once every mapped one is empty
            assert i == 0
            assert all(left.get(other, 0) == 0 for other in fed_by)
        if takes.get(name, 0) and i > 0:  # in the order mapped: the earlier ones are empty
            assert all(left.get(earlier, 0) == 0 for earlier in fed_by[:i])
    restored = after_takes(after, takes, sign=+1)  # a cancel puts back exactly what was taken
    assert _held(restored) == _held(listing)


def _held(listing):
    return {name: s for name, s in stock_by_location(listing).items() if s != LocationStock()}
