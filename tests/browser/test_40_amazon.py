"""An Amazon channel added in the console's steps: its own credential fields (seller id, marketplace,
LWA client id and secret, the seller's refresh token, a sandbox's LWA endpoint), a refused refresh
token and a seller id the grant is not for shown beside their fields with nothing saved, then the
channel added with a test call."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.pages import open_screen


def add_amazon(page: Page, console, name: str, **changes: str) -> None:
    amazon = console.sandboxes["amazon"]
    given = {**amazon.credentials, **changes}
    open_screen(page, console, "channels", "Channels")
    page.get_by_role("link", name="Add a channel").click()
    page.get_by_label("Channel type").select_option("amazon")
    page.get_by_label("Channel name").fill(name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Store URL").fill(amazon.url)
    page.get_by_label("Allow any http(s) address (a store of your own)").check()
    page.get_by_label("Seller id (merchant token)").fill(given["seller_id"])
    page.get_by_label("Marketplace id (ATVPDKIKX0DER is the US)").fill(given["marketplace_id"])
    page.get_by_label("LWA client id").fill(given["client_id"])
    page.get_by_label("LWA client secret").fill(given["client_secret"])
    page.get_by_label("Refresh token").fill(given["refresh_token"])
    page.get_by_label("LWA token endpoint (a sandbox's; leave empty for Amazon's)").fill(given["lwa_url"])
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Channel field 1").fill("sku")
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Test connection and add channel").click()


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"refresh_token": "Atzr|not-the-sellers-grant"}, "Refresh token"),
        ({"seller_id": "A9OTHERSELLER"}, "Seller id (merchant token)"),
    ],
)
def test_refused_credentials_are_shown_beside_their_field_and_save_nothing(
    operator, console, api, changes, label
):
    add_amazon(operator, console, "amz", **changes)
    field = operator.get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("."))
    assert "amz" not in {c["name"] for c in api.channels()}


def test_an_amazon_channel_is_added_in_steps_with_a_test_call(operator, console, api):
    add_amazon(operator, console, "amz")
    expect(operator.get_by_role("heading", level=1, name="Channel amz")).to_be_visible()
    (added,) = [c for c in api.channels() if c["name"] == "amz"]
    assert added["type"] == "amazon"
    assert added["store_name"].startswith("Amazon seller")
    api.remove_channel("amz")  # the later screens' tests do without it
