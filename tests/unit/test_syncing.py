from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.channels.base import PricePush, PushOutcome, PushResult, QuantityPush, StatusPush, VariantStatus
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing, ListingStatus
from shared.domain.syncing import (
    blocked_hides,
    chunked,
    plan_pushes,
    planned_changes,
    record_results,
    shard_of,
)

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def link(sku: str, status: LinkStatus = LinkStatus.LINKED, observed: int | None = 4) -> Link:
    return Link(
        sku=sku,
        channel="shop",
        status=status,
        inventory_item_id=f"i-{sku}",
        location_id="l",
        last_observed_quantity=observed,
        unlinked_reason="variant deleted" if status == "unlinked" else "",
        updated_at=NOW,
    )


@given(st.text(min_size=1), st.integers(1, 256))
def test_shard_is_stable_and_in_range(sku, shards):
    assert 0 <= shard_of(sku, shards) < shards
    assert shard_of(sku, shards) == shard_of(sku, shards)


def test_shard_does_not_depend_on_the_process():
    assert shard_of("SKU-00001", 16) == 15


@given(st.lists(st.integers()), st.integers(1, 7))
def test_chunks_keep_every_item_in_order(items, size):
    chunks = list(chunked(items, size))
    assert [i for c in chunks for i in c] == items
    assert all(0 < len(c) <= size for c in chunks)


def test_pushes_the_balance_at_send_time_and_skips_what_is_not_linked():
    listings = {s: Listing(sku=s, on_hand=9, committed=2, safety_buffer=1, updated_at=NOW) for s in "ABC"}
    links = {"A": link("A"), "B": link("B", LinkStatus.UNLINKED)}
    plan = plan_pushes("shop", ["A", "B", "C", "D"], listings, links)
    assert plan.quantities == [
        QuantityPush(sku="A", inventory_item_id="i-A", location_id="l", quantity=6, expected=4)
    ]
    assert plan.prices == [] and plan.statuses == []
    assert "not linked to channel 'shop' (variant deleted): run a re-link" in plan.skipped["B"]
    assert "not linked" in plan.skipped["C"]
    assert "no longer in master" in plan.skipped["D"]


def test_price_and_status_are_pushed_only_where_the_channel_holds_something_else():
    listings = {
        "A": Listing(sku="A", price=Decimal("9.50"), updated_at=NOW),
        "B": Listing(sku="B", price=Decimal("3.00"), status=ListingStatus.INACTIVE, updated_at=NOW),
        "C": Listing(sku="C", updated_at=NOW),
    }
    links = {
        "A": link("A").model_copy(update={"last_observed_price": Decimal("9.50")}),
        "B": link("B").model_copy(update={"last_observed_price": Decimal("2.00"), "variant_id": "v-B"}),
        "C": link("C"),
    }
    plan = plan_pushes("shop", ["A", "B", "C"], listings, links)
    assert [p.sku for p in plan.quantities] == ["A", "B", "C"]
    assert [(p.sku, p.price) for p in plan.prices] == [("B", Decimal("3.00"))]
    assert [(p.sku, p.status) for p in plan.statuses] == [("B", VariantStatus.HIDDEN)]
    changes = planned_changes(plan, links)
    assert {(c.sku, c.field, c.from_value, c.to_value) for c in changes} == {
        ("A", "quantity", "4", "0"),
        ("B", "quantity", "4", "0"),
        ("C", "quantity", "4", "0"),
        ("B", "price", "2.00", "3.00"),
        ("B", "status", "active", "hidden"),
    }


def test_a_dry_run_leaves_out_what_would_not_change():
    listings = {"A": Listing(sku="A", on_hand=4, updated_at=NOW)}
    plan = plan_pushes("shop", ["A"], listings, {"A": link("A", observed=4)})
    assert planned_changes(plan, {"A": link("A", observed=4)}) == []


def result(outcome: PushOutcome, observed: int | None = None, message: str = "") -> PushResult:
    return PushResult(sku="A", outcome=outcome, observed=observed, message=message)


def test_results_update_the_link_and_write_history():
    push = QuantityPush(sku="A", inventory_item_id="i", location_id="l", quantity=6, expected=4)
    current = {"A": link("A")}
    [pushed], [entry] = record_results(current, [(push, result(PushOutcome.PUSHED, 6))], "job", NOW)
    assert (pushed.last_pushed_quantity, pushed.last_observed_quantity, pushed.sync_state) == (
        6,
        6,
        SyncState.IN_SYNC,
    )
    assert (entry.from_value, entry.to_value, entry.outcome) == ("4", "6", PushOutcome.PUSHED)

    [conflict], _ = record_results(current, [(push, result(PushOutcome.CONFLICT, 9))], "job", NOW)
    assert (conflict.last_observed_quantity, conflict.sync_state) == (9, SyncState.OUT_OF_SYNC)

    failing = result(PushOutcome.FAILED, message="not stocked: stock it")
    [failed], [entry] = record_results(current, [(push, failing)], "job", NOW)
    assert failed.sync_state is SyncState.ERROR and entry.message == "not stocked: stock it"


def test_a_link_is_in_sync_only_when_every_value_pushed_to_it_landed():
    quantity = QuantityPush(sku="A", inventory_item_id="i", location_id="l", quantity=6)
    price = PricePush(sku="A", variant_id="v", product_id="p", price=Decimal("5"))
    status = StatusPush(sku="A", variant_id="v", product_id="p", status=VariantStatus.HIDDEN)
    results = [
        (quantity, result(PushOutcome.PUSHED)),
        (price, result(PushOutcome.FAILED, message="price refused: fix it")),
        (status, result(PushOutcome.PUSHED)),
    ]
    [after], entries = record_results({"A": link("A")}, results, "job", NOW)
    assert after.sync_state is SyncState.ERROR
    assert (after.last_observed_quantity, after.last_observed_price, after.channel_status) == (
        6,
        None,
        VariantStatus.HIDDEN,
    )
    assert [e.field for e in entries] == ["quantity", "price", "status"]


def test_a_hide_that_would_hide_an_active_sibling_is_blocked_with_the_fix():
    listings = {
        "A": Listing(sku="A", status=ListingStatus.INACTIVE, updated_at=NOW),
        "B": Listing(sku="B", updated_at=NOW),
        "C": Listing(sku="C", status=ListingStatus.INACTIVE, updated_at=NOW),
        "D": Listing(sku="D", status=ListingStatus.INACTIVE, updated_at=NOW),
    }
    hides = [
        StatusPush(sku=sku, variant_id=f"v-{sku}", product_id=product, status=VariantStatus.HIDDEN)
        for sku, product in (("A", "p1"), ("C", "p2"), ("D", "p3"))
    ]
    products = {"p1": ["A", "B"], "p2": ["C", "D"]}  # p3: status per variant on this channel
    blocked = blocked_hides(hides, products, listings)
    assert list(blocked) == ["A"]
    assert blocked["A"].outcome is PushOutcome.FAILED
    assert "B on product p1 is active in master: set them inactive too" in blocked["A"].message
