"""Locations and bundles in the console: a location added, refused when badly named, and not removed
while it holds stock (Settings); a listing's stock per location and its bundle's components, with the
one that limits it (a listing's page); a channel's location map saved (a channel's page); a listing
out of sync at one channel location, named on its page."""

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.pages import check_screen, open_screen
from tests.browser.scenario import ensure_ready, run


@pytest.fixture(scope="module", autouse=True)
def ready(console, api):
    ensure_ready(console, api)
    yield
    # the other scenarios' catalog, as it was
    api.set_bundle("SKU-00012", {})
    if "aisle-9" in {location["name"] for location in api.locations()}:
        for sku in ("SKU-00003", "SKU-00011"):
            api.adjust({"sku": sku, "on_hand": 0, "location": "aisle-9", "reason": "manual"})
        api.remove_location("aisle-9")


def test_locations_are_added_and_one_holding_stock_is_not_removed(operator: Page, console, api):
    open_screen(operator, console, "settings", "Settings")
    form = operator.get_by_role("form", name="Add a location")
    form.get_by_label("New location").fill("Aisle 9")
    form.get_by_role("button", name="Add location").click()
    expect(form.get_by_text("not a location name")).to_be_visible()
    form.get_by_label("New location").fill("aisle-9")
    form.get_by_role("button", name="Add location").click()
    expect(operator.get_by_role("status").filter(has_text="Location aisle-9 added")).to_be_visible()
    table = operator.get_by_role("table", name="Master locations")
    expect(table.get_by_role("rowheader", name="aisle-9")).to_be_visible()
    check_screen(operator, "settings-locations")
    api.adjust({"sku": "SKU-00003", "on_hand": 4, "location": "aisle-9", "reason": "manual"})
    operator.get_by_role("button", name="Remove aisle-9").click()
    operator.get_by_role("dialog").get_by_role("button", name="Remove aisle-9").click()
    expect(operator.get_by_text("still holds stock of SKU-00003")).to_be_visible()
    assert "aisle-9" in {location["name"] for location in api.locations()}


def test_a_listings_page_shows_stock_per_location_and_what_limits_its_bundle(operator: Page, console, api):
    if "aisle-9" not in {location["name"] for location in api.locations()}:
        api.add_location("aisle-9")
    api.adjust({"sku": "SKU-00011", "on_hand": 6, "location": "aisle-9", "reason": "manual"})
    api.set_bundle("SKU-00012", {"SKU-00011": 1, "SKU-00013": 1000})
    open_screen(operator, console, "listings/SKU-00011", "SKU-00011")
    stock = operator.get_by_role("table", name="Stock of SKU-00011 per location")
    expect(stock.get_by_role("row").filter(has_text="aisle-9")).to_contain_text("6")
    open_screen(operator, console, "listings/SKU-00012", "SKU-00012")
    components = operator.get_by_role("table", name="Components of SKU-00012")
    expect(components.get_by_role("row").filter(has_text="SKU-00013")).to_contain_text("limits it")
    check_screen(operator, "listing-bundle")


def test_a_channels_location_map_is_saved(operator: Page, console, api):
    if "aisle-9" not in {location["name"] for location in api.locations()}:
        api.add_location("aisle-9")
    open_screen(operator, console, "channels/shop", "Channel shop")
    form = operator.get_by_role("form", name="Location map")
    field = form.get_by_label("Warehouse 1", exact=False)
    expect(field).to_be_visible()
    held_reloads: list[Route] = []
    operator.route("**/v1/channels/shop/locations", lambda route: hold_reads(route, held_reloads))
    field.fill("default, aisle-9")
    form.get_by_role("button", name="Save location map").click()
    expect(operator.get_by_role("status").filter(has_text="Location map saved")).to_be_visible()
    assert list(api.location_map("shop")["locations"].values()) == [["default", "aisle-9"]]
    # typed while the page's reload after the save is still on its way: the reload must not undo it
    for _ in range(150):  # the page's own events run only while Playwright waits
        if held_reloads:
            break
        operator.wait_for_timeout(100)
    assert held_reloads, "the page did not reload the location map after saving it"
    field.fill("attic")
    with operator.expect_response(
        lambda response: response.request.method == "GET" and "/locations" in response.url
    ):
        for route in held_reloads:
            route.continue_()
    operator.unroute("**/v1/channels/shop/locations")
    operator.wait_for_timeout(500)  # what must not happen: the page rendering the reload over the field
    expect(field).to_have_value("attic")
    form.get_by_role("button", name="Save location map").click()
    expect(form.get_by_text("no location 'attic'").first).to_be_visible()
    check_screen(operator, "channel-locations")
    api.location_map("shop", {})  # the other scenarios' channel, as it was


def test_a_listing_out_of_sync_at_a_channel_location_names_it(operator: Page, console, api):
    shop, sku, warehouse = console.sandboxes["shopify"].store, "SKU-00004", 60_000_001
    api.location_map("shop", {"Warehouse 1": ["default"]})
    try:
        shop.stock_at(sku, warehouse, 99)  # a hand edit whose webhook was lost: a reconcile finds it
        run(api, {"channel": "shop", "kind": "reconcile"})
        open_screen(operator, console, f"listings/{sku}", sku)
        links = operator.get_by_role("table", name=f"Links of {sku}")
        expect(links.get_by_role("row").filter(has_text="history on shop")).to_contain_text(
            f"out of sync · quantity at Warehouse 1 (gid://shopify/Location/{warehouse}): channel 99, master"
        )
        run(api, {"channel": "shop", "kind": "sync", "mode": "partial"})
        assert shop.available_at(sku, warehouse) != 99
    finally:
        api.location_map("shop", {})  # the other scenarios' channel, as it was


def hold_reads(route: Route, held: list[Route]) -> None:
    if route.request.method == "GET":
        held.append(route)
    else:
        route.continue_()
