"""End to end in local mode with the eBay sandbox: `tidemark channels add ebay` (a test call first,
nothing saved when eBay refuses), link by SKU, full sync judged on the sandbox (unpublished offers
skipped with the reason), a hand edit found by reconcile and restored by a partial sync, and the
app's keys kept in the channel's secret, never in the table."""

from __future__ import annotations

import json
from decimal import Decimal

import boto3
import pytest
from typer.testing import CliRunner

from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()

SKUS = [f"SKU-{n:05d}" for n in range(1, 31)]
UNPUBLISHED = [sku for sku in SKUS if int(sku[-2:]) % 10 == 0]  # the sandbox's every 10th offer


def tidemark(stack, *args: str):
    return runner.invoke(app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"})


def run(api, body, statuses=("completed",)):
    job = api.wait_for_job(api.start_job(body)["id"])
    assert job["status"] in statuses, (job["status"], job["counts"], job["failures"], job["error"])
    return job


def add_ebay(stack, name: str, **override: str):
    bay = stack.sandboxes["ebay"]
    given = {**bay.credentials, **override}
    return tidemark(
        stack,
        "channels",
        "add",
        "ebay",
        name,
        "--store-url",
        bay.url,
        "--allow-insecure-url",
        "--client-id",
        given["client_id"],
        "--client-secret",
        given["client_secret"],
        "--refresh-token",
        given["refresh_token"],
        "--marketplace",
        given["marketplace"],
        "--json",
    )


@pytest.fixture(scope="module")
def bay(stack, api):
    rows = "\n".join(f"{sku},{10 + n},1,29.{n:02d}" for n, sku in enumerate(SKUS))
    api.import_listings("sku,on_hand,committed,price\n" + rows + "\n")
    added = add_ebay(stack, "bay")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["type"] == "ebay"
    run(api, {"channel": "bay", "kind": "link"})
    return stack.sandboxes["ebay"].store


def test_wrong_credentials_are_refused_naming_the_field_and_nothing_is_saved(stack, bay):
    refused = add_ebay(stack, "bay-wrong", refresh_token="v^1.1#not-this-one")
    assert refused.exit_code == 1
    assert "refresh_token" in refused.output and "consents again" in refused.output
    wrong_keys = add_ebay(stack, "bay-wrong", client_secret="PRD-wrong")
    assert wrong_keys.exit_code == 1 and "client_id" in wrong_keys.output
    unknown = add_ebay(stack, "bay-wrong", marketplace="EBAY_XX")
    assert unknown.exit_code == 1 and "marketplace" in unknown.output
    assert "bay-wrong" not in tidemark(stack, "channels", "list").output


def test_the_apps_keys_are_in_the_channels_secret_never_in_the_table(stack, bay):
    table = boto3.client("dynamodb", region_name="us-east-1")
    dumped = json.dumps([table.scan(TableName=name)["Items"] for name in table.list_tables()["TableNames"]])
    credentials = stack.sandboxes["ebay"].credentials
    for field in ("client_secret", "refresh_token"):
        assert credentials[field] not in dumped


def test_a_full_sync_pushes_every_published_offer_and_skips_unpublished_ones_with_the_reason(api, bay):
    job = run(api, {"channel": "bay", "kind": "sync", "mode": "full"}, ("completed", "completed_with_errors"))
    for sku in SKUS:
        listing = api.listing(sku)
        if sku in UNPUBLISHED:
            continue
        assert bay.quantity(sku) == listing["syncable_balance"], sku
        assert Decimal(next(r["price"] for r in bay.variant_rows() if r["sku"] == sku)) == Decimal(
            listing["price"]
        )
    skipped = {f["sku"] for f in job["failures"] if "not published" in f["message"]}
    assert skipped == set(UNPUBLISHED)


def test_a_hand_edit_on_ebay_is_found_by_reconcile_and_restored_by_a_partial_sync(api, bay):
    run(api, {"channel": "bay", "kind": "sync", "mode": "full"}, ("completed", "completed_with_errors"))
    bay.edit_by_hand("SKU-00003", {"quantity": 999})
    reconciled = run(api, {"channel": "bay", "kind": "reconcile"})
    assert reconciled["counts"]["out_of_sync"] == 1
    run(api, {"channel": "bay", "kind": "sync", "mode": "partial"}, ("completed", "completed_with_errors"))
    assert bay.quantity("SKU-00003") == api.listing("SKU-00003")["syncable_balance"]
