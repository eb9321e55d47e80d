"""The console in a real browser: Debian's Chromium (`make browser-deps` installs it) driven by
Playwright for Python against the stack `tidemark local up` runs (tidemark.local.runtime.LocalRuntime:
the template in moto, the console API serving the page at `/`, and both sandbox stores).

One stack and one browser for the whole package (the scenarios build on one catalog, as a merchant's
day does); a fresh browser context, signed in through the page, for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.chromium import CHROMIUM, launch
from tidemark.local.runtime import LocalRuntime

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
VARIANTS = 40  # variants in the Shopify sandbox and products in the WooCommerce one


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def console() -> Iterator[LocalRuntime]:
    """`tidemark local up` with both sandboxes, for every browser test."""
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: run `make browser-deps` (apt-get install chromium)")
    with LocalRuntime(port=0, shopify_variants=VARIANTS, woocommerce_products=VARIANTS, seed=5) as runtime:
        yield runtime


@pytest.fixture(scope="package")
def api(console: LocalRuntime) -> Iterator[object]:
    """The console API as the operator, for what a test sets up or checks outside the page."""
    client = console.client()
    yield client
    client.close()


@pytest.fixture(scope="package")
def chromium(console: LocalRuntime) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


def _context(chromium, viewport):  # type: ignore[no-untyped-def]
    # bypass_csp: axe-core is injected into the page by the tests (tests/browser/axe.py), not served.
    context = chromium.new_context(viewport=viewport, bypass_csp=True, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def anonymous(chromium, console):  # type: ignore[no-untyped-def]
    """A page at the console's address, not signed in."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    context = _context(chromium, DESKTOP)
    page = context.new_page()
    page.goto(console.api_url + "/")
    yield page
    context.close()


@pytest.fixture
def operator(chromium, console):  # type: ignore[no-untyped-def]
    """A page signed in as the local operator (everything allowed)."""
    from tests.browser.pages import sign_in

    context = _context(chromium, DESKTOP)
    page = context.new_page()
    sign_in(page, console, "operator")
    yield page
    context.close()


@pytest.fixture
def viewer(chromium, console):  # type: ignore[no-untyped-def]
    """A page signed in as the local viewer (reads only)."""
    from tests.browser.pages import sign_in

    context = _context(chromium, DESKTOP)
    page = context.new_page()
    sign_in(page, console, "viewer")
    yield page
    context.close()


@pytest.fixture
def phone(chromium, console):  # type: ignore[no-untyped-def]
    """The operator on a 390 px wide screen."""
    from tests.browser.pages import sign_in

    context = _context(chromium, PHONE)
    page = context.new_page()
    sign_in(page, console, "operator")
    yield page
    context.close()
