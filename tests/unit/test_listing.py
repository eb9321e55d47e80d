from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain.listing import Listing

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 23, tzinfo=UTC)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_syncable_balance_is_on_hand_less_committed_less_buffer_never_below_zero(on_hand, committed, buffer):
    listing = Listing(sku="A", on_hand=on_hand, committed=committed, safety_buffer=buffer, updated_at=NOW)
    assert listing.syncable_balance == max(0, on_hand - committed - buffer)
    assert listing.syncable_balance >= 0


def test_example_balance():
    listing = Listing(sku="A", on_hand=10, committed=3, safety_buffer=2, updated_at=NOW)
    assert listing.syncable_balance == 5
