"""A merchant's first hour in the console, in order: add both channels (a bad token and a bad
linking priority refused beside their fields first), import listings, link and see the duplicate
SKU reported with its fix, re-link once it is fixed, and run a full sync to done.

The tests build on each other (one catalog, as the merchant's is); later modules set up what they
need through the API when run alone (tests/browser/scenario.py)."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import VARIANTS
from tests.browser.pages import Sandbox, check_screen, ended, job_shown, open_screen
from tests.browser.scenario import CATALOG
from tests.waiting import eventually


def links(api, sku: str) -> list[dict]:
    return api.listing(sku)["links"]


def add_channel(page: Page, console, kind: str, name: str, **changes: str) -> None:
    """The Channels screen's add steps for the sandbox of `kind`, then "Test connection and add channel".
    `changes`: token="..." replaces the right token; channel_field="..." adds a second linking priority."""
    open_screen(page, console, "channels", "Channels")
    page.get_by_role("link", name="Add a channel").click()
    page.get_by_label("Channel type").select_option(kind)
    page.get_by_label("Channel name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Store URL").fill(console.sandboxes[kind].url)
    credentials = console.sandboxes[kind].credentials
    if kind == "shopify":
        page.get_by_label("Admin API access token").fill(changes.get("token", credentials["token"]))
    else:
        page.get_by_label("Consumer key").fill(credentials["key"])
        page.get_by_label("Consumer secret").fill(credentials["secret"])
    page.get_by_role("button", name="Next").click()
    if "channel_field" in changes:
        page.get_by_role("button", name="Add priority").click()
        page.get_by_label("Channel field 2").fill(changes["channel_field"])
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Test connection and add channel").click()


def test_a_bad_token_is_refused_beside_its_field_and_saves_nothing(operator, console, api):
    add_channel(operator, console, "shopify", "shop", token="shpat_wrong")
    token = operator.get_by_label("Admin API access token")
    expect(token).to_have_attribute("aria-invalid", "true")
    expect(token).to_have_accessible_description(re.compile("token", re.I))
    check_screen(operator, "channel-add")
    assert api.channels() == []


def test_a_bad_linking_priority_is_refused_beside_its_field_and_saves_nothing(operator, console, api):
    # barcode is a Shopify field: WooCommerce's are sku and global_unique_id
    add_channel(operator, console, "woocommerce", "woo", channel_field="barcode")
    field = operator.get_by_label("Channel field 2")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("'barcode' is not a woocommerce field", re.I))
    assert api.channels() == []


def test_both_channels_are_added_in_steps_with_a_test_call(operator, console, api):
    for kind, name in (("shopify", "shop"), ("woocommerce", "woo")):
        add_channel(operator, console, kind, name)
        expect(operator.get_by_role("heading", level=1, name=f"Channel {name}")).to_be_visible()
    open_screen(operator, console, "channels", "Channels")
    for name in ("shop", "woo"):
        expect(operator.get_by_role("link", name=name, exact=True)).to_be_visible()
    check_screen(operator, "channels")
    assert {c["name"] for c in api.channels()} == {"shop", "woo"}


def test_listings_are_imported_from_a_csv_file(operator, console, api, tmp_path):
    # A variant edited by hand on Shopify now carries SKU-00001 too: linking must report it.
    Sandbox(console, "shopify").edit("SKU-00002", sku="SKU-00001")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(CATALOG)
    open_screen(operator, console, "listings", "Listings")
    operator.get_by_label("CSV file").set_input_files(str(catalog))
    operator.get_by_role("button", name="Import").click()
    expect(operator.get_by_role("status").filter(has_text=f"{VARIANTS} created")).to_be_visible()
    expect(operator.get_by_role("link", name="SKU-00007", exact=True)).to_be_visible()
    assert api.listing("SKU-00007")["on_hand"] == 17


def test_a_link_reports_the_duplicate_sku_with_its_fix_and_a_relink_after_the_fix_links_it(
    operator, console, api
):
    open_screen(operator, console, "channels/shop", "Channel shop")
    check_screen(operator, "channel")
    operator.get_by_role("button", name="Link", exact=True).click()
    expect(operator.get_by_role("heading", level=1, name="Job: link on shop")).to_be_visible()
    ended(operator)  # a duplicate links nothing, and fails no job: it is reported with its fix
    failures = operator.get_by_role("table", name="Failures")
    expect(failures).to_contain_text("duplicate sku 'SKU-00001' on channel 'shop'")
    expect(failures).to_contain_text("make it unique there, then re-link")
    check_screen(operator, "job")

    open_screen(operator, console, "", "Needs attention")
    duplicates = operator.get_by_role("region", name=re.compile("duplicate sku", re.I))
    expect(duplicates).to_contain_text("SKU-00001")
    expect(duplicates).to_contain_text("make it unique there, then re-link")
    # The badge shows what the Overview read at once (it once waited for its own 30 s poll).
    badge = operator.get_by_role("link", name=re.compile("thing.* need.* attention"))
    expect(badge).to_be_visible(timeout=5_000)
    check_screen(operator, "overview")

    Sandbox(console, "shopify").edit("SKU-00001", sku="SKU-00002")  # the merchant fixes it on Shopify
    duplicates.get_by_role("button", name=re.compile("re-link", re.I)).click()

    def linked(sku: str) -> bool:
        return any(link["channel"] == "shop" and link["status"] == "linked" for link in links(api, sku))

    eventually(
        lambda: linked("SKU-00001") and linked("SKU-00002"),
        timeout=60,
        what="SKU-00001 and SKU-00002 linked on shop",
    )
    expect(operator.get_by_role("region", name=re.compile("duplicate sku", re.I))).to_have_count(0)


def test_a_full_sync_shows_its_progress_until_done_and_the_channel_equals_master(operator, console, api):
    open_screen(operator, console, "channels/woo", "Channel woo")
    operator.get_by_role("button", name="Run full sync").click()
    expect(operator.get_by_role("heading", level=1, name="Job: sync full on woo")).to_be_visible()
    progress = operator.get_by_role("progressbar", name="Job progress")
    expect(progress).to_be_visible()
    ended(operator)
    expect(progress).to_have_attribute("value", str(VARIANTS))
    expect(progress).to_have_attribute("max", str(VARIANTS))
    assert api.job(job_shown(operator))["counts"]["pushed"] == VARIANTS
    woo = Sandbox(console, "woocommerce").variants()
    for i in (1, 13, VARIANTS):
        sku = f"SKU-{i:05d}"
        assert woo[sku]["quantity"] == api.listing(sku)["syncable_balance"]
