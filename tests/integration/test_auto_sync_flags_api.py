"""Auto-sync flags on the console API (moto): on or off by SKUs or by filters with counts of what
changed, a large selection as a job on the listings' queue, flags that move no change index, and
the rules that give new listings their flag by how they were created."""

from datetime import UTC, datetime

import boto3
import httpx
import pytest

from shared.services.flags import LARGE_SELECTION
from shared.storage import listings as listing_store
from tidemark.api_client import ApiError

pytestmark = pytest.mark.integration


def item(sku):
    return boto3.resource("dynamodb").Table("tidemark-Table").get_item(Key=listing_store.key(sku))["Item"]


def flags(api, skus):
    return {sku: api.listing(sku)["auto_sync"] for sku in skus}


@pytest.fixture(scope="module")
def catalog(api):
    """FLT-1..6 by file import; FED-1, FED-2 by a feed."""
    api.import_listings(
        "sku,title,on_hand,status\n"
        "FLT-1,Blue Shirt,5,active\n"
        "FLT-2,Red SHIRT,12,active\n"
        "FLT-3,Green shirt,0,inactive\n"
        "FLT-4,Mug,3,active\n"
        "FLT-5,Shirt long,10,active\n"
        "FLT-6,Cap,0,active\n"
    )
    api.adjust({"sku": "FLT-6", "delta": -2, "reason": "sales_order"})  # oversold
    api.import_listings("sku,title,on_hand\nFED-1,Feed shirt,4\nFED-2,Feed cap,40\n", created_by="feed")
    return api


def test_auto_sync_on_and_off_by_skus_counts_what_changed(catalog):
    before = item("FLT-4")
    on = catalog.set_auto_sync({"auto_sync": True, "skus": ["FLT-4", "FLT-6"]})
    assert on == {"matched": 2, "flags_changed": 2, "job": None}
    assert catalog.set_auto_sync({"auto_sync": True, "skus": ["FLT-4"]})["flags_changed"] == 0
    after = item("FLT-4")
    # a flag changes nothing pushed: the listing keeps its time and its place in the change index
    assert (after["updated_at"], after["GSI3SK"]) == (before["updated_at"], before["GSI3SK"])
    off = catalog.set_auto_sync({"auto_sync": False, "skus": ["FLT-4", "FLT-6"]})
    assert (off["matched"], off["flags_changed"]) == (2, 2)
    assert flags(catalog, ["FLT-4", "FLT-6"]) == {"FLT-4": False, "FLT-6": False}


def test_auto_sync_on_by_filter_changes_every_match_and_only_them(catalog):
    every = ["FLT-1", "FLT-2", "FLT-3", "FLT-4", "FLT-5", "FLT-6", "FED-1", "FED-2"]
    on = catalog.set_auto_sync(
        {"auto_sync": True, "filters": ["sku-prefix=FLT-", "title=shirt", "status=active", "quantity=0..10"]}
    )
    assert on == {"matched": 2, "flags_changed": 2, "job": None}
    assert [sku for sku, flag in flags(catalog, every).items() if flag] == ["FLT-1", "FLT-5"]
    fed = catalog.set_auto_sync({"auto_sync": True, "filters": ["created-by=feed"]})
    assert (fed["matched"], fed["flags_changed"]) == (2, 2)
    oversold = catalog.set_auto_sync({"auto_sync": True, "filters": ["sku-prefix=FLT", "quantity=..-1"]})
    assert (oversold["matched"], oversold["flags_changed"]) == (1, 1)
    off = catalog.set_auto_sync({"auto_sync": False, "filters": ["title=SHIRT"]})
    assert (off["matched"], off["flags_changed"]) == (5, 3)
    assert [sku for sku, flag in flags(catalog, every).items() if flag] == ["FLT-6", "FED-2"]


