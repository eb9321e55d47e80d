"""Allocation in the console: the rules form on a channel's page (a dry run first, a refusal shown at
its field), a listing's override and "why these numbers" on its page (an override that does without
a rule of the channel's too, its refusal shown beside the boxes), the guard set on the channel's
page, and a sync the guard stopped shown on the Overview and Jobs and confirmed from its job's page;
judged through the API and the sandboxes' own APIs. The channels' rules and guards are cleared after."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import (
    Sandbox,
    accessibility_violations,
    check_screen,
    ended,
    open_screen,
)
from tests.browser.scenario import ensure_ready, run
from tests.waiting import eventually

SKUS = [f"SKU-{i:05d}" for i in range(1, 41)]


@pytest.fixture(scope="module", autouse=True)
def ready(console, api):
    ensure_ready(console, api)
    yield
    for name in ("shop", "woo"):
        api.rules(name, {"clear": True})
        api.resume(name)
        api.guard(name, {"on": False})
    for sku in ("SKU-00005", "SKU-00006"):
        api.rules("shop", {"clear": True}, sku=sku)


def rules_form(page: Page):
    return page.get_by_role("form", name="Allocation rules")


def test_the_rules_form_previews_then_saves_and_shows_a_refusal_at_its_field(operator, console, api):
    open_screen(operator, console, "channels/shop", "Channel shop")
    form = rules_form(operator)
    form.get_by_label("Reserve (keep back)").fill("3")
    form.get_by_label("At most").fill("5")
    form.get_by_role("button", name="Preview (dry run)").click()
    expect(form.get_by_role("status")).to_contain_text("Dry run: would move")
    expect(form.get_by_role("heading", name="What the rules would move")).to_be_visible()
    expect(form.get_by_role("table", name="Planned changes").get_by_role("row")).not_to_have_count(1)
    assert api.rules("shop")["rules"]["reserve"] is None  # nothing saved
    check_screen(operator, "channel-rules")

    form.get_by_role("button", name="Save rules").click()
    expect(form.get_by_role("status")).to_contain_text("Saved: moved")
    assert (api.rules("shop")["rules"]["reserve"], api.rules("shop")["rules"]["max_quantity"]) == (3, 5)

    form.get_by_label("Share (%)").fill("150")
    form.get_by_role("button", name="Save rules").click()
    expect(form.get_by_label("Share (%)")).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field-error")).to_contain_text("100")
    assert api.rules("shop")["rules"]["percent"] is None


def test_an_override_and_why_these_numbers_on_a_listings_page(operator, console, api):
    sku = "SKU-00005"
    open_screen(operator, console, f"listings/{sku}", re.compile(sku))
    steps = operator.get_by_role("table", name="Why these numbers on shop")
    expect(steps.get_by_role("row", name=re.compile("reserve"))).to_contain_text("channel")
    operator.get_by_text("Override shop's rules for SKU-00005").click()
    override = operator.get_by_role("form", name="Override on shop")
    override.get_by_role("textbox", name="At most").fill("2")
    override.get_by_role("button", name="Save override").click()
    expect(override.get_by_role("status")).to_contain_text("Saved: moved 1 of 1")
    assert api.rules("shop", sku=sku)["rules"]["max_quantity"] == 2

    operator.reload()
    steps = operator.get_by_role("table", name="Why these numbers on shop")
    expect(steps.get_by_role("row", name=re.compile("max quantity"))).to_contain_text("listing override")
    shop = next(c for c in api.explain(sku)["channels"] if c["channel"] == "shop")
    assert shop["quantity"] == 2
    expect(operator.get_by_role("heading", name=re.compile("On shop: quantity 2"))).to_be_visible()
    check_screen(operator, "listing-explain")


def test_an_override_does_without_the_channels_fixed_quantity_and_a_refusal_shows_beside_it(
    operator, console, api
):
    sku = "SKU-00006"
    api.rules("shop", {"clear": True, "fixed": 8})
    open_screen(operator, console, f"listings/{sku}", re.compile(sku))
    operator.get_by_text(f"Override shop's rules for {sku}").click()
    override = operator.get_by_role("form", name="Override on shop")
    without = override.get_by_role("group", name=f"Do without shop's rules for {sku}")
    without.get_by_label("Do without shop's fixed quantity (8)").check()
    override.get_by_label("Fixed quantity (instead)").fill("3")
    override.get_by_role("button", name="Save override").click()
    expect(without.locator(".field-error")).to_contain_text("fixed is both set here and in without")
    expect(without.get_by_label("Do without shop's fixed quantity (8)")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert not accessibility_violations(operator)
    assert api.rules("shop", sku=sku)["rules"]["without"] == []  # nothing saved

    override.get_by_label("Fixed quantity (instead)").fill("")
    override.get_by_role("button", name="Save override").click()
    expect(override.get_by_role("status")).to_contain_text("Saved: moved 1 of 1")
    assert api.rules("shop", sku=sku)["rules"]["without"] == ["fixed"]

    operator.reload()
    steps = operator.get_by_role("table", name="Why these numbers on shop")
    expect(steps.get_by_role("row", name=re.compile("fixed"))).to_contain_text("cleared by listing override")
    shop = next(c for c in api.explain(sku)["channels"] if c["channel"] == "shop")
    balance = api.listing(sku)["syncable_balance"]
    assert balance != 8 and shop["quantity"] == balance  # the channel's fixed 8 is not applied
    expect(
        operator.get_by_role("heading", name=re.compile(f"On shop: quantity {shop['quantity']},"))
    ).to_be_visible()


def test_a_sync_the_guard_stopped_shows_on_the_overview_and_jobs_and_is_confirmed(operator, console, api):
    open_screen(operator, console, "channels/shop", "Channel shop")
    guard = operator.get_by_role("form", name="Guard")
    guard.get_by_label(re.compile("Guard on")).check()
    guard.get_by_role("button", name="Save guard").click()
    expect(guard.get_by_role("status")).to_have_text("Guard saved")
    assert api.guard("shop")["on"] is True

    api.rules("shop", {"clear": True})
    api.set_auto_sync({"auto_sync": False, "skus": SKUS})  # nothing pushed before the sync
    zeroed = SKUS[:28]
    api.adjust({"reason": "feed", "csv": "sku,on_hand\n" + "".join(f"{sku},0\n" for sku in zeroed)})
    shop = Sandbox(console, "shopify")
    held = shop.quantity("SKU-00001")
    job = run(api, {"channel": "shop", "kind": "sync", "mode": "full"}, ("awaiting_confirmation",))
    assert held > 0 and shop.quantity("SKU-00001") == held  # nothing pushed

    open_screen(operator, console, "", "Needs attention")
    stopped = operator.get_by_role("list", name="Syncs awaiting confirmation")
    expect(stopped).to_contain_text("send 0 to")
    check_screen(operator, "overview-guard")
    open_screen(operator, console, "jobs?status=awaiting_confirmation", "Jobs")
    expect(operator.get_by_role("row", name=f"Job {job['id'][:8]}")).to_be_visible()

    open_screen(operator, console, f"jobs/{job['id']}", re.compile("Job: sync full on shop"))
    expect(operator.get_by_role("table", name="Planned changes")).to_contain_text("SKU-00001")
    check_screen(operator, "job-awaiting-confirmation")
    operator.get_by_role("button", name=f"Confirm job {job['id'][:8]}").click()
    ended(operator)
    eventually(lambda: shop.quantity("SKU-00001") == 0, 30, "SKU-00001 at 0 on the Shopify sandbox")


def test_auto_sync_the_breaker_paused_shows_on_the_overview_and_resumes_with_nothing_lost(
    operator, console, api
):
    api.guard("woo", {"on": True})
    api.set_auto_sync({"auto_sync": True, "skus": SKUS})
    api.adjust(
        {"reason": "feed", "csv": "sku,on_hand\n" + "".join(f"{sku},50\n" for sku in SKUS)}
    )  # every balance moves (to 49 less committed): past the guard's 80 % changed
    eventually(lambda: next(b for b in api.breakers() if b["channel"] == "woo")["paused_at"] is not None, 60)
    open_screen(operator, console, "", "Needs attention")
    paused = operator.get_by_role("list", name="Channels whose auto sync is paused")
    expect(paused).to_contain_text("auto sync paused: in 10 minutes its pushes would change")
    check_screen(operator, "overview-breaker")
    paused.get_by_role("button", name="Resume auto sync on woo").click()
    expect(paused.get_by_role("status")).to_contain_text("resumed")
    woo = Sandbox(console, "woocommerce")
    # After the daily-work tests one of SKUS is gone from the store (deleted there to fail a job)
    on_woo = [sku for sku in SKUS if sku in woo.variants()]
    balances = {sku: api.listing(sku)["syncable_balance"] for sku in on_woo}
    eventually(
        lambda: all(woo.quantity(sku) == balances[sku] for sku in on_woo),
        60,
        "every listing on the WooCommerce sandbox",
    )
