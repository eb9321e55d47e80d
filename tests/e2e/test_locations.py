"""End to end in local mode, judged on the sandboxes: a Shopify store with three locations fed by
two master locations gets each location's quantity in one push, WooCommerce the sum; an order at
one Shopify location comes off the master location feeding it and auto sync pushes the rest; a
bundle sold on WooCommerce takes its components off master, and the bundle and both components
reach Shopify; a hand edit at a location other than the link's own is found by a reconcile and put
back by a partial sync, one at a location mapped to nothing is left alone."""

import pytest

from tests.waiting import eventually
from tidemark import auth
from tidemark.local.linked import link_both_sandboxes
from tidemark.local.runtime import LocalRuntime

pytestmark = pytest.mark.e2e

L1, L2, L3 = 60_000_001, 60_000_002, 60_000_003
SKUS = [f"SKU-{i:05d}" for i in range(1, 13)]
KIT, PART_A, PART_B = "SKU-00009", "SKU-00010", "SKU-00011"


def gid(number: int) -> str:
    return f"gid://shopify/Location/{number}"


@pytest.fixture(scope="module")
def stack():
    with LocalRuntime(
        port=0, shopify_variants=20, woocommerce_products=20, seed=11, shopify_locations=3
    ) as runtime:
        auth.save(runtime.api_url, runtime.login())
        yield runtime
        auth.forget(runtime.api_url)


@pytest.fixture(scope="module")
def stores(stack, api):
    rows = "".join(f"{sku},10,true\n" for sku in SKUS)
    shop, woo = link_both_sandboxes(
        stack, api, "sku,on_hand,auto_sync\n" + rows, {"shop": "shop-secret", "woo": "woo-secret"}
    )
    for sku in SKUS:  # every item stocked at the store's three locations
        for location in (L1, L2, L3):
            if shop.available_at(sku, location) is None:
                shop.stock_at(sku, location, 0)
    api.add_location("east")
    for sku, east in (("SKU-00001", 5), (PART_B, 4)):
        api.adjust({"sku": sku, "on_hand": east, "location": "east", "reason": "purchase_order"})
    api.set_bundle(KIT, {PART_A: 1, PART_B: 2})
    api.location_map("shop", {gid(L1): ["default"], gid(L2): ["east"], "Warehouse 3": ["default", "east"]})
    api.location_map("woo", {"default": ["default", "east"]})
    for name in ("shop", "woo"):
        job = api.wait_for_job(api.start_job({"channel": name, "kind": "sync", "mode": "full"})["id"])
        assert job["status"] == "completed", job
    return shop, woo


def at(shop, sku):
    return tuple(shop.available_at(sku, location) for location in (L1, L2, L3))


def test_each_shopify_location_gets_what_its_master_locations_hold_and_woocommerce_the_sum(stores):
    shop, woo = stores
    assert at(shop, "SKU-00001") == (10, 5, 15)
    assert woo.quantity("SKU-00001") == 15
    assert at(shop, "SKU-00002") == (10, 0, 10)
    assert at(shop, KIT) == (5, 0, 5)  # default makes min(10, 10 // 2), east min(0, 4 // 2)
    assert woo.quantity(KIT) == 5


def test_an_order_at_one_shopify_location_comes_off_its_master_location_and_the_rest_follow(stores, api):
    shop, woo = stores
    shop.place_order([("SKU-00001", 2)], location=L2)
    eventually(
        lambda: (
            {r["location"]: r["on_hand"] for r in api.stock("SKU-00001")["locations"]}
            == {"default": 10, "east": 3}
        )
    )
    eventually(lambda: at(shop, "SKU-00001") == (10, 3, 13) and woo.quantity("SKU-00001") == 13)


