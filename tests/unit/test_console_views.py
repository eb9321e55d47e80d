"""The console's domain: a listing's one link state per channel and where the sparse index holds
it, the Listings filter and its cursor, and the Overview's problems with their actions."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.link_state import (
    IndexedState,
    LinkState,
    Unmatched,
    UnmatchedCause,
    indexed_state,
    link_state,
    unmatched_state,
)
from shared.domain.listing import Listing
from shared.domain.listing_query import BadListingCursor, ListingQuery, decode_cursor, encode_cursor
from shared.domain.problems import Cause, cause_of, job_problem, link_problems

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def link(status=LinkStatus.LINKED, sync_state=SyncState.IN_SYNC):
    return Link(sku="A", channel="shop", status=status, sync_state=sync_state, updated_at=NOW)


def note(cause):
    return Unmatched(sku="A", channel="shop", cause=cause, reason="why")


@pytest.mark.parametrize(
    ("found", "unmatched", "state", "indexed"),
    [
        (link(), None, LinkState.LINKED, None),  # the many: no index entry, counted instead
        (link(sync_state=SyncState.OUT_OF_SYNC), None, LinkState.OUT_OF_SYNC, IndexedState.OUT_OF_SYNC),
        (link(sync_state=SyncState.ERROR), None, LinkState.ERROR, IndexedState.ERROR),
        (link(status=LinkStatus.UNLINKED), None, LinkState.UNLINKED, IndexedState.UNLINKED),
        (None, None, LinkState.UNLINKED, None),
        (None, note(UnmatchedCause.NO_MATCH), LinkState.UNLINKED, None),
        (None, note(UnmatchedCause.DUPLICATE), LinkState.DUPLICATE, None),
        (
            link(status=LinkStatus.UNLINKED),
            note(UnmatchedCause.DUPLICATE),
            LinkState.DUPLICATE,
            IndexedState.UNLINKED,
        ),
    ],
)
def test_a_listing_has_one_state_on_a_channel(found, unmatched, state, indexed):
    assert link_state(found, unmatched) is state
    if found is not None:
        assert indexed_state(found) is indexed


def test_notes_are_indexed_by_their_cause():
    assert unmatched_state(note(UnmatchedCause.DUPLICATE)) is IndexedState.DUPLICATE
    assert unmatched_state(note(UnmatchedCause.EMPTY_VALUE)) is IndexedState.UNMATCHED


def listing(**values):
    return Listing(
        **{"sku": "MUG-1", "title": "Red Mug", "on_hand": 10, "committed": 3, "updated_at": NOW, **values}
    )


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ({}, True),
        ({"sku_prefix": "MUG"}, True),
        ({"sku_prefix": "mug"}, False),  # SKUs are case-sensitive
        ({"title": "red mug"}, True),
        ({"quantity_min": 7, "quantity_max": 7}, True),  # the syncable balance, not on hand
        ({"quantity_min": 8}, False),
        ({"auto_sync": False, "status": "active", "created_by": "file_import"}, True),
        ({"auto_sync": True}, False),
    ],
)
def test_the_filter_holds_a_listing_when_every_filter_given_does(query, matches):
    assert ListingQuery(**query).matches(listing()) is matches


def test_a_link_state_is_of_the_channel_given():
    query = ListingQuery(channel="shop", link_state="duplicate")
    assert query.matches(listing(), LinkState.DUPLICATE)
    assert not query.matches(listing(), LinkState.LINKED)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"quantity_min": 5, "quantity_max": 4}, "quantity_max"),
        ({"link_state": "linked"}, "channel"),
        ({"channel": "shop"}, "link_state"),
    ],
)
def test_filters_that_cannot_go_together_name_the_one_to_fix(query, field):
    with pytest.raises(ValidationError) as refused:
        ListingQuery(**query)
    assert refused.value.errors()[0]["ctx"]["error"].field == field


def test_the_cursor_round_trips_and_a_forged_one_is_refused():
    assert decode_cursor(encode_cursor("SKU-©-1")) == "SKU-©-1"
    assert encode_cursor(None) is None and decode_cursor(None) is None
    for forged in ("nope", "e30=", encode_cursor("")):
        with pytest.raises(BadListingCursor, match=r"^cursor: "):
            decode_cursor(forged)


def test_each_link_problem_has_its_fix_and_action():
    problems = link_problems("shop", {Cause.DUPLICATE_SKU: 2, Cause.OUT_OF_SYNC: 0, Cause.REJECTED: 1})
    assert [(p.cause, p.count, p.action.label) for p in problems] == [
        (Cause.DUPLICATE_SKU, 2, "Re-link"),
        (Cause.REJECTED, 1, "Partial sync"),
    ]
    assert problems[0].action.model_dump() == {
        "label": "Re-link",
        "method": "POST",
        "path": "/v1/jobs",
        "body": {"channel": "shop", "kind": "relink"},
    }


@pytest.mark.parametrize(
    ("message", "cause", "label"),
    [
        (
            "Shopify refused the access token for https://x: HTTP 401",
            Cause.BAD_CREDENTIALS,
            "Enter new credentials",
        ),
        (
            "WooCommerce refused the consumer key for https://x",
            Cause.BAD_CREDENTIALS,
            "Enter new credentials",
        ),
        ("Shopify throttled https://x 8 times in a row", Cause.THROTTLED, "Re-run"),
        ("price: must be at least 0", Cause.REJECTED, "Re-run"),
    ],
)
def test_a_failed_job_is_grouped_by_the_cause_it_names(message, cause, label):
    assert cause_of(message) is cause
    problem = job_problem("shop", "j1", "", [message], 3)
    assert (problem.cause, problem.action.label, problem.job_id, problem.count) == (cause, label, "j1", 3)
