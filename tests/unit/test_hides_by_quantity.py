"""A channel with no listing status (Amazon): a listing hidden in master is sent quantity 0 and no
status, and reconcile expects 0 there and compares no status."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from shared.channels.base import ChannelVariant, VariantStatus
from shared.domain.link import Link, LinkStatus
from shared.domain.listing import Listing, ListingStatus
from shared.domain.reconciling import differences
from shared.domain.syncing import plan_pushes

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, tzinfo=UTC)


def link(sku: str) -> Link:
    return Link(
        sku=sku,
        channel="amz",
        status=LinkStatus.LINKED,
        variant_id=sku,
        inventory_item_id=sku,
        location_id="DEFAULT",
        last_observed_quantity=5,
        updated_at=NOW,
    )


def variant(sku: str, quantity: int) -> ChannelVariant:
    return ChannelVariant(
        variant_id=sku,
        product_id="B0X",
        sku=sku,
        inventory_item_id=sku,
        location_id="DEFAULT",
        quantity=quantity,
        price=Decimal("2.00"),
    )


LISTINGS = {
    "HIDDEN": Listing(
        sku="HIDDEN", on_hand=9, price=Decimal("2.00"), status=ListingStatus.INACTIVE, updated_at=NOW
    ),
    "SHOWN": Listing(sku="SHOWN", on_hand=9, price=Decimal("2.00"), updated_at=NOW),
}
LINKS = {sku: link(sku) for sku in LISTINGS}


def test_a_hidden_listing_is_sent_quantity_0_and_no_status() -> None:
    plan = plan_pushes("amz", list(LISTINGS), LISTINGS, LINKS, hides_by_quantity=True)
    assert {p.sku: p.quantity for p in plan.quantities} == {"HIDDEN": 0, "SHOWN": 9}
    assert plan.statuses == []


def test_elsewhere_a_hidden_listing_keeps_its_quantity_and_has_its_status_pushed() -> None:
    plan = plan_pushes("shop", list(LISTINGS), LISTINGS, LINKS)
    assert {p.sku: p.quantity for p in plan.quantities} == {"HIDDEN": 9, "SHOWN": 9}
    assert [(p.sku, p.status) for p in plan.statuses] == [("HIDDEN", VariantStatus.HIDDEN)]


def test_reconcile_expects_0_for_a_hidden_listing_and_compares_no_status() -> None:
    assert differences(LISTINGS["HIDDEN"], variant("HIDDEN", 0), hides_by_quantity=True) == []
    assert differences(LISTINGS["HIDDEN"], variant("HIDDEN", 9), hides_by_quantity=True) == [
        "quantity: channel 9, master 0"
    ]
    assert differences(LISTINGS["SHOWN"], variant("SHOWN", 0), hides_by_quantity=True) == [
        "quantity: channel 0, master 9"
    ]
    assert "status: channel active, master hidden" in differences(LISTINGS["HIDDEN"], variant("HIDDEN", 9))
