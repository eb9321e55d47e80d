"""The console's Listings and Overview through the CLI (`tidemark listings list`, `tidemark
overview`), and --json on the verbs that show something: the API's answer, as is."""

import json

import pytest
from typer.testing import CliRunner

from tidemark.cli import app

pytestmark = pytest.mark.e2e
runner = CliRunner()


def tidemark(stack, *args: str):
    return runner.invoke(app, [*args, "--api", stack.api_url], catch_exceptions=False, env={"COLUMNS": "200"})


def as_json(stack, *args: str):
    result = tidemark(stack, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def linked(stack, tmp_path_factory):
    listings = tmp_path_factory.mktemp("csv") / "listings.csv"
    listings.write_text("sku,on_hand,title\n" + "".join(f"SKU-{i:05d},{i},Mug {i}\n" for i in range(1, 21)))
    assert as_json(stack, "listings", "import", str(listings))["created"] == 20
    shop = stack.sandboxes["shopify"]
    token = shop.credentials["token"]
    added = as_json(
        stack,
        "channels",
        "add",
        "shopify",
        "shop",
        "--store-url",
        shop.url,
        "--token",
        token,
        "--allow-insecure-url",
    )
    assert added["name"] == "shop"
    job = as_json(stack, "link", "shop", "--wait")
    assert job["status"] == "completed" and job["counts"]["linked"] == 20
    return stack


def test_listings_list_pages_and_filters(linked):
    page = as_json(linked, "listings", "list", "--sku-prefix", "SKU-0001", "--limit", "5")
    assert [row["sku"] for row in page["listings"]] == [f"SKU-{i:05d}" for i in range(10, 15)]
    rest = as_json(linked, "listings", "list", "--sku-prefix", "SKU-0001", "--cursor", page["next_cursor"])
    assert [row["sku"] for row in rest["listings"]] == [f"SKU-{i:05d}" for i in range(15, 20)]
    assert rest["next_cursor"] is None
    states = as_json(linked, "listings", "list", "--channel", "shop", "--link-state", "out_of_sync")
    assert len(states["listings"]) == 20
    shown = tidemark(linked, "listings", "list", "--quantity-min", "19", "--no-auto-sync")
    assert shown.exit_code == 0
    assert "SKU-00019" in shown.output and "SKU-00020" in shown.output and "SKU-00018" not in shown.output
    assert "out_of_sync" in shown.output


def test_a_bad_filter_is_refused_naming_the_field(linked):
    refused = tidemark(linked, "listings", "list", "--quantity-min", "5", "--quantity-max", "1")
    assert refused.exit_code == 1 and "quantity_max" in refused.output
    as_answer = tidemark(linked, "listings", "list", "--link-state", "linked", "--json")
    assert as_answer.exit_code == 1
    assert json.loads(as_answer.output)["errors"][0]["field"] == "channel"


def test_overview_shows_counts_and_problems(linked):
    shown = as_json(linked, "overview")
    (shop,) = [c for c in shown["channels"] if c["name"] == "shop"]
    assert shop["counts"]["linked"] == 20 and shop["counts"]["out_of_sync"] == 20
    actions = {p["cause"]: p["action"]["label"] for p in shown["problems"] if p["channel"] == "shop"}
    assert actions["out_of_sync"] == "Partial sync"
    text = tidemark(linked, "overview")
    assert text.exit_code == 0 and "shop" in text.output and "Partial sync" in text.output


@pytest.mark.parametrize(
    "verb",
    [
        ("channels", "list"),
        ("channels", "show", "shop"),
        ("channels", "schedule", "shop"),
        ("jobs", "list"),
        ("listings", "show", "SKU-00001"),
        ("history", "SKU-00001"),
        ("dlq", "list"),
        ("settings", "auto-sync-rules"),
    ],
)
def test_every_verb_that_shows_something_prints_json(linked, verb):
    answer = as_json(linked, *verb)
    assert isinstance(answer, dict | list)