def test_a_bundle_sold_on_woocommerce_takes_its_components_and_all_three_reach_shopify(stores, api):
    shop, woo = stores
    order = woo.place_order([(KIT, 1)])
    eventually(lambda: api.listing(PART_A)["on_hand"] == 9 and api.listing(PART_B)["on_hand"] == 12)
    assert api.listing(KIT)["on_hand"] == 10  # a bundle has no stock of its own: nothing taken off it
    eventually(lambda: at(shop, PART_A) == (9, 0, 9) and at(shop, PART_B) == (8, 4, 12))
    eventually(lambda: at(shop, KIT) == (4, 0, 4) and woo.quantity(PART_B) == 12)
    woo.cancel_order(order["id"])  # put back exactly where it was taken
    eventually(lambda: api.listing(PART_A)["on_hand"] == 10 and api.listing(PART_B)["on_hand"] == 14)
    eventually(lambda: at(shop, KIT) == (5, 0, 5))


def test_a_reconcile_compares_each_link_with_what_its_location_is_fed(stores, api):
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "reconcile"})["id"])
    assert job["status"] == "completed", job
    assert job["counts"]["out_of_sync"] == 0, job
    shop, _ = stores
    shop.set_quantity_by_hand("SKU-00002", 99)  # at the variant's own location: a hand edit
    eventually(lambda: 99 not in at(shop, "SKU-00002"))
    assert at(shop, "SKU-00002") == (10, 0, 10)


def shop_link(api, sku):
    return next(link for link in api.listing(sku)["links"] if link["channel"] == "shop")


def job_done(api, body):
    job = api.wait_for_job(api.start_job(body)["id"])
    assert job["status"] == "completed", job
    return job


def test_a_hand_edit_at_another_mapped_location_is_found_by_reconcile_and_put_back_by_a_partial_sync(
    stores, api
):
    shop, _ = stores
    # a listing linked at the first location, edited by hand at the second (its webhook names a
    # location other than the link's: no push-back, only a reconcile can find it)
    sku = next(s for s in SKUS[2:8] if shop_link(api, s)["location_id"] == gid(L1))
    before = at(shop, sku)
    full_map = {gid(L1): ["default"], gid(L2): ["east"], gid(L3): ["default", "east"]}
    api.location_map("shop", {**full_map, gid(L3): []})  # Warehouse 3 is left alone for a while
    try:
        shop.edit_by_hand(sku, {"quantity": 99, "location": L2})
        shop.edit_by_hand(sku, {"quantity": 77, "location": L3})
        assert job_done(api, {"channel": "shop", "kind": "reconcile"})["counts"]["out_of_sync"] == 1
        page = api.listings(channel="shop", link_state="out_of_sync")
        assert [row["sku"] for row in page["listings"]] == [sku]
        reason = page["listings"][0]["channels"]["shop"]["reason"]
        assert reason == f"quantity at Warehouse 2 ({gid(L2)}): channel 99, master {before[1]}", reason
        job = job_done(api, {"channel": "shop", "kind": "sync", "mode": "partial"})
        assert job["counts"]["pushed"] == 1, job
        assert at(shop, sku) == (before[0], before[1], 77)  # the unmapped location kept its edit
        assert shop_link(api, sku)["sync_state"] == "in_sync"
    finally:
        api.location_map("shop", full_map)
    reconciled = job_done(api, {"channel": "shop", "kind": "reconcile"})  # Warehouse 3 mapped again
    assert reconciled["counts"]["out_of_sync"] == 1, reconciled
    assert "Warehouse 3" in shop_link(api, sku)["out_of_sync_reason"]
    job_done(api, {"channel": "shop", "kind": "sync", "mode": "partial"})
    assert at(shop, sku) == before


def test_a_components_change_is_pushed_to_its_bundle_by_a_smart_sync_with_auto_sync_off(stores, api):
    shop, _ = stores
    api.set_auto_sync({"auto_sync": False, "skus": [KIT]})
    kits_before = at(shop, KIT)
    api.adjust({"sku": PART_A, "on_hand": 2, "location": "default", "reason": "manual"})  # makes 2 at default
    eventually(lambda: at(shop, PART_A)[0] == 2)
    assert at(shop, KIT) == kits_before  # auto sync is off for the bundle
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "sync", "mode": "smart"})["id"])
    assert job["status"] == "completed", job
    assert at(shop, KIT) == (2, 0, 2)
    api.set_auto_sync({"auto_sync": True, "skus": [KIT]})
