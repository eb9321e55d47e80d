from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.domain.adjusting import MAX_FILE_ROWS, Adjustment, parse_adjustments
from shared.domain.importing import ImportRejected
from shared.domain.listing import Listing

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "field"),
    [({}, "on_hand"), ({"on_hand": 1, "delta": 2}, "delta"), ({"delta": 1, "committed": 2}, "committed")],
)
def test_a_change_gives_exactly_one_quantity(given, field):
    with pytest.raises(ValidationError) as refused:
        Adjustment(sku="A", **given)
    assert refused.value.errors()[0]["ctx"]["error"].field == field


@pytest.mark.parametrize("given", [{"on_hand": -1}, {"committed": -1}])
def test_a_value_set_is_never_negative(given):
    with pytest.raises(ValidationError):
        Adjustment(sku="A", **given)


def test_a_delta_takes_away_and_only_a_zero_delta_changes_nothing():
    assert Adjustment(sku="A", delta=-40).delta == -40
    assert Adjustment(sku="A", delta=0).changes_nothing
    assert not Adjustment(sku="A", on_hand=0).changes_nothing


@given(st.integers(-(10**6), 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_an_oversold_listing_pushes_zero(on_hand, committed, buffer):
    listing = Listing(sku="A", on_hand=on_hand, committed=committed, safety_buffer=buffer, updated_at=NOW)
    assert listing.syncable_balance == max(0, on_hand - committed - buffer)


def test_a_file_gives_each_row_with_its_line():
    rows = parse_adjustments("sku,on_hand,delta,committed\nA,4,,\nB,,-2,\nC,,,1\n")
    assert [(line, row.sku) for line, row in rows] == [(2, "A"), (3, "B"), (4, "C")]
    assert (rows[1][1].delta, rows[2][1].committed) == (-2, 1)


@pytest.mark.parametrize(
    ("text", "line", "column", "fix"),
    [
        ("sku,delta\nA,1\nB,two\n", 3, "delta", "like -3 or 12"),
        ("sku,on_hand\nA,-1\n", 2, "on_hand", "0 or more"),
        ("sku,committed\nA,-1\n", 2, "committed", "0 or more"),
        ("sku,on_hand,delta\nA,1,1\n", 2, "delta", "give only one of on_hand, delta or committed"),
        ("sku,on_hand,delta\nA,,\n", 2, "on_hand", "give one of on_hand, delta or committed"),
        ("sku,quantity\nA,1\n", 1, "quantity", "use only sku, on_hand, delta, committed"),
        ("on_hand\n1\n", 1, "sku", "add it"),
        ("sku,delta\nA,1\nA,2\n", 3, "sku", "also on line 2"),
        ("sku,delta\n", 2, "-", "no rows"),
    ],
)
def test_a_bad_file_names_line_column_and_fix(text, line, column, fix):
    with pytest.raises(ImportRejected) as refused:
        parse_adjustments(text)
    error = refused.value.errors[0]
    assert (error.line, error.column) == (line, column)
    assert fix in error.message
    assert "nothing changed" in str(refused.value)


def test_a_file_holds_at_most_the_rows_one_request_applies():
    parse_adjustments("sku,delta\n" + "".join(f"S{n},1\n" for n in range(MAX_FILE_ROWS)))
    with pytest.raises(ImportRejected, match=f"at most {MAX_FILE_ROWS} rows"):
        parse_adjustments("sku,delta\n" + "".join(f"S{n},1\n" for n in range(MAX_FILE_ROWS + 1)))
