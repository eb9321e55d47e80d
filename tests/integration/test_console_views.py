"""The console's Listings and Overview on moto: the catalog paged in SKU order and filtered, each
channel's link state per listing, and the Overview's counts, problems and actions, kept up by the
link writes; bad filters are refused naming the field and the fix."""

import httpx
import pytest

from tidemark.api_client import ApiError

pytestmark = pytest.mark.integration
VARIANTS = 60


@pytest.fixture(scope="module")
def linked(stack, api):
    """SKU-00001..60 and LONELY-1 imported; channel 'shop' linked with SKU-00001 on two variants."""
    rows = "\n".join(f"SKU-{i:05d},{i},Mug {'Red' if i % 2 else 'blue'} {i}" for i in range(1, VARIANTS + 1))
    api.import_listings(f"sku,on_hand,title\n{rows}\nLONELY-1,5,Lonely\n")
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
    shop.store.edit_by_hand("SKU-00002", {"sku": "SKU-00001"})  # two variants now carry SKU-00001
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "link"})["id"])
    assert job["counts"]["linked"] == VARIANTS - 2
    return stack


def every_page(api, **filters):
    rows, cursor, pages = [], None, 0
    while True:
        page = api.listings(cursor=cursor, **filters)
        rows += page["listings"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, pages


def test_the_catalog_pages_in_sku_order_with_a_column_per_channel(linked, api):
    first = api.listings(limit=7)
    assert first["channels"] == ["shop"]
    assert [row["sku"] for row in first["listings"]] == ["LONELY-1", *[f"SKU-{i:05d}" for i in range(1, 7)]]
    rows, pages = every_page(api, limit=7)
    assert [row["sku"] for row in rows] == sorted(row["sku"] for row in rows)
    assert len(rows) == VARIANTS + 1 and pages == 9
    row = next(r for r in rows if r["sku"] == "SKU-00010")
    assert row.items() >= {"on_hand": 10, "committed": 0, "syncable_balance": 10, "status": "active"}.items()
    assert row["channels"]["shop"]["state"] == "out_of_sync"  # linked, not pushed yet
    assert row["channels"]["shop"]["variant_id"]


def test_each_link_state_filters_from_its_index(linked, api):
    def skus(state):
        return [row["sku"] for row in every_page(api, channel="shop", link_state=state, limit=50)[0]]

    assert skus("duplicate") == ["SKU-00001"]
    assert skus("unlinked") == ["LONELY-1", "SKU-00002"]
    assert skus("out_of_sync") == [f"SKU-{i:05d}" for i in range(3, VARIANTS + 1)]
    assert skus("linked") == [] and skus("error") == []
    duplicate = api.listings(channel="shop", link_state="duplicate")["listings"][0]["channels"]["shop"]
    assert "duplicate sku 'SKU-00001'" in duplicate["reason"]


def test_filters_on_the_listing_combine(linked, api):
    rows, _ = every_page(api, sku_prefix="SKU-0001", title="RED", quantity_min=12, quantity_max=18)
    assert [row["sku"] for row in rows] == ["SKU-00013", "SKU-00015", "SKU-00017"]
    assert every_page(api, auto_sync=True)[0] == []
    assert len(every_page(api, status="active", created_by="file_import")[0]) == VARIANTS + 1


def test_overview_counts_and_problems_with_their_actions(linked, api):
    overview = api.overview()
    (shop,) = overview["channels"]
    assert shop["counts"] == {
        "linked": VARIANTS - 2,
        "unlinked": 2,
        "duplicate": 1,
        "out_of_sync": 58,
        "failed": 0,
    }
    assert overview["needs_attention"] is True
    causes = {p["cause"]: p for p in overview["problems"] if p["channel"] == "shop"}
    assert causes["duplicate_sku"]["action"] == {
        "label": "Re-link",
        "method": "POST",
        "path": "/v1/jobs",
        "body": {"channel": "shop", "kind": "relink"},
    }
    assert causes["out_of_sync"]["action"]["body"] == {"channel": "shop", "kind": "sync", "mode": "partial"}
    assert shop["last_job"]["kind"] == "link"
    assert {d["queue"] for d in overview["dead_letters"]} == {"push", "webhooks", "auto-push", "stream"}
    assert overview["alarms"] and all(
        a["state"] in ("OK", "ALARM", "INSUFFICIENT_DATA") for a in overview["alarms"]
    )


def test_a_sync_and_a_relink_move_the_counts(linked, api):
    job = api.wait_for_job(api.start_job({"channel": "shop", "kind": "sync", "mode": "full"})["id"])
    assert job["status"] == "completed", job
    linked.sandboxes["shopify"].store.edit_by_hand("SKU-00001", {"sku": "SKU-00002"})  # the fix
    api.wait_for_job(api.start_job({"channel": "shop", "kind": "relink"})["id"])
    counts = api.overview()["channels"][0]["counts"]
    assert counts == {"linked": VARIANTS, "unlinked": 1, "duplicate": 0, "out_of_sync": 2, "failed": 0}
    pushed = api.listings(channel="shop", link_state="linked", limit=1)["listings"][0]
    assert pushed["channels"]["shop"]["last_pushed_quantity"] == pushed["syncable_balance"]
    assert pushed["channels"]["shop"]["last_pushed_at"]


@pytest.mark.parametrize(
    ("params", "field", "fix"),
    [
        ({"limit": 0}, "limit", "greater than or equal to 1"),
        ({"limit": 201}, "limit", "less than or equal to 200"),
        ({"cursor": "nope"}, "cursor", "next_cursor"),
        ({"quantity_min": 5, "quantity_max": 2}, "quantity_max", "at or above the minimum"),
        ({"quantity_min": -1}, "quantity_min", "greater than or equal to 0"),
        ({"link_state": "linked"}, "channel", "add channel="),
        ({"channel": "shop"}, "link_state", "add link_state="),
        ({"channel": "nowhere", "link_state": "linked"}, "channel", "GET /v1/channels"),
        ({"link_state": "lost", "channel": "shop"}, "link_state", "linked"),
        ({"status": "gone"}, "status", "active"),
        ({"auto_sync": "perhaps"}, "auto_sync", "bool"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(linked, api, params, field, fix):
    with pytest.raises(ApiError) as refused:
        api.listings(**params)
    assert refused.value.status == 400
    assert [e["field"] for e in refused.value.errors] == [field]
    assert fix.lower() in refused.value.errors[0]["message"].lower()


def test_the_openapi_document_describes_both_answers(stack):
    schema = httpx.get(f"{stack.api_url}/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    assert {"ListingPage", "ListingRow", "ChannelCell", "Overview", "Problem", "Action"} <= set(components)
    page = schema["paths"]["/v1/listings"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/ListingPage"}
    assert set(components["ListingRow"]["required"]) >= {"sku", "channels", "syncable_balance", "auto_sync"}


def test_a_viewer_reads_both(linked):
    viewer = linked.client("viewer")
    assert viewer.overview()["channels"][0]["name"] == "shop"
    assert viewer.listings(limit=1)["listings"]
