from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.listing import CreatedBy, Listing, ListingStatus
from shared.domain.selection import FilterError, ListingFilter

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def listing(**given):
    return Listing(**{"sku": "ABC-1", "title": "Blue Shirt", "on_hand": 5, "updated_at": NOW, **given})


@pytest.mark.parametrize(
    ("expression", "matching", "other"),
    [
        ("status=active", {}, {"status": ListingStatus.INACTIVE}),
        ("status=INACTIVE", {"status": ListingStatus.INACTIVE}, {}),
        ("sku-prefix=ABC", {}, {"sku": "abc-1"}),
        ("title=shirt", {}, {"title": "Mug"}),
        ("title= BLUE sh", {}, {"title": "Blue"}),
        ("created-by=feed", {"created_by": CreatedBy.FEED}, {}),
        ("created-by=order-import", {"created_by": CreatedBy.ORDER_IMPORT}, {}),
        ("created-by=file_import", {}, {"created_by": CreatedBy.MANUAL}),
        ("quantity=0..10", {}, {"on_hand": 11}),
        ("quantity=5..", {"on_hand": 5}, {"on_hand": 4}),
        ("quantity=..0", {"on_hand": -3}, {"on_hand": 1}),
        ("quantity=-5..-1", {"on_hand": -1}, {"on_hand": 0}),
        ("quantity=5", {}, {"on_hand": 6}),
    ],
)
def test_each_filter_matches_what_it_says(expression, matching, other):
    selection = ListingFilter.parse([expression])
    assert selection.matches(listing(**matching))
    assert not selection.matches(listing(**other))


@given(
    st.sampled_from(list(ListingStatus)),
    st.sampled_from(list(CreatedBy)),
    st.integers(-20, 20),
    st.sampled_from(["Blue Shirt", "Mug", "shirt"]),
)
def test_a_listing_matches_filters_when_it_matches_every_one(status, created_by, on_hand, title):
    item = listing(status=status, created_by=created_by, on_hand=on_hand, title=title)
    expressions = ["status=active", "created-by=feed", "quantity=0..10", "title=shirt"]
    each = [ListingFilter.parse([e]).matches(item) for e in expressions]
    assert ListingFilter.parse(expressions).matches(item) == all(each)
    assert ListingFilter.parse([]).matches(item)


def test_the_filters_keep_their_expressions_and_prefix():
    selection = ListingFilter.parse([" sku-prefix=AB ", "status=active"])
    assert selection.expressions == ("sku-prefix=AB", "status=active")
    assert selection.sku_prefix == "AB"


@pytest.mark.parametrize(
    ("expressions", "hint"),
    [
        (["colour=red"], "unknown filter 'colour': use status=active"),
        (["status"], "not key=value"),
        (["=active"], "not key=value"),
        (["title="], "title has no value"),
        (["status=gone"], "active or inactive"),
        (["created-by=robot"], "manual, file-import, order-import or feed"),
        (["quantity=lots"], "0..10, 5.., ..0 or 7"),
        (["quantity=.."], "0..10, 5.., ..0 or 7"),
        (["quantity=10..2"], "put the smaller bound first"),
        (["status=active", "status=inactive"], "given twice"),
    ],
)
def test_a_bad_filter_names_itself_and_the_fix(expressions, hint):
    with pytest.raises(FilterError) as refused:
        ListingFilter.parse(expressions)
    assert str(refused.value).startswith(f"filters: '{expressions[-1]}'")
    assert hint in str(refused.value)
