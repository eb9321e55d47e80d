"""Master locations, channel location maps and bundles on the console API (local stack, moto):
stock per location sums to the listing's, a location in use cannot be removed, bad input is a 4xx
naming the field and the fix with nothing saved, and an item written before locations still reads."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import boto3
import pytest
from typer.testing import CliRunner

from shared.storage import listings as listing_store
from tidemark import auth
from tidemark.api_client import ApiError
from tidemark.cli import app
from tidemark.local.runtime import LocalRuntime

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack():
    with LocalRuntime(
        port=0, shopify_variants=20, woocommerce_products=20, seed=5, shopify_locations=3
    ) as runtime:
        auth.save(runtime.api_url, runtime.login())
        yield runtime
        auth.forget(runtime.api_url)


@pytest.fixture(scope="module")
def stocked(api):
    api.import_listings("sku,on_hand,committed\nLOC-1,10,0\nLOC-2,4,1\nCMP-A,9,0\nCMP-B,5,0\nKIT-1,0,0\n")
    for name in ("east", "west"):
        if name not in {location["name"] for location in api.locations()}:
            api.add_location(name)
    return api


def refused(call, *args):
    with pytest.raises(ApiError) as raised:
        call(*args)
    return raised.value


def table():
    return boto3.resource("dynamodb").Table("tidemark-Table")


def test_locations_are_added_listed_and_default_is_always_there(stocked):
    names = [location["name"] for location in stocked.locations()]
    assert names[0] == "default" and {"east", "west"} <= set(names)
    again = refused(stocked.add_location, "east")
    assert again.status == 409 and again.errors[0]["field"] == "name"
    bad = refused(stocked.add_location, "East Wing")
    assert bad.status == 400 and bad.errors[0]["field"] == "name"


def test_stock_per_location_sums_to_the_listings_totals(stocked):
    stocked.adjust({"sku": "LOC-1", "on_hand": 6, "location": "east", "reason": "purchase_order"})
    moved = stocked.adjust({"sku": "LOC-1", "delta": -2, "location": "east", "reason": "sales_order"})
    assert moved["listing"]["on_hand"] == 14  # 10 at default, 4 at east
    stock = {row["location"]: row for row in stocked.stock("LOC-1")["locations"]}
    assert (stock["default"]["on_hand"], stock["east"]["on_hand"]) == (10, 4)
    assert sum(row["on_hand"] for row in stock.values()) == stocked.listing("LOC-1")["on_hand"]
    unchanged = stocked.adjust({"sku": "LOC-1", "on_hand": 4, "location": "east", "reason": "manual"})
    assert (unchanged["changed"], unchanged["unchanged"]) == (0, 1)


def test_concurrent_changes_at_locations_are_all_kept(stocked):
    stocked.import_listings("sku,on_hand\nLOC-RACE,10\n")
    body = {"sku": "LOC-RACE", "delta": 1, "reason": "manual"}
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(
            pool.map(
                lambda n: stocked.adjust({**body, "location": ("east", "west", "default")[n % 3]}), range(12)
            )
        )
    stock = {row["location"]: row["on_hand"] for row in stocked.stock("LOC-RACE")["locations"]}
    assert stock == {"default": 14, "east": 4, "west": 4}
    assert stocked.listing("LOC-RACE")["on_hand"] == 22


def test_an_adjust_file_takes_a_location_column_and_an_unknown_one_refuses_the_whole_file(stocked):
    before = stocked.listing("LOC-2")["on_hand"]
    bad = refused(
        stocked.adjust,
        {"reason": "file_upload", "csv": "sku,delta,location\nLOC-2,3,west\nLOC-2-X,1,west\n"},
    )
    assert bad.status == 400
    bad = refused(stocked.adjust, {"reason": "file_upload", "csv": "sku,delta,location\nLOC-2,3,attic\n"})
    assert bad.status == 400
    assert bad.errors == [{"line": 2, "field": "location", "message": bad.errors[0]["message"]}]
    assert "locations add attic" in bad.errors[0]["message"]
    assert stocked.listing("LOC-2")["on_hand"] == before  # nothing applied
    twice = refused(
        stocked.adjust, {"reason": "file_upload", "csv": "sku,delta,location\nLOC-2,3,west\nLOC-2,1,west\n"}
    )
    assert twice.errors[0]["line"] == 3 and "at location west is also on line 2" in twice.errors[0]["message"]
    done = stocked.adjust(
        {"reason": "file_upload", "csv": "sku,delta,location\nLOC-2,3,west\nLOC-2,2,east\n"}
    )
    assert done["changed"] == 2  # a SKU once a location
    by = {r["location"]: r["on_hand"] for r in stocked.stock("LOC-2")["locations"]}
    assert (by["west"], by["east"]) == (3, 2)


def test_an_import_takes_a_location_column_and_an_unknown_one_refuses_the_whole_file(stocked):
    bad = refused(stocked.import_listings, "sku,on_hand,location\nIMP-1,3,east\nIMP-2,4,attic\n")
    assert bad.status == 400
    assert bad.errors == [{"line": 3, "field": "location", "message": bad.errors[0]["message"]}]
    assert refused(stocked.listing, "IMP-1").status == 404  # nothing imported
    stocked.import_listings("sku,on_hand,title\nIMP-1,2,Mug\n")
    stocked.import_listings("sku,on_hand,committed,location\nIMP-1,3,1,east\nIMP-3,5,0,west\n")
    one = {row["location"]: (row["on_hand"], row["committed"]) for row in stocked.stock("IMP-1")["locations"]}
    assert one == {"default": (2, 0), "east": (3, 1)}
    assert (stocked.listing("IMP-1")["on_hand"], stocked.listing("IMP-1")["title"]) == (5, "Mug")
    new = {row["location"]: row["on_hand"] for row in stocked.stock("IMP-3")["locations"]}
    assert new == {"default": 0, "west": 5}
    stocked.add_location("imp-room")
    stocked.import_listings("sku,on_hand,location\nIMP-3,1,imp-room\n")
    assert "IMP-3" in refused(stocked.remove_location, "imp-room").message  # the import noted it


def test_a_location_holding_stock_cannot_be_removed_until_it_holds_none(stocked):
    stocked.add_location("spare")
    stocked.adjust({"sku": "LOC-2", "on_hand": 2, "location": "spare", "reason": "manual"})
    held = refused(stocked.remove_location, "spare")
    assert held.status == 409 and "LOC-2" in held.message and "--location spare --on-hand 0" in held.message
    stocked.adjust({"sku": "LOC-2", "on_hand": 0, "location": "spare", "reason": "manual"})
    assert stocked.remove_location("spare") == {"removed": "spare"}
    assert "spare" not in {location["name"] for location in stocked.locations()}
    assert refused(stocked.remove_location, "default").status == 400
    assert refused(stocked.remove_location, "spare").status == 404


def test_an_unknown_location_in_an_adjustment_is_a_404_naming_the_field(stocked):
    missing = refused(stocked.adjust, {"sku": "LOC-1", "delta": 1, "location": "attic", "reason": "manual"})
    assert missing.status == 404 and missing.errors[0]["field"] == "location"


def test_a_bundle_is_saved_shown_with_its_limit_and_refused_when_bad(stocked):
    kit = stocked.set_bundle("KIT-1", {"CMP-A": 2, "CMP-B": 1})
    assert (kit["is_bundle"], kit["balance"], kit["limited_by"]) == (True, 4, "CMP-A")
    assert stocked.stock("KIT-1")["bundle"]["components"][0] == {
        "sku": "CMP-A",
        "units": 2,
        "sellable": 9,
        "makes": 4,
    }
    unknown = refused(stocked.set_bundle, "KIT-1", {"NOPE": 1})
    assert unknown.status == 400 and unknown.errors[0]["field"] == "components"
    stocked.set_bundle("CMP-B", {"LOC-1": 1})  # a component may itself be a bundle
    cycle = refused(stocked.set_bundle, "LOC-1", {"KIT-1": 1})
    assert cycle.status == 400 and "KIT-1 -> CMP-B -> LOC-1" in cycle.message
    assert stocked.stock("LOC-1")["bundle"]["is_bundle"] is False  # nothing saved
    stocked.set_bundle("CMP-B", {})
    assert stocked.stock("CMP-B")["bundle"]["is_bundle"] is False
    own = refused(stocked.adjust, {"sku": "KIT-1", "delta": 1, "reason": "manual"})
    assert own.status == 400 and "is a bundle" in own.message


def test_a_shopify_map_takes_a_location_by_id_or_name_and_refuses_one_the_store_lacks(stack, stocked):
    shop = stack.sandboxes["shopify"]
    stocked.add_channel(
        {
            "name": "shop-loc",
            "type": "shopify",
            "store_url": shop.url,
            "allow_insecure_url": True,
            "token": shop.credentials["token"],
        }
    )
    shown = stocked.location_map("shop-loc")
    assert shown["mapped"] is False and len(shown["store_locations"]) == 3
    first, second = sorted(shown["store_locations"])[:2]
    saved = stocked.location_map("shop-loc", {first: ["default", "east"], "Warehouse 2": ["west"]})
    assert saved["locations"] == {first: ["default", "east"], second: ["west"]}
    assert saved["names"][second] == "Warehouse 2"
    missing = refused(stocked.location_map, "shop-loc", {"Warehouse 9": ["east"]})
    assert missing.status == 400 and missing.errors[0]["field"] == "map.Warehouse 9"
    unknown = refused(stocked.location_map, "shop-loc", {first: ["attic"]})
    assert unknown.status == 404
    assert stocked.location_map("shop-loc")["locations"] == saved["locations"]  # nothing saved
    assert stocked.location_map("shop-loc", {})["mapped"] is False


def test_an_item_in_todays_shape_reads_as_all_default(stocked):
    now = datetime.now(UTC).isoformat()
    table().put_item(
        Item={**listing_store.key("OLD-1"), "sku": "OLD-1", "on_hand": 7, "committed": 2, "updated_at": now}
    )
    stock = stocked.stock("OLD-1")["locations"]
    assert stock == [{"location": "default", "on_hand": 7, "committed": 2}]
    stocked.adjust({"sku": "OLD-1", "on_hand": 3, "location": "east", "reason": "manual"})
    after = {row["location"]: row["on_hand"] for row in stocked.stock("OLD-1")["locations"]}
    assert after == {"default": 7, "east": 3} and stocked.listing("OLD-1")["on_hand"] == 10


runner = CliRunner()


def tidemark(stack, *args):
    return runner.invoke(app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"})


def as_json(stack, *args):
    result = tidemark(stack, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_cli_adds_lists_and_removes_locations_and_adjusts_at_one(stack, stocked):
    assert as_json(stack, "locations", "add", "cli-room")["name"] == "cli-room"
    assert "cli-room" in {location["name"] for location in as_json(stack, "locations", "list")}
    shown = tidemark(stack, "locations", "list")
    assert "always there" in shown.output and "cli-room" in shown.output
    args = ("listings", "adjust", "LOC-1", "--reason", "manual", "--location", "cli-room", "--on-hand")
    assert as_json(stack, *args, "2")["changed"] == 1
    stock = {
        row["location"]: row["on_hand"] for row in as_json(stack, "listings", "stock", "LOC-1")["locations"]
    }
    assert stock["cli-room"] == 2
    held = tidemark(stack, "locations", "remove", "cli-room")
    assert held.exit_code == 1 and "still holds stock of LOC-1" in " ".join(held.output.split())
    as_json(stack, *args, "0")
    assert as_json(stack, "locations", "remove", "cli-room") == {"removed": "cli-room"}


def test_the_cli_sets_a_bundle_and_a_channel_map(stack, stocked):
    stocked.import_listings("sku,on_hand\nCLI-KIT,0\nCLI-A,6\n")
    kit = as_json(stack, "listings", "bundle", "CLI-KIT", "--component", "CLI-A:3")
    assert (kit["balance"], kit["limited_by"]) == (2, "CLI-A")
    shown = tidemark(stack, "listings", "bundle", "CLI-KIT")
    assert "makes 2" in shown.output and "limits it" in shown.output
    bad = tidemark(stack, "listings", "bundle", "CLI-KIT", "--component", "CLI-A")
    assert bad.exit_code == 2 and "SKU:UNITS" in bad.output
    assert as_json(stack, "listings", "bundle", "CLI-KIT", "--clear")["is_bundle"] is False
    shop = stack.sandboxes["shopify"]
    if "cli-shop" not in {c["name"] for c in stocked.channels()}:
        stocked.add_channel(
            {
                "name": "cli-shop",
                "type": "shopify",
                "store_url": shop.url,
                "allow_insecure_url": True,
                "token": shop.credentials["token"],
            }
        )
    mapped = as_json(stack, "channels", "locations", "cli-shop", "--map", "Warehouse 3=east,default")
    assert list(mapped["locations"].values()) == [["east", "default"]]
    table = tidemark(stack, "channels", "locations", "cli-shop")
    assert "east, default" in table.output and "nothing: left alone" in table.output
    assert as_json(stack, "channels", "locations", "cli-shop", "--clear")["mapped"] is False
