"""Dead letters end to end in local mode, through the CLI: a signed order webhook whose listing was
deleted from master fails until the webhook queue dead-letters it; `tidemark dlq list` says what it
was and why; once the listing is imported again, `tidemark dlq redrive` applies the order, once."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from shared.storage import listings
from shared.storage.aws import table
from tests.e2e.test_auto_sync import eventually, post_shopify, shopify_order
from tests.integration.test_dlq import retried_fast
from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()
SECRET = "dlq-cli-secret"
SKU = "SKU-00011"


def tidemark(stack, *args: str) -> str:
    result = runner.invoke(
        app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "400"}
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def shop(stack, api):
    """Listings linked and synced to the Shopify sandbox, on the channel `shop` (whose webhooks are
    signed with SECRET)."""
    rows = "".join(f"SKU-{i:05d},{20 + i},false\n" for i in range(1, 16))
    api.import_listings("sku,on_hand,auto_sync\n" + rows)
    sandbox = stack.sandboxes["shopify"]
    api.add_channel(
        {
            "name": "shop",
            "type": "shopify",
            "store_url": sandbox.url,
            "allow_insecure_url": True,
            "webhook_secret": SECRET,
            **sandbox.credentials,
        }
    )
    for body in ({"kind": "link"}, {"kind": "sync", "mode": "full"}):
        job = api.wait_for_job(api.start_job({"channel": "shop", **body})["id"])
        assert job["status"] == "completed", job
    return sandbox.store


def test_a_dead_lettered_webhook_is_listed_with_why_and_redriven_once_its_listing_is_back(
    stack, api, shop, tmp_path: Path
):
    assert "no dead letters" in tidemark(stack, "dlq", "list")
    table().delete_item(Key=listings.key(SKU))
    with retried_fast("webhooks"):
        answer = post_shopify(stack, "orders/create", shopify_order(88001, SKU, 3, 1), "E-CLI-1", SECRET)
        assert answer.status_code == 200, answer.text
        eventually(lambda: bool(api.dead_letters("webhooks")["messages"]), timeout=40)

    listed = tidemark(stack, "dlq", "list")
    (letter,) = api.dead_letters("webhooks")["messages"]
    assert "webhooks: 1 message\n" in listed and letter["id"] in listed
    assert "shopify webhook orders/create on channel shop, event E-CLI-1" in listed
    assert f"LookupError: SKU '{SKU}' has no listing in master" in listed

    csv = tmp_path / "back.csv"
    csv.write_text(f"sku,on_hand\n{SKU},10\n")
    tidemark(stack, "listings", "import", str(csv))
    redriven = tidemark(stack, "dlq", "redrive", "--queue", "webhooks", "--id", letter["id"])
    assert letter["id"] in redriven and "back on the webhooks queue" in redriven and "1 redriven" in redriven
    eventually(lambda: api.listing(SKU)["on_hand"] == 7)

    again = tidemark(stack, "dlq", "redrive", "--queue", "webhooks", "--id", letter["id"])
    assert "0 redriven" in again and f"not found {letter['id']}" in again
    assert "no dead letters" in tidemark(stack, "dlq", "list")
    assert api.listing(SKU)["on_hand"] == 7  # the order line was taken once
