"""Allocation through the CLI: `tidemark channels rules`, `tidemark listings rules` (--without the
channel's rules too), `tidemark listings explain`, each with --json; --dry-run saves nothing; a
refusal names the field."""

import json

import pytest

from tests.e2e.test_console_cli import as_json, tidemark

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def linked(stack, tmp_path_factory):
    listings = tmp_path_factory.mktemp("csv") / "listings.csv"
    listings.write_text(
        "sku,on_hand,price\n" + "".join(f"SKU-{i:05d},{i + 10},20.00\n" for i in range(1, 11))
    )
    as_json(stack, "listings", "import", str(listings))
    shop = stack.sandboxes["shopify"]
    token = shop.credentials["token"]
    add = [
        "channels",
        "add",
        "shopify",
        "shop",
        "--store-url",
        shop.url,
        "--token",
        token,
        "--allow-insecure-url",
    ]
    as_json(stack, *add)
    assert as_json(stack, "link", "shop", "--wait")["status"] == "completed"
    return stack


def test_a_dry_run_shows_from_and_to_and_saves_nothing(linked):
    shown = tidemark(linked, "channels", "rules", "shop", "--reserve", "4", "--max", "10", "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert "would move 10 of 10 linked listings" in shown.output
    assert "SKU-00010" in shown.output and "dry run: nothing saved" in shown.output
    assert as_json(linked, "channels", "rules", "shop")["rules"]["reserve"] is None


def test_rules_are_set_shown_and_cleared(linked):
    answer = as_json(
        linked, "channels", "rules", "shop", "--reserve", "4", "--markup", "10%", "--round", "0.99"
    )
    assert answer["rules"]["reserve"] == 4 and answer["rules"]["markup_percent"] == "10"
    assert answer["rules"]["rounding"] == "0.99" and answer["dry_run"] is False
    fixed = as_json(linked, "channels", "rules", "shop", "--fixed", "7", "--markup", "-2.50")
    assert fixed["rules"]["fixed"] == 7 and fixed["rules"]["markup_amount"] == "-2.50"
    assert fixed["rules"]["markup_percent"] is None and fixed["rules"]["reserve"] == 4
    unfixed = as_json(linked, "channels", "rules", "shop", "--no-fixed", "--round", "none")
    assert unfixed["rules"]["fixed"] is None and unfixed["rules"]["rounding"] is None
    shown = tidemark(linked, "channels", "rules", "shop")
    assert shown.exit_code == 0 and "reserve" in shown.output and "-2.50" in shown.output
    cleared = as_json(linked, "channels", "rules", "shop", "--clear", "--reserve", "1")
    assert {k: v for k, v in cleared["rules"].items() if v is not None} == {"reserve": 1}


def test_a_listing_override_and_explain(linked):
    answer = as_json(linked, "listings", "rules", "SKU-00003", "--channel", "shop", "--max", "2")
    assert answer["sku"] == "SKU-00003" and answer["rules"]["max_quantity"] == 2
    assert answer["moves"] == [{"sku": "SKU-00003", "field": "quantity", "from_value": "12", "to_value": "2"}]
    explained = as_json(linked, "listings", "explain", "SKU-00003", "--channel", "shop")
    (shop,) = explained["channels"]
    assert shop["quantity"] == 2 and shop["override"] == {"max_quantity": 2}
    assert [s["rule"] for s in shop["steps"] if s["source"] != "master"] == ["reserve", "max_quantity"]
    text = tidemark(linked, "listings", "explain", "SKU-00003")
    assert text.exit_code == 0, text.output
    assert "listing override" in text.output and "pushed: quantity 2, price 20.00" in text.output
    dropped = as_json(linked, "listings", "rules", "SKU-00003", "--channel", "shop", "--clear")
    assert dropped["moves"][0]["to_value"] == "12"
    assert (
        as_json(linked, "listings", "rules", "SKU-00003", "--channel", "shop")["rules"]["max_quantity"]
        is None
    )


def test_a_listing_does_without_the_channels_rules(linked):
    as_json(linked, "channels", "rules", "shop", "--clear", "--fixed", "7", "--round", "0.99")
    override = ("listings", "rules", "SKU-00004", "--channel", "shop")  # on hand 14, price 20.00
    dry = tidemark(linked, *override, "--without", "fixed", "--without", "round", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would move 1 of 1 linked listings" in dry.output and "dry run: nothing saved" in dry.output
    assert dry.output.count("without the channel's") == 2
    assert as_json(linked, *override)["rules"]["without"] == []

    answer = as_json(linked, *override, "--without", "fixed", "--without", "round")
    assert answer["rules"]["without"] == ["fixed", "rounding"] and answer["dry_run"] is False
    assert {(m["field"], m["from_value"], m["to_value"]) for m in answer["moves"]} == {
        ("quantity", "7", "14"),
        ("price", "20.99", "20.00"),
    }
    shown = tidemark(linked, *override)
    assert shown.exit_code == 0 and shown.output.count("without the channel's") == 2
    explained = tidemark(linked, "listings", "explain", "SKU-00004", "--channel", "shop")
    assert "cleared by listing override" in explained.output
    assert "pushed: quantity 14, price 20.00" in explained.output

    back = as_json(linked, *override, "--without", "none")
    assert back["rules"]["without"] == [] and back["moves"][0]["to_value"] == "7"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("channels", "rules", "shop", "--percent", "101"), "percent"),
        (("channels", "rules", "shop", "--reserve", "-1"), "reserve"),
        (("channels", "rules", "shop", "--min-price", "9", "--max-price", "3"), "min_price"),
        (("channels", "rules", "nowhere", "--reserve", "1"), "name"),
        (("listings", "rules", "NOPE", "--channel", "shop", "--reserve", "1"), "sku"),
        (
            ("listings", "rules", "SKU-00004", "--channel", "shop", "--fixed", "3", "--without", "fixed"),
            "without",
        ),
        (("listings", "rules", "SKU-00004", "--channel", "shop", "--without", "shares"), "without.0"),
    ],
)
def test_a_refusal_names_the_field(linked, args, named):
    before = as_json(linked, "channels", "rules", "shop")
    result = tidemark(linked, *args, "--json")
    assert result.exit_code == 1
    refused = json.loads(result.output)
    assert refused["status"] in (400, 404) and [e["field"] for e in refused["errors"]] == [named]
    assert as_json(linked, "channels", "rules", "shop") == before


def test_a_markup_that_is_neither_percent_nor_amount_is_refused_before_the_call(linked):
    result = tidemark(linked, "channels", "rules", "shop", "--markup", "ten")
    assert result.exit_code == 1 and "--markup takes a percent" in result.output
