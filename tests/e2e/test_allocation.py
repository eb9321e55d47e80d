"""Allocation end to end in local mode, judged on both sandbox stores: a reserve, a share and a
ceiling on one channel and none on the other, a listing's override, a price markup with rounding, a
rule change pushed at once where auto sync is on and by the next smart sync where it is off, a dry
run that pushes nothing, explain across two channels, history naming the rule; bad rules refused
naming the field, nothing saved; an override that does without the channel's rules. The tests run in
order, each on the rules the one before left."""

import time
from decimal import Decimal

import pytest

from tests.waiting import eventually
from tidemark.api_client import ApiError
from tidemark.local.linked import link_both_sandboxes

pytestmark = pytest.mark.e2e

SKUS = [f"SKU-{i:05d}" for i in range(1, 41)]
AUTO = set(SKUS[:20])  # auto sync on for the first 20, off for the rest
PRICE = Decimal("10.40")


def on_hand(sku: str) -> int:
    return 10 + int(sku[-2:])


@pytest.fixture(scope="module")
def stores(stack, api):
    rows = "\n".join(f"{sku},{on_hand(sku)},{PRICE},{str(sku in AUTO).lower()}" for sku in SKUS)
    return link_both_sandboxes(
        stack,
        api,
        "sku,on_hand,price,auto_sync\n" + rows + "\n",
        {"shop": "shop-secret", "woo": "woo-secret"},
    )


