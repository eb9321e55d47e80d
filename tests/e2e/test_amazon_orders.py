"""Orders on Amazon reach master in local mode: the Amazon sandbox sends ORDER_CHANGE to the queue the
template defines for Amazon's notifications (as Amazon sends to an SQS destination), its worker takes
the order off master once, however often the notification comes, and auto sync carries the new
balance to Shopify and WooCommerce (and back to Amazon). A quantity edited in Seller Central comes
as LISTINGS_ITEM_MFN_QUANTITY_CHANGE on the partner event bus, through the template's rule to the
same queue, and master's quantity goes back."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

import httpx
import pytest

from shared.storage import deliveries
from tests.waiting import eventually
from tidemark.local.linked import link_both_sandboxes
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.e2e

SKUS = [f"SKU-{i:05d}" for i in range(1, 31)]


@pytest.fixture(scope="module")
def three(stack: Any, api: Any) -> tuple[Any, Any, Any]:
    rows = "\n".join(f"{sku},{20 + n},0,0,true" for n, sku in enumerate(SKUS))
    shop, woo = link_both_sandboxes(
        stack,
        api,
        "sku,on_hand,committed,safety_buffer,auto_sync\n" + rows + "\n",
        {"shop": "s1", "woo": "w1"},
    )
    sandbox = stack.sandboxes["amazon"]
    api.add_channel(
        {
            "name": "amz",
            "type": "amazon",
            "store_url": sandbox.url,
            "allow_insecure_url": True,
            **sandbox.credentials,
        }
    )
    for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
        job = api.wait_for_job(api.start_job({"channel": "amz", **body})["id"], timeout_s=180)
        assert job["status"] == "completed", job
    return shop, woo, sandbox.store


def balance(api: Any, sku: str) -> int:
    return int(api.listing(sku)["syncable_balance"])


def test_an_amazon_order_decrements_master_once_and_reaches_the_other_channels(three: Any, api: Any) -> None:
    shop, woo, amazon = three
    before = balance(api, "SKU-00003")
    assert amazon.items["SKU-00003"].quantity == before
    amazon.faults.configure(FaultRates(webhook_duplicate=1.0))  # every notification delivered twice
    try:
        order = amazon.place_order([("SKU-00003", 2)])
    finally:
        amazon.faults.configure(FaultRates())
    eventually(lambda: shop.quantity("SKU-00003") == before - 2 and woo.quantity("SKU-00003") == before - 2)
    time.sleep(2)  # the duplicate has had its time
    assert balance(api, "SKU-00003") == before - 2
    assert amazon.items["SKU-00003"].quantity == before - 2
    entries = api.history("SKU-00003", channel="shop")["entries"]
    assert entries[0]["outcome"] == "pushed"
    amazon.cancel_order(order["id"])
    eventually(lambda: balance(api, "SKU-00003") == before and shop.quantity("SKU-00003") == before)
    eventually(lambda: woo.quantity("SKU-00003") == before and amazon.items["SKU-00003"].quantity == before)


def test_orders_elsewhere_reach_amazon(three: Any, api: Any) -> None:
    shop, woo, amazon = three
    before = balance(api, "SKU-00005")
    shop.place_order([("SKU-00005", 1)])
    woo.place_order([("SKU-00005", 2)])
    eventually(lambda: amazon.items["SKU-00005"].quantity == before - 3)
    assert balance(api, "SKU-00005") == before - 3


def get_order_calls(url: str) -> int:
    return int(httpx.get(f"{url}/admin/sandbox/amazon/counters").json()["calls"].get("getOrder", 0))


def test_a_cancel_amazon_does_not_hold_is_read_back_and_puts_nothing_back(
    three: Any, api: Any, stack: Any
) -> None:
    """An ORDER_CHANGE saying Canceled of an order Amazon holds Unshipped (a forged or a confused
    notification) is checked with getOrder first: nothing goes back until Amazon cancels it."""
    _, _, amazon = three
    url = stack.sandboxes["amazon"].url
    before = balance(api, "SKU-00007")
    order = amazon.place_order([("SKU-00007", 2)])
    eventually(lambda: balance(api, "SKU-00007") == before - 2)
    placed = next(
        n
        for n in reversed(amazon.notifications)
        if n["NotificationType"] == "ORDER_CHANGE"
        and n["Payload"]["OrderChangeNotification"]["AmazonOrderId"] == order["id"]
    )
    forged = copy.deepcopy(placed)
    forged["Payload"]["OrderChangeNotification"]["Summary"]["OrderStatus"] = "Canceled"
    forged["NotificationMetadata"]["NotificationId"] = str(uuid.uuid4())
    read_back = get_order_calls(url)
    amazon.deliver("sqs", forged)
    eventually(lambda: get_order_calls(url) > read_back)
    time.sleep(1)
    assert balance(api, "SKU-00007") == before - 2

    amazon.cancel_order(order["id"])  # Amazon's own cancel: read back Canceled, put back once
    eventually(lambda: balance(api, "SKU-00007") == before)


def test_a_seller_central_edit_comes_through_the_partner_bus_rule_and_master_puts_it_back(
    three: Any, api: Any
) -> None:
    shop, woo, amazon = three
    sku = "SKU-00009"
    before = balance(api, sku)
    assert amazon.items[sku].quantity == before
    amazon.edit_by_hand(sku, {"quantity": before + 7})
    (sent,) = [
        n
        for n in amazon.notifications
        if n["NotificationType"] == "LISTINGS_ITEM_MFN_QUANTITY_CHANGE"
        and n["Payload"] == {**n["Payload"], "Sku": sku, "Quantity": before + 7}
    ]
    # no reconcile, no sync: only the notification, through the rule, tells Tidemark of the edit
    eventually(lambda: amazon.items[sku].quantity == before)
    assert deliveries.seen("amz", f"amazon-{sent['NotificationMetadata']['NotificationId']}")
    entries = api.history(sku, channel="amz")["entries"]
    assert entries[0]["job_id"] == "channel-edit" and entries[0]["outcome"] == "pushed", entries[0]
    assert balance(api, sku) == before and shop.quantity(sku) == before and woo.quantity(sku) == before
