"""Auto-sync flags end to end in local mode, through the CLI, against both sandbox stores: bulk on
by filter (which pushes nothing by itself, then every balance change of a flagged listing reaches
both channels), sync now, a large selection as a job, and the order-import rule."""

import time

import pytest
from typer.testing import CliRunner

from shared.services import flags
from tests.e2e.test_auto_sync import eventually
from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()
SKUS = [f"SKU-{i:05d}" for i in range(1, 41)]


def tidemark(stack, *args: str):
    result = runner.invoke(
        app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def stores(stack, api):
    """Listings with auto sync off, linked and synced to both sandboxes."""
    api.import_listings("sku,on_hand\n" + "".join(f"{sku},{30 + n}\n" for n, sku in enumerate(SKUS)))
    for name, kind in (("shop", "shopify"), ("woo", "woocommerce")):
        sandbox = stack.sandboxes[kind]
        api.add_channel(
            {
                "name": name,
                "type": kind,
                "store_url": sandbox.url,
                "allow_insecure_url": True,
                **sandbox.credentials,
            }
        )
        for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
            job = api.wait_for_job(api.start_job({"channel": name, **body})["id"])
            assert job["status"] == "completed", job
    return stack.sandboxes["shopify"].store, stack.sandboxes["woocommerce"].store


def held(stores, sku):
    return [store.quantity(sku) for store in stores]


def balance(api, sku):
    return api.listing(sku)["syncable_balance"]


def test_bulk_on_by_filter_pushes_nothing_by_itself_then_every_change_of_a_match(stack, api, stores):
    before = held(stores, "SKU-00012")
    tidemark(stack, "listings", "adjust", "SKU-00012", "--delta", "-5", "--reason", "work_order")
    time.sleep(2)
    assert held(stores, "SKU-00012") == before  # auto sync off: nothing pushed

    output = tidemark(
        stack, "listings", "auto-sync", "on", "--filter", "sku-prefix=SKU-0001", "--filter", "quantity=..45"
    )
    assert "auto sync on: 7 matched, 7 changed" in output  # SKU-00010 .. SKU-00016: 39 .. 45 on hand
    time.sleep(2)
    assert held(stores, "SKU-00012") == before  # turning it on pushed nothing

    output = tidemark(stack, "listings", "adjust", "SKU-00012", "--delta", "-2", "--reason", "sales_order")
    assert "SKU-00012 changed" in output
    eventually(lambda: held(stores, "SKU-00012") == [balance(api, "SKU-00012")] * 2)
    assert balance(api, "SKU-00012") == before[0] - 7

    unflagged = held(stores, "SKU-00021")
    tidemark(stack, "listings", "adjust", "SKU-00021", "--on-hand", "3", "--reason", "purchase_order")
    time.sleep(2)
    assert held(stores, "SKU-00021") == unflagged


def test_a_feed_file_reaches_both_channels_for_flagged_listings(stack, api, stores, tmp_path):
    feed = tmp_path / "feed.csv"
    feed.write_text("sku,on_hand\nSKU-00014,4\nSKU-00015,5\n")
    output = tidemark(stack, "listings", "adjust", "--file", str(feed), "--reason", "feed")
    assert "changed 2, unchanged 0" in output
    eventually(lambda: held(stores, "SKU-00014") == [4, 4] and held(stores, "SKU-00015") == [5, 5])


def test_sync_now_pushes_at_once_and_turns_the_flag_on(stack, api, stores):
    tidemark(stack, "listings", "adjust", "SKU-00025", "--on-hand", "9", "--reason", "manual")
    assert held(stores, "SKU-00025") != [9, 9] and api.listing("SKU-00025")["auto_sync"] is False
    output = tidemark(stack, "listings", "sync-now", "--sku", "SKU-00025")
    assert "2 pushes queued; auto sync turned on for 1 listings" in output
    eventually(lambda: held(stores, "SKU-00025") == [9, 9])
    assert api.listing("SKU-00025")["auto_sync"] is True
    assert api.history("SKU-00025", channel="woo")["entries"][0]["job_id"] == "sync-now"


def test_a_large_selection_runs_as_a_job_the_cli_follows(stack, api, stores, monkeypatch):
    monkeypatch.setattr(flags, "LARGE_SELECTION", 5)  # the handler runs in this process
    output = tidemark(stack, "listings", "auto-sync", "off", "--filter", "sku-prefix=SKU-000")
    assert "a large selection: job" in output and "completed" in output
    assert "auto_sync off" in output and "sku-prefix=SKU-000" in output
    assert "flags changed" in output and "matched" in output
    assert not any(api.listing(f"SKU-0000{n}")["auto_sync"] for n in range(1, 10))
    assert "auto_sync off" in tidemark(stack, "jobs", "list", "--channel", "_listings")


def test_the_order_import_rule_sets_new_listings_at_zero_and_their_flag(stack, api, stores, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("sku,title\nORD-1,From an order\n")
    assert "created 1" in tidemark(stack, "listings", "import", str(orders), "--created-by", "order_import")
    assert (api.listing("ORD-1")["on_hand"], api.listing("ORD-1")["auto_sync"]) == (0, False)

    shown = tidemark(stack, "settings", "auto-sync-rules", "--order-import", "on", "--manual", "on")
    assert "order_import" in shown and api.auto_sync_rules()["order_import"] is True
    orders.write_text("sku,title\nORD-2,From another order\n")
    tidemark(stack, "listings", "import", str(orders), "--created-by", "order_import")
    assert (api.listing("ORD-2")["on_hand"], api.listing("ORD-2")["auto_sync"]) == (0, True)
    assert api.listing("ORD-1")["auto_sync"] is False  # a rule gives new listings their flag only
    tidemark(stack, "settings", "auto-sync-rules", "--order-import", "off", "--manual", "off")
    assert not any(api.auto_sync_rules().values())


def test_a_refused_adjustment_prints_the_field_and_the_fix(stack, api, stores, tmp_path):
    before = api.listing("SKU-00030")
    bad = runner.invoke(
        app,
        ["listings", "adjust", "SKU-00030", "--on-hand", "-1", "--reason", "manual", "--api", stack.api_url],
    )
    assert bad.exit_code == 1 and "on_hand" in bad.output and "greater than or equal to 0" in bad.output
    feed = tmp_path / "bad.csv"
    feed.write_text("sku,delta\nSKU-00030,-1\nGHOST-1,2\n")
    refused = runner.invoke(
        app, ["listings", "adjust", "--file", str(feed), "--reason", "feed", "--api", stack.api_url]
    )
    assert refused.exit_code == 1 and "line 3" in refused.output and "GHOST-1" in refused.output
    assert api.listing("SKU-00030") == before