def shop_rules_quantity(balance: int) -> int:
    """reserve 2, then 50 %, rounded down, then at most 12: worked out here, apart from the code."""
    return min(12, max(0, balance - 2) * 50 // 100)


def prices(store) -> dict[str, Decimal]:
    return {row["sku"]: Decimal(str(row["price"])) for row in store.variant_rows()}


def run(api, body):
    job = api.wait_for_job(api.start_job(body)["id"])
    assert job["status"] == "completed", (job["status"], job["counts"], job["failures"])
    return job


def test_a_dry_run_of_a_rule_says_what_it_would_move_and_pushes_nothing(stores, api):
    shop, _ = stores
    before = shop.adjustment_count
    answer = api.rule_change_done(
        api.rules("shop", {"reserve": 2, "percent": 50, "max_quantity": 12}, dry_run=True)
    )
    assert answer["dry_run"] is True and answer["checked"] == len(SKUS)
    assert answer["moved_listings"] == len(SKUS)
    moved = {m["sku"]: m for m in answer["moves"] if m["field"] == "quantity"}
    assert moved["SKU-00030"]["from_value"] == "40"
    assert moved["SKU-00030"]["to_value"] == str(shop_rules_quantity(40))
    assert api.rules("shop")["rules"]["reserve"] is None  # nothing saved
    time.sleep(2)
    assert shop.adjustment_count == before
    assert shop.quantity("SKU-00030") == 40


def test_a_rule_change_is_pushed_at_once_where_auto_sync_is_on_and_by_a_smart_sync_elsewhere(stores, api):
    shop, woo = stores
    answer = api.rule_change_done(api.rules("shop", {"reserve": 2, "percent": 50, "max_quantity": 12}))
    assert answer["dry_run"] is False and answer["moved_listings"] == len(SKUS)
    assert answer["auto_pushed"] == len(AUTO)
    for sku in sorted(AUTO):
        eventually(lambda sku=sku: shop.quantity(sku) == shop_rules_quantity(on_hand(sku)))
    off = [sku for sku in SKUS if sku not in AUTO]
    assert all(shop.quantity(sku) == on_hand(sku) for sku in off)  # auto sync off: not yet

    job = run(api, {"channel": "shop", "kind": "sync", "mode": "smart"})
    assert job["ran_as"] is None and job["mode"] == "smart"  # after a full one: a smart one
    assert {sku: shop.quantity(sku) for sku in SKUS} == {
        sku: shop_rules_quantity(on_hand(sku)) for sku in SKUS
    }
    # the other channel has no rules: it holds the balance
    assert {sku: woo.quantity(sku) for sku in SKUS} == {sku: on_hand(sku) for sku in SKUS}


def test_a_full_sync_and_a_sale_keep_the_rules(stores, api):
    shop, woo = stores
    run(api, {"channel": "shop", "kind": "sync", "mode": "full"})
    assert {sku: shop.quantity(sku) for sku in SKUS} == {
        sku: shop_rules_quantity(on_hand(sku)) for sku in SKUS
    }
    woo.place_order([("SKU-00010", 5)])  # balance 20 -> 15: shop 9 -> 6
    eventually(lambda: shop.quantity("SKU-00010") == shop_rules_quantity(15))


def test_an_override_for_one_listing_on_one_channel(stores, api):
    shop, woo = stores
    answer = api.rules("shop", {"max_quantity": 3}, sku="SKU-00005")
    assert answer["sku"] == "SKU-00005" and answer["moved_listings"] == 1
    assert answer["moves"] == [{"sku": "SKU-00005", "field": "quantity", "from_value": "6", "to_value": "3"}]
    eventually(lambda: shop.quantity("SKU-00005") == 3)
    assert shop.quantity("SKU-00006") == shop_rules_quantity(on_hand("SKU-00006"))
    assert woo.quantity("SKU-00005") == on_hand("SKU-00005")
    assert api.rules("shop", sku="SKU-00005")["rules"]["max_quantity"] == 3


def test_a_price_markup_with_rounding_on_the_other_channel(stores, api):
    shop, woo = stores
    answer = api.rule_change_done(api.rules("woo", {"markup_percent": 10, "rounding": "0.99"}))
    assert answer["moved_listings"] == len(SKUS)
    eventually(lambda: all(prices(woo)[sku] == Decimal("11.99") for sku in sorted(AUTO)))
    run(api, {"channel": "woo", "kind": "sync", "mode": "smart"})
    assert {sku: prices(woo)[sku] for sku in SKUS} == dict.fromkeys(
        SKUS, Decimal("11.99")
    )  # 10.40 + 10 %: 11.44
    assert {sku: prices(shop)[sku] for sku in SKUS} == dict.fromkeys(SKUS, PRICE)
    assert {sku: woo.quantity(sku) for sku in SKUS if sku != "SKU-00010"} == {
        sku: on_hand(sku) for sku in SKUS if sku != "SKU-00010"
    }


def test_explain_names_every_step_on_both_channels_and_ends_at_what_each_store_holds(stores, api):
    shop, woo = stores
    explained = {c["channel"]: c for c in api.explain("SKU-00005")["channels"]}
    assert set(explained) == {"shop", "woo"}
    steps = {
        name: [(s["rule"], s["source"], s["after"]) for s in c["steps"]] for name, c in explained.items()
    }
    assert ("reserve", "channel", "13") in steps["shop"]
    assert ("percent", "channel", "6") in steps["shop"]
    assert ("max_quantity", "listing override", "3") in steps["shop"]
    assert explained["shop"]["quantity"] == shop.quantity("SKU-00005") == 3
    assert ("markup_percent", "channel", "11.44") in steps["woo"]
    assert ("rounding", "channel", "11.99") in steps["woo"]
    assert Decimal(explained["woo"]["price"]) == prices(woo)["SKU-00005"]
    assert explained["woo"]["quantity"] == woo.quantity("SKU-00005")
    assert explained["shop"]["override"] == {"max_quantity": 3}
    one = api.explain("SKU-00005", channel="woo")["channels"]
    assert [c["channel"] for c in one] == ["woo"]


def test_history_names_the_rule_that_shaped_each_push(stores, api):
    entries = api.history("SKU-00005", channel="shop")["entries"]
    latest = next(e for e in entries if e["field"] == "quantity")
    assert latest["job_id"] == "rule-change" and latest["to_value"] == "3"
    assert "max_quantity (listing override)" in latest["rule"] and "reserve (channel)" in latest["rule"]
    woo_price = next(e for e in api.history("SKU-00005", channel="woo")["entries"] if e["field"] == "price")
    assert "markup_percent (channel)" in woo_price["rule"]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"percent": 101}, "percent"),
        ({"reserve": -1}, "reserve"),
        ({"min_price": 20, "max_price": 10}, "min_price"),
        ({"max_price": 1}, "min_price"),  # under the minimum already saved (5)
        ({"shares": 10}, "shares"),
    ],
)
def test_bad_rules_are_refused_naming_the_field_and_nothing_is_saved(stores, api, edit, field):
    api.rules("woo", {"min_price": 5})
    before = api.rules("woo")["rules"]
    with pytest.raises(ApiError) as refused:
        api.rules("woo", edit)
    assert refused.value.status == 400
    assert [e["field"] for e in refused.value.errors] == [field], refused.value.errors
    assert api.rules("woo")["rules"] == before


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda api: api.rules("nowhere", {"reserve": 1}), "name"),
        (lambda api: api.rules("shop", {"reserve": 1}, sku="NO-SUCH-SKU"), "sku"),
        (lambda api: api.rules("nowhere", {"reserve": 1}, sku="SKU-00001"), "name"),
        (lambda api: api.explain("NO-SUCH-SKU"), "sku"),
        (lambda api: api.explain("SKU-00001", channel="nowhere"), "channel"),
        (lambda api: api.guard("nowhere"), "name"),
        (lambda api: api.guard("nowhere", {"on": False}), "name"),
    ],
)
def test_an_unknown_channel_or_sku_is_a_404_naming_it(stores, api, call, field):
    with pytest.raises(ApiError) as refused:
        call(api)
    assert refused.value.status == 404
    assert [e["field"] for e in refused.value.errors] == [field]


