"""Parts of the Amazon client alone: the catalog cursor past one search's limit, the usage-plan
bucket, and reading a listings item."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.channels.amazon.answers import variant_of
from shared.channels.amazon.cursor import Cursor
from shared.channels.amazon.pacing import MARGIN_SECONDS, TokenBucket
from shared.channels.base import ChannelError
from tests.fakes import FakeClock

pytestmark = pytest.mark.unit


def item(sku: str, created: str) -> dict[str, Any]:
    return {"sku": sku, "summaries": [{"marketplaceId": "M", "asin": "B0X", "createdDate": created}]}


def test_a_search_cut_at_its_limit_goes_on_from_the_last_creation_time_without_repeating() -> None:
    page = [item("A", "t1"), item("B", "t2"), item("C", "t2")]
    after = Cursor.decode(Cursor().after_page({"numberOfResults": 5, "items": page}, page))
    assert (after.token, after.after, after.seen, after.read) == (None, "t2", frozenset({"B", "C"}), 0)


def test_a_search_read_to_its_end_has_no_next_cursor() -> None:
    page = [item("A", "t1")]
    assert Cursor().after_page({"numberOfResults": 1, "items": page}, page) is None
    assert Cursor().after_page({"numberOfResults": 0, "items": []}, []) is None


def test_a_page_token_continues_the_same_search() -> None:
    page = [item("A", "t1")]
    after = Cursor.decode(
        Cursor().after_page({"numberOfResults": 9, "items": page, "pagination": {"nextToken": "n"}}, page)
    )
    assert (after.token, after.read, after.last, after.at_last) == ("n", 1, "t1", frozenset({"A"}))


def test_more_listings_at_one_instant_than_a_search_holds_is_an_error_not_a_loop() -> None:
    state = Cursor(after="t1", seen=frozenset({"A", "B"}))
    page = [item("A", "t1"), item("B", "t1")]
    with pytest.raises(ChannelError, match="report"):
        state.after_page({"numberOfResults": 9, "items": page}, page)


def test_a_cursor_of_another_client_is_refused() -> None:
    with pytest.raises(ChannelError):
        Cursor.decode("not-a-cursor")


def test_the_bucket_waits_a_token_past_its_burst_and_takes_amazons_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5.0, 5, clock, clock.sleep)
    for _ in range(5):
        bucket.wait_turn()
    assert clock.sleeps == []
    bucket.wait_turn()
    assert clock.sleeps == [pytest.approx(0.2 + MARGIN_SECONDS)]
    bucket.observe("2.5")
    assert bucket.rate == 2.5
    assert bucket.throttled() == pytest.approx(0.4)
    bucket.observe("not a number")
    assert bucket.rate == 2.5


def test_a_listings_item_reads_as_a_variant() -> None:
    read = variant_of(
        {
            "sku": "S-1",
            "summaries": [{"marketplaceId": "ATVPDKIKX0DER", "asin": "B0ASIN", "status": ["DISCOVERABLE"]}],
            "attributes": {
                "externally_assigned_product_identifier": [{"type": "ean", "value": "4006381333931"}]
            },
            "offers": [{"marketplaceId": "ATVPDKIKX0DER", "offerType": "B2C", "price": {"amount": "9.50"}}],
            "fulfillmentAvailability": [
                {"fulfillmentChannelCode": "AMAZON_NA", "quantity": 9},
                {"fulfillmentChannelCode": "DEFAULT", "quantity": 4},
            ],
        },
        "ATVPDKIKX0DER",
    )
    assert (read.variant_id, read.product_id, read.barcode, read.quantity, read.price) == (
        "S-1",
        "B0ASIN",
        "4006381333931",
        4,
        Decimal("9.50"),
    )
