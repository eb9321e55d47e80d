"""The merchant's daily work in the console, on the catalog the onboarding left (or the same made
through the API): a quantity changed on a listing's page reaching both channels by auto sync (judged
on the sandboxes' own APIs), the job queue steered, a failed job re-run, a dry run's plan read,
auto sync turned on for a filter, a listing's history, a dead letter redriven, a viewer refused."""

import re

import pytest
from playwright.sync_api import Page, expect

from shared.storage import listings
from shared.storage.aws import table
from tests.browser.pages import Sandbox, check_screen, ended, open_screen
from tests.browser.scenario import ensure_ready, run
from tests.e2e.test_auto_sync import post_shopify, shopify_order
from tests.integration.test_dlq import retried_fast
from tests.waiting import eventually

WEBHOOK_SECRET = "browser-webhook-secret"


@pytest.fixture(scope="module", autouse=True)
def ready(console, api):
    ensure_ready(console, api)


def adjust(page: Page, quantity: int) -> None:
    """A listing's page: set on hand (the reason left at manual) and save."""
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.get_by_role("button", name="Save adjustment").click()


def test_a_quantity_changed_on_a_listings_page_reaches_both_channels(operator, console, api):
    sku = "SKU-00007"
    api.set_auto_sync({"auto_sync": True, "skus": [sku]})
    open_screen(operator, console, f"listings/{sku}", re.compile(sku))
    check_screen(operator, "listing")
    adjust(operator, 55)
    expect(operator.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    balance = api.listing(sku)["syncable_balance"]
    assert api.listing(sku)["on_hand"] == 55
    for kind in ("shopify", "woocommerce"):
        sandbox = Sandbox(console, kind)
        eventually(lambda s=sandbox: s.quantity(sku) == balance, 30, f"{sku} at {balance} on {kind}")


def test_two_queued_jobs_the_second_prioritized_and_the_first_cancelled(operator, console, api):
    shop = Sandbox(console, "shopify")
    shop.faults(latency_seconds=1.5)  # the running job holds the queue while the merchant steers it
    try:
        running = api.start_job({"channel": "shop", "kind": "reconcile"})
        first = api.start_job({"channel": "shop", "kind": "sync", "mode": "selected", "skus": ["SKU-00003"]})
        second = api.start_job({"channel": "shop", "kind": "sync", "mode": "selected", "skus": ["SKU-00004"]})
        one, two = first["id"][:8], second["id"][:8]
        open_screen(operator, console, "jobs?channel=shop&status=queued", "Jobs")
        expect(operator.get_by_role("row", name=f"Job {one}")).to_be_visible()
        check_screen(operator, "jobs")
        operator.get_by_role("row", name=f"Job {two}").get_by_role(
            "button", name=f"Prioritize job {two}"
        ).click()
        eventually(lambda: api.job(second["id"])["priority"] > api.job(first["id"])["priority"], 10)
        operator.get_by_role("button", name=f"Cancel job {one}").click()
        dialog = operator.get_by_role("dialog")
        expect(dialog).to_contain_text(one)
        dialog.get_by_role("button", name=f"Cancel job {one}").click()
        eventually(lambda: api.job(first["id"])["status"] == "cancelled", 30, "the first job cancelled")
        expect(operator.get_by_role("row", name=f"Job {one}")).to_have_count(0)  # no longer queued
    finally:
        shop.faults()
    done = api.wait_for_job(second["id"], timeout_s=120)
    assert done["status"] == "completed"
    assert api.wait_for_job(running["id"])["finished_at"] <= done["started_at"]
    assert api.job(first["id"])["started_at"] is None


def test_a_failed_job_is_rerun_from_its_page(operator, console, api):
    Sandbox(console, "woocommerce").delete("SKU-00039")
    failed = run(
        api,
        {"channel": "woo", "kind": "sync", "mode": "selected", "skus": ["SKU-00039", "SKU-00038"]},
        ("completed_with_errors",),
    )
    run(api, {"channel": "woo", "kind": "link"}, ("completed", "completed_with_errors"))  # unlinks it
    open_screen(operator, console, f"jobs/{failed['id']}", "Job: sync selected on woo")
    ended(operator, "completed_with_errors")
    expect(operator.get_by_role("table", name="Failures")).to_contain_text("SKU-00039")
    operator.get_by_role("button", name=f"Re-run job {failed['id'][:8]}").click()
    expect(operator.get_by_role("status").filter(has_text="re-run queued as")).to_be_visible()
    (again,) = [j for j in api.jobs(channel="woo", limit=20) if j.get("rerun_of") == failed["id"]]
    open_screen(operator, console, f"jobs/{again['id']}", "Job: sync selected on woo")
    expect(operator.get_by_text(f"Re-run of {failed['id'][:8]}")).to_be_visible()
    ended(operator)
    assert api.job(again["id"])["counts"]["pushed"] == 1


def test_a_dry_runs_plan_shows_what_would_change_from_and_to(operator, console, api):
    sku = "SKU-00012"
    api.set_auto_sync({"auto_sync": False, "skus": [sku]})
    before = api.listing(sku)["syncable_balance"]
    api.adjust({"sku": sku, "on_hand": api.listing(sku)["on_hand"] + 5, "reason": "manual"})
    open_screen(operator, console, "channels/shop", "Channel shop")
    operator.get_by_label(re.compile("^Dry run")).check()
    operator.get_by_role("button", name="Run full sync").click()
    expect(operator.get_by_role("heading", level=1, name="Job: sync full (dry run) on shop")).to_be_visible()
    ended(operator)
    plan = operator.get_by_role("table", name="Planned changes")
    expect(plan.get_by_role("row").nth(1)).to_be_visible()
    row = plan.get_by_role("row").filter(has_text=sku).filter(has_text="quantity")
    for _ in range(5):  # the plan is paged: its next page until the SKU's row shows
        if row.count() or not operator.get_by_role("button", name="Next changes").count():
            break
        first = plan.get_by_role("row").nth(1).inner_text()
        operator.get_by_role("button", name="Next changes").click()
        expect(plan.get_by_role("row").nth(1)).not_to_have_text(first)
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell")).to_have_text(["quantity", str(before), str(before + 5)])
    check_screen(operator, "plan")
    assert Sandbox(console, "shopify").quantity(sku) == before  # a dry run pushes nothing


def test_auto_sync_is_turned_on_for_every_listing_in_a_filter(operator, console, api):
    off = [f"SKU-{i:05d}" for i in range(20, 36)]
    api.set_auto_sync({"auto_sync": False, "skus": off})
    open_screen(operator, console, "listings", "Listings")
    operator.get_by_label("SKU prefix").fill("SKU-0002")
    operator.get_by_role("button", name="Apply filters").click()
    expect(operator.get_by_role("link", name="SKU-00029", exact=True)).to_be_visible()
    expect(operator.get_by_role("link", name="SKU-00030", exact=True)).to_have_count(0)
    check_screen(operator, "listings")
    operator.get_by_role("radio", name="All in the filter").check()
    operator.get_by_role("button", name="Turn auto sync on").click()
    expect(
        operator.get_by_role("status").filter(has_text=re.compile("10 listings changed|a job"))
    ).to_be_visible()
    eventually(lambda: all(api.listing(sku)["auto_sync"] for sku in off[:10]), 60, "SKU-0002x auto synced")
    assert not any(api.listing(sku)["auto_sync"] for sku in off[10:])


def test_a_listings_history_is_read_newest_first(operator, console, api):
    open_screen(operator, console, "history/SKU-00007", "History of SKU-00007")
    table_ = operator.get_by_role("table", name="Sync history of SKU-00007")
    first = table_.get_by_role("row").nth(1)
    expect(first).to_contain_text("quantity")
    expect(first).to_contain_text(str(api.listing("SKU-00007")["syncable_balance"]))
    check_screen(operator, "history")


def test_a_dead_letter_is_read_and_redriven(operator, console, api):
    sku = "SKU-00011"
    api.edit_channel("shop", {"webhook_secret": WEBHOOK_SECRET})
    on_hand = api.listing(sku)["on_hand"]
    table().delete_item(Key=listings.key(sku))
    with retried_fast("webhooks"):
        order = shopify_order(99001, sku, 2, 1)
        answer = post_shopify(console, "orders/create", order, "E-BR-1", WEBHOOK_SECRET)
        assert answer.status_code == 200, answer.text
        eventually(lambda: bool(api.dead_letters("webhooks")["messages"]), 60, "a dead letter")
    api.import_listings(f"sku,on_hand\n{sku},{on_hand}\n")

    open_screen(operator, console, "dead-letters", "Dead letters")
    letter = operator.get_by_role("row").filter(has_text="E-BR-1")
    expect(letter).to_contain_text(f"SKU '{sku}' has no listing in master")
    check_screen(operator, "dead-letters")
    letter.get_by_role("button", name="Redrive").click()
    dialog = operator.get_by_role("dialog")
    if dialog.count():
        dialog.get_by_role("button", name="Redrive").click()
    expect(operator.get_by_role("status").filter(has_text=re.compile("1 redriven"))).to_be_visible()
    eventually(lambda: api.listing(sku)["on_hand"] == on_hand - 2, 30, "the order applied once")
    assert not api.dead_letters("webhooks")["messages"]


def test_a_viewers_change_is_refused_and_changes_nothing(viewer, console, api):
    sku = "SKU-00005"
    before = api.listing(sku)
    open_screen(viewer, console, f"listings/{sku}", re.compile(sku))
    adjust(viewer, 1)
    expect(viewer.get_by_role("alert")).to_contain_text("reads only: ask an operator")
    assert api.listing(sku) == before


def test_the_settings_screen_shows_the_auto_sync_rules(operator, console):
    open_screen(operator, console, "settings", "Settings")
    expect(operator.get_by_label(re.compile("file import", re.I))).to_be_visible()
    check_screen(operator, "settings")
