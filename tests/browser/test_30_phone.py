"""The console on a 390 px wide phone: every screen fits its width (no sideways scroll of the page:
wide tables scroll in their own box), the screens are reachable from the navigation, and a listing
can be opened and adjusted with a thumb."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.pages import check_screen, open_screen
from tests.browser.scenario import ensure_ready

SCREENS = {
    "": "Needs attention",
    "listings": "Listings",
    "listings/SKU-00008": re.compile("SKU-00008"),
    "channels": "Channels",
    "jobs": "Jobs",
    "dead-letters": "Dead letters",
    "settings": "Settings",
}


@pytest.fixture(scope="module", autouse=True)
def ready(console, api):
    ensure_ready(console, api)


def page_width(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


def test_every_screen_fits_390_px(phone, console):
    for route, heading in SCREENS.items():
        open_screen(phone, console, route, heading)
        assert page_width(phone) <= 390, f"#/{route} is {page_width(phone)} px wide at 390"
    open_screen(phone, console, "listings", "Listings")
    check_screen(phone, "phone-listings")


def test_the_navigation_and_a_listings_adjust_work_at_390_px(phone, console, api):
    open_screen(phone, console, "", "Needs attention")
    check_screen(phone, "phone-overview")
    menu = phone.get_by_role("button", name=re.compile("menu|screens", re.I))
    if menu.count():
        menu.click()
    phone.get_by_role("navigation", name="Screens").get_by_role("link", name="Listings").click()
    expect(phone.get_by_role("heading", level=1, name="Listings")).to_be_visible()
    phone.get_by_role("link", name="SKU-00008", exact=True).click()
    expect(phone.get_by_role("heading", level=1, name=re.compile("SKU-00008"))).to_be_visible()
    on_hand = api.listing("SKU-00008")["on_hand"]
    phone.get_by_label("Quantity", exact=True).fill(str(on_hand + 1))
    phone.get_by_role("button", name="Save adjustment").click()
    expect(phone.get_by_role("status").filter(has_text="Saved")).to_be_visible()
    assert api.listing("SKU-00008")["on_hand"] == on_hand + 1
