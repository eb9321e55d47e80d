"""An eBay channel added in the console's steps: its own credential fields (marketplace, App ID,
Cert ID, the seller's refresh token, the app's Dev ID), a refused refresh token and a malformed Dev ID
shown beside their fields with nothing saved, then the channel added with a test call."""

import re

from playwright.sync_api import Page, expect

from tests.browser.pages import open_screen


def add_ebay(page: Page, console, name: str, **changes: str) -> None:
    bay = console.sandboxes["ebay"]
    given = {**bay.credentials, **changes}
    open_screen(page, console, "channels", "Channels")
    page.get_by_role("link", name="Add a channel").click()
    page.get_by_label("Channel type").select_option("ebay")
    page.get_by_label("Channel name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Store URL").fill(bay.url)
    page.get_by_label("Allow any http(s) address (a store of your own)").check()
    page.get_by_label("Marketplace").fill(given["marketplace_id"])
    page.get_by_label("App ID (client id)").fill(given["client_id"])
    page.get_by_label("Cert ID (client secret)").fill(given["client_secret"])
    page.get_by_label("Seller's refresh token").fill(given["refresh_token"])
    page.get_by_label("Dev ID (verifies Platform Notifications; optional)").fill(given["dev_id"])
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Channel field 1").fill("sku")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Test connection and add channel").click()


def test_a_refused_refresh_token_is_shown_beside_its_field_and_saves_nothing(operator, console, api):
    add_ebay(operator, console, "bay", refresh_token="v^1.1#not-the-sellers")
    field = operator.get_by_label("Seller's refresh token")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("refresh token", re.I))
    assert "bay" not in {c["name"] for c in api.channels()}


def test_a_malformed_dev_id_is_shown_beside_its_field_and_saves_nothing(operator, console, api):
    add_ebay(operator, console, "bay", dev_id="not-a-dev-id")
    field = operator.get_by_label("Dev ID (verifies Platform Notifications; optional)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("Application Keys"))
    assert "bay" not in {c["name"] for c in api.channels()}


def test_an_ebay_channel_is_added_in_steps_with_a_test_call(operator, console, api):
    add_ebay(operator, console, "bay")
    expect(operator.get_by_role("heading", level=1, name="Channel bay")).to_be_visible()
    (added,) = [c for c in api.channels() if c["name"] == "bay"]
    assert added["type"] == "ebay"
    assert added["store_name"].startswith("eBay seller (EBAY_US")
