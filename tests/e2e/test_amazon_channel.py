"""An Amazon channel end to end in local mode, judged on the Amazon sandbox: added through the API and
the CLI (a test call first, bad input refused naming the field), linked by SKU, synced in full (patches:
small batches), a dry run, a hand edit found by reconcile and put back by a partial sync."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tidemark.api_client import ApiError
from tidemark.cli import app
from tidemark.sandbox.faults import FaultRates

pytestmark = pytest.mark.e2e
COUNT = 60
ALL = [f"SKU-{i:05d}" for i in range(1, COUNT + 1)]


def run(api: Any, body: dict[str, Any], statuses: tuple[str, ...] = ("completed",)) -> dict[str, Any]:
    job = api.wait_for_job(api.start_job(body)["id"], timeout_s=180)
    assert job["status"] in statuses, (job["status"], job["counts"], job["failures"], job["error"])
    return dict(job)


def amazon_body(stack: Any, name: str, **overrides: Any) -> dict[str, Any]:
    sandbox = stack.sandboxes["amazon"]
    return {
        "name": name,
        "type": "amazon",
        "store_url": sandbox.url,
        "allow_insecure_url": True,
        **sandbox.credentials,
        **overrides,
    }


@pytest.fixture(scope="module")
def amazon(stack: Any, api: Any) -> Any:
    rows = "\n".join(f"SKU-{i:05d},{i + 10},{i}.25" for i in range(1, COUNT + 1))
    api.import_listings(f"sku,on_hand,price\n{rows}\n")
    channel = api.add_channel(amazon_body(stack, "amz"))
    assert channel["type"] == "amazon" and "A1LOCALSELLER" in channel["store_name"]
    run(api, {"channel": "amz", "kind": "link"})
    return stack.sandboxes["amazon"].store


def differences(api: Any, store: Any, skus: list[str]) -> dict[str, Any]:
    rows = {row["sku"]: row for row in store.variant_rows()}
    found = {}
    for sku in skus:
        listing = api.listing(sku)
        held = (rows[sku]["quantity"], Decimal(rows[sku]["price"]))
        master = (listing["syncable_balance"], Decimal(listing["price"]))
        if held != master:
            found[sku] = (held, master)
    return found


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"client_secret": "amzn1.oa2-cs.v1.wrong"}, "client_secret"),
        ({"refresh_token": "Atzr|not-the-grant"}, "refresh_token"),
        ({"seller_id": "A2NOTTHISSELLER"}, "seller_id"),
        ({"marketplace_id": "XX0NOTAMARKET"}, "marketplace_id"),
        ({"seller_id": None}, "seller_id"),
    ],
)
def test_bad_connections_are_refused_naming_the_field_and_nothing_is_saved(
    stack: Any, api: Any, overrides: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in amazon_body(stack, "amz-bad", **overrides).items() if v is not None}
    with pytest.raises(ApiError) as refused:
        api.add_channel(body)
    assert 400 <= refused.value.status < 500
    assert refused.value.errors[0]["field"] == field, refused.value.errors
    assert "amz-bad" not in [c["name"] for c in api.channels()]


def test_the_cli_adds_an_amazon_channel_after_a_test_call(stack: Any, api: Any) -> None:
    sandbox = stack.sandboxes["amazon"]
    c = sandbox.credentials
    result = CliRunner().invoke(
        app,
        [
            "channels",
            "add",
            "amazon",
            "amz-cli",
            "--store-url",
            sandbox.url,
            "--allow-insecure-url",
            "--seller-id",
            c["seller_id"],
            "--marketplace",
            c["marketplace_id"],
            "--client-id",
            c["client_id"],
            "--client-secret",
            c["client_secret"],
            "--refresh-token",
            c["refresh_token"],
            "--lwa-url",
            c["lwa_url"],
            "--priority",
            "sku=sku",
            "--priority",
            "upc=external_product_id",
            "--api",
            stack.api_url,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "connected amz-cli" in result.output
    saved = api.channel("amz-cli")
    assert [p["channel_field"] for p in saved["priorities"]] == ["sku", "external_product_id"]
    assert "refresh_token" not in str(saved) and c["client_secret"] not in str(saved)


def test_a_dry_run_plans_without_pushing_and_amazon_checks_it(amazon: Any, api: Any) -> None:
    gone = amazon.items.pop("SKU-00060")  # deleted on Amazon since the link
    try:
        before = {row["sku"]: row["quantity"] for row in amazon.variant_rows()}
        job = run(
            api,
            {"channel": "amz", "kind": "sync", "mode": "full", "dry_run": True},
            ("completed", "completed_with_errors"),
        )
        assert job["counts"]["planned"] == COUNT and job["counts"]["pushed"] == 0
        assert {row["sku"]: row["quantity"] for row in amazon.variant_rows()} == before
        (failure,) = job["failures"]
        assert failure["sku"] == "SKU-00060"
        assert failure["message"].startswith("dry run:") and "re-link" in failure["message"]
    finally:
        amazon.items["SKU-00060"] = gone


def test_a_full_sync_makes_amazon_equal_master_patching_its_small_batches(
    amazon: Any, api: Any, stack: Any
) -> None:
    counters = f"{stack.sandboxes['amazon'].url}/admin/sandbox/amazon/counters"
    before = httpx.get(counters).json()["calls"]
    job = run(api, {"channel": "amz", "kind": "sync", "mode": "full"})
    assert job["counts"]["pushed"] == COUNT
    after = httpx.get(counters).json()["calls"]
    # 60 listings over the template's 16 SKU shards: every push batch is far under the feed threshold
    # (50), so each listing's quantity and price are one patch each (the feed path: test_amazon_client);
    # Amazon's listings notifications echo them, some before their batch is recorded: none is put back
    assert after.get("patchListingsItem", 0) - before.get("patchListingsItem", 0) == 2 * COUNT
    assert after.get("createFeed", 0) == before.get("createFeed", 0)
    assert differences(api, amazon, ALL) == {}
    history = api.history("SKU-00001")
    assert any(entry["channel"] == "amz" for entry in history["entries"])


def test_a_hand_edit_is_found_by_reconcile_and_put_back_by_a_partial_sync(amazon: Any, api: Any) -> None:
    run(api, {"channel": "amz", "kind": "sync", "mode": "full"})
    amazon.faults.configure(FaultRates(webhook_drop=1.0))  # its notification lost: reconcile finds it
    try:
        amazon.edit_by_hand("SKU-00007", {"quantity": 999})
    finally:
        amazon.faults.configure(FaultRates())
    run(api, {"channel": "amz", "kind": "reconcile"})
    assert differences(api, amazon, ["SKU-00007"]) != {}
    job = run(api, {"channel": "amz", "kind": "sync", "mode": "partial"})
    assert job["counts"]["pushed"] == 1
    assert differences(api, amazon, ALL) == {}


def test_a_new_refresh_token_is_checked_before_it_replaces_the_one_saved(
    amazon: Any, api: Any, stack: Any
) -> None:
    with pytest.raises(ApiError) as refused:
        api.edit_channel("amz", {"refresh_token": "Atzr|revoked"})
    assert 400 <= refused.value.status < 500 and refused.value.errors[0]["field"] == "refresh_token"
    run(api, {"channel": "amz", "kind": "reconcile"})  # the saved grant still works
    good = stack.sandboxes["amazon"].credentials["refresh_token"]
    assert api.edit_channel("amz", {"refresh_token": good})["name"] == "amz"


def test_a_listing_hidden_in_master_is_quantity_0_on_amazon_and_stays_in_sync(amazon: Any, api: Any) -> None:
    api.import_listings("sku,status\nSKU-00010,inactive\n")
    run(api, {"channel": "amz", "kind": "sync", "mode": "full"})
    assert amazon.items["SKU-00010"].quantity == 0 and api.listing("SKU-00010")["syncable_balance"] > 0
    run(api, {"channel": "amz", "kind": "reconcile"})
    assert run(api, {"channel": "amz", "kind": "sync", "mode": "partial"})["counts"]["pushed"] == 0
    api.import_listings("sku,status\nSKU-00010,active\n")
    run(api, {"channel": "amz", "kind": "sync", "mode": "full"})
    assert differences(api, amazon, ALL) == {}
