from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.channels.base import PushOutcome, PushResult, QuantityPush
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.syncing import chunked, plan_quantity_pushes, record_quantity_result, shard_of

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
    plan = plan_quantity_pushes("shop", ["A", "B", "C", "D"], listings, links)
    assert plan.pushes == [
        QuantityPush(sku="A", inventory_item_id="i-A", location_id="l", quantity=6, expected=4)
    ]
    assert "not linked to channel 'shop' (variant deleted): run a re-link" in plan.skipped["B"]
    assert "not linked" in plan.skipped["C"]
    assert "no longer in master" in plan.skipped["D"]


def test_results_update_the_link_and_write_history():
    push = QuantityPush(sku="A", inventory_item_id="i", location_id="l", quantity=6, expected=4)
    pushed, entry = record_quantity_result(
        link("A"), push, PushResult(sku="A", outcome=PushOutcome.PUSHED, observed=6), "job", NOW
    )
    assert (pushed.last_pushed_quantity, pushed.last_observed_quantity, pushed.sync_state) == (
        6,
        6,
        SyncState.IN_SYNC,
    )
    assert (entry.from_value, entry.to_value, entry.outcome) == ("4", "6", PushOutcome.PUSHED)

    conflict, _ = record_quantity_result(
        link("A"), push, PushResult(sku="A", outcome=PushOutcome.CONFLICT, observed=9), "job", NOW
    )
    assert (conflict.last_observed_quantity, conflict.sync_state) == (9, SyncState.OUT_OF_SYNC)

    failed, entry = record_quantity_result(
        link("A"),
        push,
        PushResult(sku="A", outcome=PushOutcome.FAILED, message="not stocked: stock it"),
        "job",
        NOW,
    )
    assert failed.sync_state is SyncState.ERROR and entry.message == "not stocked: stock it"