def test_an_override_does_without_the_channels_fixed_quantity_and_rounding(stores, api):
    """It sets woo's rules itself, so it holds run alone too."""
    _, woo = stores
    sku = "SKU-00007"  # on hand 17, auto sync on
    api.rule_change_done(
        api.rules("woo", {"clear": True, "fixed": 25, "markup_percent": 10, "rounding": "0.99"})
    )
    eventually(lambda: woo.quantity(sku) == 25 and prices(woo)[sku] == Decimal("11.99"))
    api.rules("woo", {"fixed": 4}, sku=sku)  # a fixed quantity of its own: doing without fixed unsets it
    eventually(lambda: woo.quantity(sku) == 4)

    edit = {"without": ["rounding", "fixed"]}
    dry = api.rules("woo", edit, sku=sku, dry_run=True)
    assert dry["dry_run"] is True and dry["rules"]["without"] == ["fixed", "rounding"]
    assert {(m["field"], m["from_value"], m["to_value"]) for m in dry["moves"]} == {
        ("quantity", "4", "17"),
        ("price", "11.99", "11.44"),
    }
    assert api.rules("woo", sku=sku)["rules"] == {**dry["rules"], "fixed": 4, "without": []}  # unsaved

    answer = api.rules("woo", edit, sku=sku)
    assert answer["rules"]["fixed"] is None and answer["rules"]["without"] == ["fixed", "rounding"]
    assert (answer["moved_listings"], answer["auto_pushed"]) == (1, 1)
    eventually(lambda: woo.quantity(sku) == 17 and prices(woo)[sku] == Decimal("11.44"))
    assert woo.quantity("SKU-00008") == 25  # the channel's fixed quantity holds for the others

    (explained,) = api.explain(sku, channel="woo")["channels"]
    steps = [(s["rule"], s["source"], s["before"], s["after"]) for s in explained["steps"]]
    assert ("fixed", "cleared by listing override", "17", "17") in steps
    assert ("rounding", "cleared by listing override", "11.44", "11.44") in steps
    assert (explained["quantity"], Decimal(explained["price"])) == (woo.quantity(sku), prices(woo)[sku])
    assert explained["override"] == {"without": ["fixed", "rounding"]}
    latest = next(e for e in api.history(sku, channel="woo")["entries"] if e["field"] == "quantity")
    assert latest["to_value"] == "17" and "fixed (cleared by listing override)" in latest["rule"]

    again = api.rules("woo", {"fixed": 6}, sku=sku)  # a rule set again leaves `without`
    assert again["rules"]["fixed"] == 6 and again["rules"]["without"] == ["rounding"]
    eventually(lambda: woo.quantity(sku) == 6)


@pytest.mark.parametrize(
    ("edit", "field", "fix"),
    [
        ({"fixed": 3, "without": ["fixed"]}, "without", "unset fixed to do without the channel's"),
        ({"markup_amount": 1, "without": ["markup_percent"]}, "without", "take markup_percent out of"),
        ({"without": ["shares"]}, "without.0", "'max_quantity'"),
        ({"without": "fixed"}, "without", "tuple"),
    ],
)
def test_an_override_that_sets_and_does_without_a_rule_or_names_none_is_refused_and_saves_nothing(
    stores, api, edit, field, fix
):
    before = api.rules("woo", sku="SKU-00007")["rules"]
    with pytest.raises(ApiError) as refused:
        api.rules("woo", edit, sku="SKU-00007")
    assert refused.value.status == 400
    assert [e["field"] for e in refused.value.errors] == [field], refused.value.errors
    assert fix in refused.value.errors[0]["message"]
    assert api.rules("woo", sku="SKU-00007")["rules"] == before
