"""Reconcile under a channel's location map: each mapped channel location some master location
feeds is compared with what master computes for it; the ones that differ are named in the link's
out-of-sync reason; a location mapped to nothing, or not stocked, is left alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.channel_values import ChannelVariant, PushOutcome, PushResult, QuantityPush
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.locations import with_location_stock
from shared.domain.reconciling import differences, reconciled
from shared.domain.syncing import record_results
from shared.services.locations import PushReads

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 7, tzinfo=UTC)
L1, L2, L3, L4 = (f"gid://shopify/Location/{n}" for n in (1, 2, 3, 4))
NAMES = {L1: "Warehouse 1", L2: "Warehouse 2", L3: "Warehouse 3", L4: "Warehouse 4"}
MASTER = ["default", "east", "west"]


def listing(default: int = 10, east: int = 4, buffer: int = 0) -> Listing:
    base = Listing(sku="A", on_hand=default, price=Decimal("5.00"), safety_buffer=buffer, updated_at=NOW)
    return with_location_stock(base, "east", on_hand=east)


def variant(quantities: dict[str, int], own: str = L1) -> ChannelVariant:
    return ChannelVariant(
        variant_id="v1",
        product_id="p1",
        sku="A",
        inventory_item_id="i1",
        location_id=own if own in quantities else "",  # as read: not stocked there, no location
        quantity=quantities.get(own, 0),
        price=Decimal("5.00"),
        quantities=quantities,
    )


def link() -> Link:
    return Link(
        sku="A",
        channel="shop",
        status=LinkStatus.LINKED,
        variant_id="v1",
        product_id="p1",
        inventory_item_id="i1",
        location_id=L1,
        last_observed_quantity=10,
        last_observed_price=Decimal("5.00"),
        sync_state=SyncState.IN_SYNC,
        updated_at=NOW,
    )


def reads(location_map: dict[str, list[str]]) -> PushReads:
    return PushReads(location_map=location_map, leaves_of={}, sellable_of={}, names=NAMES)


MAP = {L1: ["default"], L2: ["east"], L3: ["default", "east"], L4: []}


def test_a_hand_edit_at_the_second_mapped_location_is_found_and_named():
    expected = reads(MAP).by_location(listing())
    assert expected == {L1: 10, L2: 4, L3: 14}  # L4 is mapped to nothing: left alone
    held = variant({L1: 10, L2: 99, L3: 14, L4: 7})
    found = differences(listing(), held, by_location=expected, names=NAMES)
    assert found == [f"quantity at Warehouse 2 ({L2}): channel 99, master 4"]
    after = reconciled(link(), listing(), held, NOW, by_location=expected, names=NAMES)
    assert after.sync_state is SyncState.OUT_OF_SYNC
    assert after.out_of_sync_reason == found[0]
    assert after.last_observed_quantity == 10  # the link keeps its own location's quantity


def test_a_location_mapped_to_nothing_or_not_stocked_is_left_alone():
    expected = reads(MAP).by_location(listing())
    held = variant({L1: 10, L3: 14, L4: 1234})  # not stocked at L2; L4 edited, but fed by nothing
    after = reconciled(link(), listing(), held, NOW, by_location=expected, names=NAMES)
    assert after.sync_state is SyncState.IN_SYNC and after.out_of_sync_reason == ""


def test_the_variants_own_location_is_compared_when_it_is_the_only_one_mapped():
    own_only = variant({}).model_copy(update={"location_id": L1, "quantity": 99})  # read there alone
    found = differences(listing(), own_only, by_location={L1: 10}, names=NAMES)
    assert found == [f"quantity at Warehouse 1 ({L1}): channel 99, master 10"]


def test_without_a_map_the_one_quantity_is_compared_as_before():
    held = variant({L1: 14, L2: 99})
    assert differences(listing(), held) == []  # the syncable balance, 14, at its own location
    gone_up = held.model_copy(update={"quantity": 15})
    assert differences(listing(), gone_up) == ["quantity: channel 15, master 14"]


def test_every_differing_location_is_named_with_price_and_status_as_before():
    expected = reads(MAP).by_location(listing())
    held = variant({L1: 0, L2: 99, L3: 14}).model_copy(update={"price": Decimal("1.00")})
    after = reconciled(link(), listing(), held, NOW, by_location=expected, names=NAMES)
    assert after.out_of_sync_reason == (
        f"quantity at Warehouse 1 ({L1}): channel 0, master 10; "
        f"quantity at Warehouse 2 ({L2}): channel 99, master 4; price: channel 1.00, master 5.00"
    )


def test_a_push_that_lands_clears_what_the_reconcile_found():
    found = link().model_copy(update={"sync_state": SyncState.OUT_OF_SYNC, "out_of_sync_reason": "x"})
    push = QuantityPush(sku="A", inventory_item_id="i1", location_id=L2, quantity=4)
    updated, _ = record_results(
        {"A": found}, [(push, PushResult(sku="A", outcome=PushOutcome.PUSHED))], "j", NOW
    )
    assert updated[0].sync_state is SyncState.IN_SYNC and updated[0].out_of_sync_reason == ""


channel_locations = [L1, L2, L3, L4]
maps = st.dictionaries(
    st.sampled_from(channel_locations), st.lists(st.sampled_from(MASTER), max_size=3), min_size=1
)
stock = st.fixed_dictionaries({name: st.tuples(st.integers(-3, 30), st.integers(0, 10)) for name in MASTER})
edits = st.dictionaries(st.sampled_from(channel_locations), st.integers(0, 40))


@given(maps, stock, st.integers(0, 5), edits, st.sets(st.sampled_from(channel_locations)))
def test_reconcile_finds_a_difference_iff_some_fed_location_holds_other_than_the_model(
    location_map, held_stock, buffer, edited, not_stocked
):
    master = Listing(sku="A", safety_buffer=buffer, updated_at=NOW)
    for name, (on_hand, committed) in held_stock.items():
        master = with_location_stock(master, name, on_hand=on_hand, committed=committed)
    # the model: what each master location can sell, summed over those feeding the channel location
    model = {
        location_id: max(0, sum(max(0, held_stock[n][0] - held_stock[n][1]) for n in set(fed)) - buffer)
        for location_id, fed in location_map.items()
        if fed
    }
    store = {
        location_id: edited.get(location_id, model.get(location_id, 0))
        for location_id in channel_locations
        if location_id not in not_stocked
    }
    expected = reads(location_map).by_location(master)
    assert expected == model
    after = reconciled(
        link(), master.model_copy(update={"price": None}), variant(store), NOW, by_location=expected
    )
    differing = [lid for lid in sorted(model) if lid in store and store[lid] != model[lid]]
    assert (after.sync_state is SyncState.OUT_OF_SYNC) == bool(differing)
    reason = after.out_of_sync_reason
    named = [part.split(": channel")[0].removeprefix("quantity at ") for part in reason.split("; ")]
    assert named == (differing or [""])
