from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.domain.importing import ImportRejected, parse_listings_csv
from shared.domain.listing import AutoSyncRules, CreatedBy, Listing, ListingStatus

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def test_only_sku_is_required_and_every_column_is_read():
    rows = parse_listings_csv(
        "sku,upc,mpn,title,on_hand,committed,safety_buffer,price,status,auto_sync\n"
        "A-1,0123,M1,Mug,10,2,1,9.50,inactive,true\n"
        "B-2,,,,,,,,,\n"
    )
    first = rows[0].apply_to(None, NOW, CreatedBy.FILE_IMPORT)
    assert (first.sku, first.upc, first.on_hand, first.committed, first.safety_buffer) == (
        "A-1",
        "0123",
        10,
        2,
        1,
    )
    assert first.price == Decimal("9.50")
    assert first.status is ListingStatus.INACTIVE
    assert first.auto_sync is True
    second = rows[1].apply_to(None, NOW, CreatedBy.FILE_IMPORT)
    assert (second.sku, second.on_hand, second.price) == ("B-2", 0, None)


def test_reimport_changes_only_the_cells_given():
    current = Listing(sku="A", title="Mug", on_hand=5, committed=1, price=Decimal("3.00"), updated_at=NOW)
    (row,) = parse_listings_csv("sku,on_hand\nA,42\n")
    updated = row.apply_to(current, NOW, CreatedBy.FILE_IMPORT)
    assert (updated.on_hand, updated.title, updated.committed, updated.price) == (
        42,
        "Mug",
        1,
        Decimal("3.00"),
    )


@pytest.mark.parametrize(
    ("text", "line", "column", "fix"),
    [
        ("sku,on_hand\nA,1\nB,-3\n", 3, "on_hand", "whole number of 0 or more"),
        ("sku,on_hand\nA,lots\n", 2, "on_hand", "whole number of 0 or more"),
        ("sku,price\nA,1.999\n", 2, "price", "at most 2 decimals"),
        ("sku,status\nA,gone\n", 2, "status", "active or inactive"),
        ("sku,auto_sync\nA,perhaps\n", 2, "auto_sync", "true or false"),
        ("sku,on_hand\n,4\n", 2, "sku", "give every row a SKU"),
        ("sku,colour\nA,red\n", 1, "colour", "use only sku, upc"),
        ("title\nMug\n", 1, "sku", "add it"),
        ("sku\nA\nA\n", 3, "sku", "also on line 2"),
        ("sku,on_hand\nA,1,2\n", 2, "-", "more cells"),
        ("sku\n", 2, "-", "no rows"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_line_column_and_fix(text, line, column, fix):
    with pytest.raises(ImportRejected) as refused:
        parse_listings_csv(text)
    error = refused.value.errors[0]
    assert (error.line, error.column) == (line, column)
    assert fix in error.message
    assert f"line {line}" in str(refused.value)


@pytest.mark.parametrize("created_by", list(CreatedBy))
def test_a_new_listing_takes_its_rule_and_its_row_wins(created_by):
    (bare,) = parse_listings_csv("sku\nA\n", created_by)
    (flagged,) = parse_listings_csv("sku,auto_sync\nA,false\n", created_by)
    assert bare.apply_to(None, NOW, created_by, auto_sync=True).auto_sync is True
    assert bare.apply_to(None, NOW, created_by, auto_sync=False).auto_sync is False
    assert flagged.apply_to(None, NOW, created_by, auto_sync=True).auto_sync is False
    assert bare.apply_to(None, NOW, created_by).created_by is created_by


def test_a_rule_leaves_an_existing_listing_as_it_is():
    current = Listing(sku="A", auto_sync=False, updated_at=NOW)
    (row,) = parse_listings_csv("sku\nA\n")
    assert row.apply_to(current, NOW, CreatedBy.MANUAL, auto_sync=True) is current


def test_an_order_import_creates_listings_at_zero_and_sets_no_on_hand():
    (row,) = parse_listings_csv("sku,title\nO-1,From an order\n", CreatedBy.ORDER_IMPORT)
    assert row.apply_to(None, NOW, CreatedBy.ORDER_IMPORT).on_hand == 0
    with pytest.raises(ImportRejected) as refused:
        parse_listings_csv("sku,on_hand\nO-1,\nO-2,4\n", CreatedBy.ORDER_IMPORT)
    (error,) = refused.value.errors
    assert (error.line, error.column) == (3, "on_hand")
    assert "0 on hand" in error.message


def test_rules_start_off_and_give_each_creation_method_its_own():
    assert not any(AutoSyncRules().default_for(c) for c in CreatedBy)
    rules = AutoSyncRules(manual=True, feed=True)
    assert [c for c in CreatedBy if rules.default_for(c)] == [CreatedBy.MANUAL, CreatedBy.FEED]
