"""End to end in local mode: listings imported, a channel on the Shopify sandbox, every listing
linked by SKU, a full sync through Step Functions, the FIFO queue and the push handler."""

import json
import time
from datetime import timedelta

import boto3
import pytest

pytestmark = pytest.mark.e2e
VARIANTS = 60


@pytest.fixture(scope="module")
def synced(stack, api):
    rows = "\n".join(f"SKU-{i:05d},{i * 3},{i % 4},{i % 3},{i}.50" for i in range(1, VARIANTS + 1))
    api.import_listings("sku,on_hand,committed,safety_buffer,price\n" + rows + "\nLONELY-1,5,0,0,1.00\n")
    shop = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": "shop",
            "type": "shopify",
            "store_url": shop.url,
            "allow_insecure_url": True,
            **shop.credentials,
        }
    )
    link_job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "link"})["id"])
    sync_job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "sync", "mode": "full"})["id"])
    return link_job, sync_job


def test_every_listing_is_linked_by_sku(synced, api):
    link_job, _ = synced
    assert link_job["status"] == "completed", link_job
    assert link_job["counts"]["linked"] == VARIANTS
    link = api.listing("SKU-00007")["links"][0]
    assert link["status"] == "linked"
    assert link["variant_id"].startswith("gid://shopify/ProductVariant/")
    assert link["inventory_item_id"].startswith("gid://shopify/InventoryItem/")
    assert link["location_id"].startswith("gid://shopify/Location/")
    assert api.listing("LONELY-1")["links"] == []


def test_a_full_sync_makes_the_channel_equal_master(synced, stack, api):
    _, sync_job = synced
    assert sync_job["status"] == "completed", sync_job
    assert sync_job["counts"]["planned"] == sync_job["counts"]["pushed"] == VARIANTS
    store = stack.sandboxes["shopify"].store
    for i in range(1, VARIANTS + 1):
        listing = api.listing(f"SKU-{i:05d}")
        assert store.quantity(listing["sku"]) == listing["syncable_balance"] == max(0, i * 3 - i % 4 - i % 3)


def test_each_push_is_in_the_listings_history(synced, api):
    _, sync_job = synced
    entries = api.history("SKU-00010", channel="shop")["entries"]
    assert {e["job_id"] for e in entries} == {sync_job["id"]}
    # the quantity always; the price because the sandbox held another one
    assert {(e["field"], e["to_value"], e["outcome"]) for e in entries} == {
        ("quantity", "27", "pushed"),
        ("price", "10.50", "pushed"),
    }


def test_reimport_keeps_links_and_a_resync_pushes_the_new_balance(synced, stack, api):
    api.import_listings("sku,on_hand\nSKU-00010,100\n")
    assert api.listing("SKU-00010")["links"][0]["status"] == "linked"
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "sync", "mode": "full"})["id"])
    assert job["status"] == "completed"
    assert stack.sandboxes["shopify"].store.quantity("SKU-00010") == 100 - 2 - 1
    quantities = [e["to_value"] for e in api.history("SKU-00010")["entries"] if e["field"] == "quantity"]
    assert quantities == ["97", "27"]


def test_a_quantity_changed_by_hand_is_overwritten_by_master(synced, stack, api):
    store = stack.sandboxes["shopify"].store
    store.set_quantity_by_hand("SKU-00020", 999)
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "sync", "mode": "full"})["id"])
    assert job["status"] == "completed", job
    assert store.quantity("SKU-00020") == api.listing("SKU-00020")["syncable_balance"]


def test_a_schedule_created_at_run_time_is_fired_by_the_runtime(synced, stack, api):
    api.set_schedule("shop", {"enabled": False})  # the channel's own schedule: tests/e2e/test_schedules.py
    deployment = stack.deployment
    group = deployment.schedule_groups[0]
    boto3.client("scheduler").create_schedule(
        Name="shop-hourly",
        GroupName=group,
        ScheduleExpression="rate(1 hour)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": deployment.resources["ScheduleFunction"].attributes["Arn"],
            "RoleArn": deployment.resources["SchedulerRole"].attributes["Arn"],
            "Input": json.dumps({"channel": "shop", "mode": "full"}),
        },
    )
    before = {j["id"] for j in api.jobs("shop")}
    assert stack.schedules.tick() == []
    assert stack.schedules.tick(later_by=timedelta(hours=1)) == ["shop-hourly"]
    deadline = time.monotonic() + 10
    while not (new := [j for j in api.jobs("shop") if j["id"] not in before]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(new) == 1
    finished = api.wait_for_job(new[0]["id"])
    assert (finished["kind"], finished["mode"], finished["status"]) == ("sync", "full", "completed")


def test_a_woocommerce_channel_is_linked_and_synced_the_same_way(synced, stack, api):
    woo = stack.sandboxes["woocommerce"]
    api.add_channel(
        {
            "name": "woo",
            "type": "woocommerce",
            "store_url": woo.url,
            "allow_insecure_url": True,
            **woo.credentials,
        }
    )
    linked = api.wait_for_job(api.start_job({"channel": "woo", "kind": "link"})["id"])
    assert linked["status"] == "completed" and linked["counts"]["linked"] == VARIANTS, linked
    job = api.wait_for_job(api.start_job({"channel": "woo", "kind": "sync", "mode": "full"})["id"])
    assert job["status"] == "completed" and job["counts"]["pushed"] == VARIANTS, job
    for i in (1, 17, VARIANTS):
        listing = api.listing(f"SKU-{i:05d}")
        assert woo.store.quantity(listing["sku"]) == listing["syncable_balance"]