@pytest.mark.parametrize(
    ("body", "field", "hint"),
    [
        ({"auto_sync": True, "filters": ["colour=red"]}, "filters", "unknown filter 'colour'"),
        ({"auto_sync": True, "filters": ["status=gone"]}, "filters", "active or inactive"),
        ({"auto_sync": True, "filters": ["quantity=9..1"]}, "filters", "smaller bound first"),
        ({"auto_sync": True, "filters": ["title"]}, "filters", "not key=value"),
        ({"auto_sync": True, "filters": ["created-by=robot"]}, "filters", "file-import"),
        ({"auto_sync": True, "skus": ["FLT-1", "GHOST-7"]}, "skus", "no listing with SKU 'GHOST-7'"),
        ({"auto_sync": True}, "skus", "give either skus or filters"),
        ({"auto_sync": True, "skus": ["FLT-1"], "filters": ["status=active"]}, "skus", "not both"),
        ({"skus": ["FLT-1"]}, "auto_sync", "required"),
    ],
)
def test_a_bad_selection_names_the_part_at_fault_and_changes_nothing(catalog, body, field, hint):
    before = flags(catalog, ["FLT-1", "FLT-2"])
    with pytest.raises(ApiError) as refused:
        catalog.set_auto_sync(body)
    assert refused.value.status == 400
    assert refused.value.errors[0]["field"] == field
    assert hint in refused.value.message
    assert flags(catalog, ["FLT-1", "FLT-2"]) == before


def test_a_large_selection_runs_as_a_job_with_its_counts(catalog):
    count = LARGE_SELECTION + 40
    catalog.import_listings("sku,on_hand\n" + "".join(f"BIG-{n:04d},{n % 7}\n" for n in range(count)))
    answer = catalog.set_auto_sync({"auto_sync": True, "filters": ["sku-prefix=BIG-", "quantity=0..2"]})
    job = answer["job"]
    assert (job["kind"], job["channel"], job["auto_sync"]) == ("auto_sync", "_listings", True)
    assert job["filters"] == ["sku-prefix=BIG-", "quantity=0..2"]
    done = catalog.wait_for_job(job["id"], timeout_s=120)
    matching = [f"BIG-{n:04d}" for n in range(count) if n % 7 <= 2]
    assert done["status"] == "completed", done
    assert (done["counts"]["checked"], done["counts"]["matched"]) == (count, len(matching))
    assert done["counts"]["flags_changed"] == len(matching)
    flagged = listing_store.get_many(f"BIG-{n:04d}" for n in range(count))
    assert sorted(sku for sku, listing in flagged.items() if listing.auto_sync) == matching
    assert job["id"] in [j["id"] for j in catalog.jobs("_listings", kind="auto_sync")]
    assert job["id"] in [j["id"] for j in catalog.jobs(kind="auto_sync")]


def test_a_long_list_of_skus_runs_as_a_job_too(catalog):
    skus = [f"BIG-{n:04d}" for n in range(LARGE_SELECTION + 10)]
    job = catalog.set_auto_sync({"auto_sync": False, "skus": skus})["job"]
    assert (job["selected"], job["filters"]) == (len(skus), [])
    done = catalog.wait_for_job(job["id"], timeout_s=120)
    assert done["status"] == "completed", done
    assert (done["counts"]["checked"], done["counts"]["matched"]) == (len(skus), len(skus))
    assert not any(listing.auto_sync for listing in listing_store.get_many(skus).values())


def test_auto_sync_jobs_start_only_from_the_listings_route(catalog):
    with pytest.raises(ApiError) as refused:
        catalog.start_job({"channel": "_listings", "kind": "auto_sync"})
    assert refused.value.status == 400
    assert refused.value.errors[0]["field"] == "kind"
    assert "tidemark listings auto-sync" in refused.value.message


