"""All four channels at once in local mode: Shopify, WooCommerce, Amazon and eBay linked to one
master catalog and fully synced; a sale on each reaches master once and the three others through
auto sync, judged on the sandboxes; and each one's cancel (where its channel has one) puts it back
everywhere."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.waiting import eventually
from tidemark.local.linked import link_both_sandboxes, link_marketplaces
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.e2e

SKUS = [f"SKU-{i:05d}" for i in range(1, 31)]
TOKEN = "verification-token-0123456789abcdef-0123456789"  # eBay's: 32 to 80 characters


class Stores:
    """The four sandboxes' stores, read and sold on alike."""

    def __init__(self, stack: Any) -> None:
        self.by_channel = {
            "shop": stack.sandboxes["shopify"].store,
            "woo": stack.sandboxes["woocommerce"].store,
            "amz": stack.sandboxes["amazon"].store,
            "bay": stack.sandboxes["ebay"].store,
        }

    def quantity(self, channel: str, sku: str) -> int:
        store = self.by_channel[channel]
        return int(store.items[sku].quantity) if channel == "amz" else int(store.quantity(sku))

    def sell(self, channel: str, sku: str, units: int) -> dict[str, Any]:
        return dict(self.by_channel[channel].place_order([(sku, units)]))


@pytest.fixture(scope="module")
def four(stack: Any, api: Any) -> Stores:
    rows = "\n".join(f"{sku},{30 + n},0,0,true" for n, sku in enumerate(SKUS))
    link_both_sandboxes(
        stack,
        api,
        "sku,on_hand,committed,safety_buffer,auto_sync\n" + rows + "\n",
        {"shop": "s4", "woo": "w4"},
    )
    link_marketplaces(stack, api, TOKEN)
    return Stores(stack)


def balance(api: Any, sku: str) -> int:
    return int(api.listing(sku)["syncable_balance"])


@pytest.mark.parametrize(
    ("channel", "sku"),
    [("shop", "SKU-00002"), ("woo", "SKU-00003"), ("amz", "SKU-00004"), ("bay", "SKU-00005")],
)
def test_a_sale_on_one_channel_reaches_master_once_and_the_three_others(
    four: Stores, api: Any, channel: str, sku: str
) -> None:
    before = balance(api, sku)
    assert {name: four.quantity(name, sku) for name in four.by_channel} == dict.fromkeys(
        four.by_channel, before
    )
    four.sell(channel, sku, 2)
    eventually(
        lambda: (
            {name: four.quantity(name, sku) for name in four.by_channel}
            == dict.fromkeys(four.by_channel, before - 2)
        )
    )
    time.sleep(2)  # redeliveries and push-backs have had their time: still taken once
    assert balance(api, sku) == before - 2
    assert {name: four.quantity(name, sku) for name in four.by_channel} == dict.fromkeys(
        four.by_channel, before - 2
    )


def test_a_cancel_on_amazon_puts_the_units_back_on_every_channel(four: Stores, api: Any) -> None:
    sku = "SKU-00006"
    before = balance(api, sku)
    order = four.sell("amz", sku, 3)
    eventually(lambda: balance(api, sku) == before - 3 and four.quantity("bay", sku) == before - 3)
    four.by_channel["amz"].cancel_order(order["id"])
    eventually(
        lambda: (
            {name: four.quantity(name, sku) for name in four.by_channel}
            == dict.fromkeys(four.by_channel, before)
        )
    )
    assert balance(api, sku) == before


def test_a_hand_edit_on_amazon_is_found_by_reconcile_and_restored_by_a_partial_sync(
    four: Stores, api: Any
) -> None:
    sku = "SKU-00008"
    held = balance(api, sku)
    amazon = four.by_channel["amz"]
    amazon.faults.configure(FaultRates(webhook_drop=1.0))  # its notification lost: reconcile finds it
    try:
        amazon.edit_by_hand(sku, {"quantity": held + 5})  # in Seller Central
    finally:
        amazon.faults.configure(FaultRates())
    reconciled = api.wait_for_job(api.start_job({"channel": "amz", "kind": "reconcile"})["id"], timeout_s=120)
    assert reconciled["status"] == "completed" and reconciled["counts"]["out_of_sync"] >= 1, reconciled
    partial = api.wait_for_job(
        api.start_job({"channel": "amz", "kind": "sync", "mode": "partial"})["id"], timeout_s=120
    )
    assert partial["status"] == "completed" and partial["counts"]["pushed"] >= 1, partial
    assert four.quantity("amz", sku) == held == balance(api, sku)
