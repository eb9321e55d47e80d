"""The operator's verbs, through the CLI, against the local console API."""

import pytest
from typer.testing import CliRunner

from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


def tidemark(stack, *args: str):
    return runner.invoke(app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"})


def test_import_connect_link_sync_and_read_history(stack, tmp_path):
    listings = tmp_path / "listings.csv"
    listings.write_text("sku,on_hand,committed\nSKU-00001,12,2\nSKU-00002,7,0\n")
    assert "created 2, updated 0" in tidemark(stack, "listings", "import", str(listings)).output

    shop = stack.sandboxes["shopify"]
    added = tidemark(
        stack,
        "channels",
        "add",
        "shopify",
        "cli-shop",
        "--store-url",
        shop.url,
        "--allow-insecure-url",
        "--token",
        shop.credentials["token"],
        "--priority",
        "sku=sku",
    )
    assert added.exit_code == 0 and "connected cli-shop" in added.output
    assert "cli-shop" in tidemark(stack, "channels", "list").output

    linked = tidemark(stack, "link", "cli-shop", "--wait")
    assert linked.exit_code == 0 and "completed" in linked.output
    synced = tidemark(stack, "sync", "cli-shop", "--mode", "full", "--wait")
    assert synced.exit_code == 0 and "completed" in synced.output
    assert shop.store.quantity("SKU-00001") == 10

    assert "cli-shop" in tidemark(stack, "history", "SKU-00001").output
    assert "sync full" in tidemark(stack, "jobs", "list", "--channel", "cli-shop").output


def test_a_refusal_prints_the_fix_and_exits_1(stack, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,on_hand\nX,-1\n")
    result = tidemark(stack, "listings", "import", str(bad))
    assert result.exit_code == 1
    assert "line 2" in result.output and "on_hand" in result.output and "whole number" in result.output
    missing = tidemark(stack, "jobs", "show", "no-such-job")
    assert missing.exit_code == 1 and "tidemark jobs list" in missing.output