def test_openapi_describes_the_listing_routes_and_the_idempotency_key(stack):
    schema = httpx.get(f"{stack.api_url}/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"/v1/listings/adjust", "/v1/listings/auto-sync", "/v1/listings/sync-now"} <= set(paths)
    assert set(paths["/v1/settings/auto-sync-rules"]) == {"get", "patch"}
    parameters = {p["name"]: p for p in paths["/v1/listings/adjust"]["post"]["parameters"]}
    assert parameters["idempotency-key"]["in"] == "header"


def test_rules_give_new_listings_their_flag_by_how_they_were_created(catalog):
    assert catalog.auto_sync_rules() == dict.fromkeys(
        ("manual", "file_import", "order_import", "feed"), False
    )
    rules = catalog.auto_sync_rules({"manual": True, "feed": True})
    assert rules == {"manual": True, "file_import": False, "order_import": False, "feed": True}
    assert catalog.auto_sync_rules({"feed": False})["manual"] is True  # the others stay
    catalog.import_listings("sku,on_hand\nNEW-M,3\n", created_by="manual")
    catalog.import_listings("sku,on_hand\nNEW-F,3\n")
    catalog.import_listings("sku,on_hand,auto_sync\nNEW-R,3,false\n", created_by="manual")  # the row wins
    catalog.import_listings("sku,title\nNEW-O,From an order\n", created_by="order_import")
    assert flags(catalog, ["NEW-M", "NEW-F", "NEW-R", "NEW-O"]) == {
        "NEW-M": True,
        "NEW-F": False,
        "NEW-R": False,
        "NEW-O": False,
    }
    ordered = catalog.listing("NEW-O")
    assert (ordered["on_hand"], ordered["created_by"]) == (0, "order_import")
    # a rule applies to new listings only: re-importing one keeps its flag
    catalog.import_listings("sku,on_hand\nNEW-F,4\n", created_by="manual")
    assert catalog.listing("NEW-F")["auto_sync"] is False
    catalog.auto_sync_rules({"manual": False})


def test_an_order_import_sets_no_quantity(catalog):
    with pytest.raises(ApiError) as refused:
        catalog.import_listings("sku,on_hand\nNEW-Q,5\n", created_by="order_import")
    assert refused.value.status == 400
    assert refused.value.errors[0]["field"] == "on_hand" and "0 on hand" in refused.value.message
    with pytest.raises(ApiError) as missing:
        catalog.listing("NEW-Q")
    assert missing.value.status == 404


@pytest.mark.parametrize(
    ("call", "field", "hint"),
    [
        (lambda api: api.auto_sync_rules({"robots": True}), "robots", "manual"),
        (lambda api: api.auto_sync_rules({"manual": "sometimes"}), "manual", "boolean"),
        (lambda api: api.import_listings("sku\nX-1\n", created_by="magic"), "created_by", "order_import"),
    ],
)
def test_bad_rules_and_creation_methods_name_the_field(catalog, call, field, hint):
    before = catalog.auto_sync_rules()
    with pytest.raises(ApiError) as refused:
        call(catalog)
    assert refused.value.status == 400
    assert field in refused.value.errors[0]["field"] and hint in refused.value.message
    assert catalog.auto_sync_rules() == before


def test_sync_now_refuses_unknown_skus_and_changes_nothing(catalog):
    with pytest.raises(ApiError) as refused:
        catalog.sync_now(["FLT-2", "GHOST-1"])
    assert refused.value.status == 400 and "GHOST-1" in refused.value.message
    assert catalog.listing("FLT-2")["auto_sync"] is False


def test_sync_now_turns_the_flag_on(catalog):
    before = item("FLT-2")
    answer = catalog.sync_now(["FLT-2", "FLT-2"])
    assert answer == {"flags_changed": 1, "pushes_queued": 0}  # no channel links it here: see e2e
    after = item("FLT-2")
    assert after["auto_sync"] is True and after["updated_at"] == before["updated_at"]
    assert datetime.fromisoformat(after["updated_at"]) < datetime.now(UTC)
