from collections import defaultdict
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.channels.base import ChannelVariant, VariantStatus
from shared.domain.channel import LinkPriority
from shared.domain.link import LinkStatus
from shared.domain.linking import Catalog, LinkOutcome, channel_fields, channel_value, decide, new_link
from shared.domain.listing import Listing

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)
SKU = LinkPriority(listing_field="sku", channel_field="sku")
UPC = LinkPriority(listing_field="upc", channel_field="barcode")


def variant(number: int, sku: str = "", barcode: str = "", **changes) -> ChannelVariant:
    fields = {"product_id": "p", "inventory_item_id": f"i{number}", "location_id": "l", "quantity": 0}
    return ChannelVariant(variant_id=str(number), sku=sku, barcode=barcode, **{**fields, **changes})


def listing(sku: str, upc: str = "") -> Listing:
    return Listing(sku=sku, upc=upc, updated_at=NOW)


def catalog_of(variants, priorities=(SKU, UPC)) -> Catalog:
    """What the link job's catalog read holds for these variants (see shared/storage/catalog.py)."""
    holders = defaultdict(list)
    for v in variants:
        for field in channel_fields(priorities):
            if value := channel_value(v, field):
                holders[(field, value)].append(v.variant_id)
    return Catalog(holders, {v.variant_id: v for v in variants})


def link_of(sku, variants, priorities=(SKU, UPC), current=None, upc=""):
    return decide("shop", listing(sku, upc), current, catalog_of(variants, priorities), priorities, NOW)


def test_first_priority_that_matches_exactly_one_variant_links():
    decision = link_of(
        "A", [variant(1, sku="A", barcode="111"), variant(2, sku="B", barcode="222")], upc="222"
    )
    assert decision.outcome is LinkOutcome.LINKED
    assert (decision.link.variant_id, decision.link.matched_field, decision.link.matched_value) == (
        "1",
        "sku",
        "A",
    )


def test_falls_through_to_the_next_priority():
    decision = link_of("A", [variant(1, sku="other", barcode="111")], upc="111")
    assert (decision.outcome, decision.link.variant_id, decision.link.matched_field) == (
        LinkOutcome.LINKED,
        "1",
        "barcode",
    )


def test_empty_values_never_match():
    assert (
        link_of("A", [variant(1, sku="", barcode="")], priorities=(UPC,)).outcome is LinkOutcome.EMPTY_VALUE
    )


def test_a_duplicated_value_links_nothing_and_names_the_variants_and_the_fix():
    decision = link_of("X", [variant(12, sku="X"), variant(11, sku="X")], priorities=(SKU,))
    assert (decision.outcome, decision.link) == (LinkOutcome.DUPLICATE, None)
    assert decision.reason == (
        "duplicate sku 'X' on channel 'shop': variants 11, 12 share it, so none was linked; "
        "make it unique there, then re-link"
    )


def test_a_duplicate_on_the_first_priority_falls_through_to_a_unique_second():
    variants = [variant(1, sku="X", barcode="111"), variant(2, sku="X", barcode="222")]
    decision = link_of("X", variants, upc="222")
    assert (decision.outcome, decision.link.variant_id) == (LinkOutcome.LINKED, "2")
    assert decision.duplicates[0].value == "X"


def test_a_link_records_the_variant_its_item_location_and_status():
    hidden = variant(5, sku="A", status=VariantStatus.HIDDEN, quantity=7)
    link = link_of("A", [hidden]).link
    assert (link.inventory_item_id, link.location_id, link.channel_status, link.last_observed_quantity) == (
        "i5",
        "l",
        VariantStatus.HIDDEN,
        7,
    )


def test_a_linked_listing_stays_linked_and_picks_up_the_channel_status():
    current = new_link("shop", "A", variant(1, sku="A"), "sku", "A", NOW)
    same = link_of("A", [variant(1, sku="A")], current=current)
    assert (same.outcome, same.link) == (LinkOutcome.ALREADY_LINKED, None)
    hidden = link_of("A", [variant(1, sku="A", status=VariantStatus.HIDDEN)], current=current)
    assert (hidden.outcome, hidden.link.channel_status) == (LinkOutcome.ALREADY_LINKED, VariantStatus.HIDDEN)


def test_a_variant_gone_from_the_channel_unlinks_with_the_reason():
    current = new_link("shop", "A", variant(1, sku="A"), "sku", "A", NOW)
    decision = link_of("A", [variant(2, sku="B")], current=current)
    assert (decision.outcome, decision.link.status) == (LinkOutcome.VARIANT_GONE, LinkStatus.UNLINKED)
    assert decision.link.unlinked_reason == "variant 1 is gone from 'shop'"


def test_a_sku_changed_on_the_channel_unlinks_with_the_reason():
    current = new_link("shop", "A", variant(1, sku="A"), "sku", "A", NOW)
    decision = link_of("A", [variant(1, sku="A-2")], current=current)
    assert (decision.outcome, decision.link.status) == (LinkOutcome.VALUE_CHANGED, LinkStatus.UNLINKED)
    assert "changed on 'shop' from 'A' to 'A-2'" in decision.link.unlinked_reason


def test_a_sku_moved_to_another_variant_relinks_to_it():
    current = new_link("shop", "A", variant(1, sku="A"), "sku", "A", NOW)
    decision = link_of("A", [variant(1, sku="A-old"), variant(2, sku="A")], current=current)
    assert (decision.outcome, decision.link.variant_id) == (LinkOutcome.LINKED, "2")


@given(st.lists(st.sampled_from(["A", "B", "C", "D", ""]), max_size=12))
def test_a_link_is_made_exactly_when_the_value_is_unique(skus):
    variants = [variant(i, sku=s) for i, s in enumerate(skus)]
    for sku in "ABCD":
        linked = link_of(sku, variants, priorities=(SKU,)).outcome is LinkOutcome.LINKED
        assert linked == (skus.count(sku) == 1)


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.sampled_from(["", "1", "2"])), max_size=10))
def test_deciding_again_after_linking_changes_nothing(pairs):
    variants = [variant(i, sku=s, barcode=b) for i, (s, b) in enumerate(pairs)]
    for sku in "ABC":
        first = link_of(sku, variants, upc="1")
        if first.outcome is LinkOutcome.LINKED:
            again = link_of(sku, variants, current=first.link, upc="1")
            assert (again.outcome, again.link) == (LinkOutcome.ALREADY_LINKED, None)
