from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.channels.base import ChannelVariant
from shared.domain.channel import LinkPriority
from shared.domain.linking import match_listings
from shared.domain.listing import Listing

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)
SKU = LinkPriority(listing_field="sku", channel_field="sku")
UPC = LinkPriority(listing_field="upc", channel_field="barcode")


def variant(number: int, sku: str = "", barcode: str = "") -> ChannelVariant:
    return ChannelVariant(
        variant_id=str(number),
        product_id="p",
        sku=sku,
        barcode=barcode,
        inventory_item_id=f"i{number}",
        location_id="l",
        quantity=0,
    )


def listing(sku: str, upc: str = "") -> Listing:
    return Listing(sku=sku, upc=upc, updated_at=NOW)


def test_first_priority_that_matches_exactly_one_variant_links():
    variants = [variant(1, sku="A", barcode="111"), variant(2, sku="B", barcode="222")]
    matches = match_listings("shop", [listing("A", upc="222")], variants, [SKU, UPC])
    assert matches.linked["A"].variant_id == "1"


def test_falls_through_to_the_next_priority():
    variants = [variant(1, sku="other", barcode="111")]
    matches = match_listings("shop", [listing("A", upc="111")], variants, [SKU, UPC])
    assert matches.linked["A"].variant_id == "1"


def test_empty_values_never_match():
    variants = [variant(1, sku="", barcode="")]
    matches = match_listings("shop", [listing("A", upc="")], variants, [UPC])
    assert matches.linked == {}
    assert matches.empty == ["A"]


def test_a_duplicated_value_links_nothing_and_names_the_fix():
    variants = [variant(11, sku="X"), variant(12, sku="X")]
    matches = match_listings("shop", [listing("X")], variants, [SKU])
    assert matches.linked == {}
    assert (
        matches.duplicates[0].fix
        == "duplicate sku 'X' on channel 'shop': variants 11, 12; make it unique there"
    )
    assert matches.not_matched == []


@given(st.lists(st.sampled_from(["A", "B", "C", "D", ""]), max_size=12))
def test_a_link_is_made_exactly_when_the_value_is_unique(skus):
    variants = [variant(i, sku=s) for i, s in enumerate(skus)]
    matches = match_listings("shop", [listing(s) for s in "ABCD"], variants, [SKU])
    for sku in "ABCD":
        assert (sku in matches.linked) == (skus.count(sku) == 1)
