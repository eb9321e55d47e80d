"""The web console on a 100,000-listing catalog in local mode, in Debian's Chromium (make browser-deps):

- console.first_render_ms.listings / .jobs: from the navigation's start (a full load of the page, the
  browser's cache off) to the screen's first table row drawn, median of RUNS (goal < 1,000 ms);
- console.search_p95_ms: GET /v1/listings as the Listings screen asks it, over varied filters (SKU
  prefix, title, status, created by, quantity range, auto sync, link state), p95 (goal < 300 ms);
- console.overview_p95_ms: GET /v1/overview, p95 (goal < 300 ms);
- console.page_kb_compressed: what the browser downloads of the page itself (document, scripts,
  styles: their compressed bodies, not the API's answers) (goal < 250 KB);
- console.idle_requests_per_min.overview / .jobs: the requests an open, untouched screen makes.

The catalog is imported through the listings service in files of IMPORT_ROWS rows (as
`tidemark listings import` does, without the HTTP hop); a Shopify sandbox of LINKED variants is linked
so the channel columns and link-state filters have something to show. Merges `console.*` into
bench/results.json. `python bench/console.py --listings 5000` for a quick run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests/browser's Chromium launch and sign-in, shared with the tests

from shared.services.listings import import_listings  # noqa: E402
from tests.browser.chromium import launch  # noqa: E402
from tests.browser.pages import sign_in  # noqa: E402
from tidemark.local.runtime import LocalRuntime  # noqa: E402

# The benches measure syncs, not the guard: their channels' syncs run unguarded.
os.environ.setdefault("TIDEMARK_GUARD_DEFAULT", "off")

IMPORT_ROWS = 5_000
LINKED = 2_000
RUNS = 5
SAMPLES = 60
IDLE_S = 30
STATUSES = ("active", "inactive")
FILTERS: list[dict[str, str]] = [
    {},
    {"sku_prefix": "SKU-0"},
    {"sku_prefix": "SKU-054"},
    {"sku_prefix": "SKU-09999"},
    {"title": "Blue"},
    {"title": "Wool Socks"},
    {"status": "inactive"},
    {"created_by": "file_import"},
    {"quantity_min": "10", "quantity_max": "20"},
    {"quantity_max": "0"},
    {"auto_sync": "true"},
    {"auto_sync": "false", "sku_prefix": "SKU-01"},
    {"channel": "shop", "link_state": "linked"},
    {"channel": "shop", "link_state": "unlinked"},
    {"channel": "shop", "link_state": "duplicate"},
    {"channel": "shop", "link_state": "out_of_sync", "status": "active"},
]
COLOURS = ("Blue", "Red", "Green", "Black", "White")
GOODS = ("Wool Socks", "Linen Shirt", "Canvas Bag", "Steel Bottle", "Cotton Cap")


HEADER = "sku,title,on_hand,committed,safety_buffer,status,auto_sync\n"


def catalog_files(listings: int) -> list[str]:
    files, rows = [], []
    for i in range(1, listings + 1):
        title = f"{COLOURS[i % len(COLOURS)]} {GOODS[i // len(COLOURS) % len(GOODS)]} {i}"
        status = STATUSES[1] if i % 17 == 0 else STATUSES[0]
        rows.append(f"SKU-{i:05d},{title},{i % 60},{i % 4},{i % 3},{status},{str(i % 5 == 0).lower()}")
        if len(rows) == IMPORT_ROWS or i == listings:
            files.append(HEADER + "\n".join(rows) + "\n")
            rows = []
    return files


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1], 1)


def timed_gets(client: httpx.Client, path: str, queries: list[dict[str, str]]) -> list[float]:
    """Each query's time, round-robin over `queries`; prints the slowest queries (the ones to fix)."""
    took: list[tuple[float, dict[str, str]]] = []
    for n in range(SAMPLES):
        query = {**queries[n % len(queries)], "limit": "50"}
        started = time.perf_counter()
        answer = client.get(path, params=query)
        took.append(((time.perf_counter() - started) * 1000, query))
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} {query}: {answer.status_code} {answer.text[:300]}")
    for ms, query in sorted(took, key=lambda t: -t[0])[:3]:
        print(f"  slowest GET {path} {query}: {ms:.0f} ms", flush=True)
    return [ms for ms, _ in took]


def first_render_ms(page: Any, url: str, route: str) -> float:
    """A full load of the screen (navigation start = 0) until its first table row is drawn."""
    took = []
    for _ in range(RUNS):
        page.goto("about:blank")
        page.goto(f"{url}/#/{route}", wait_until="commit")
        drawn = page.wait_for_function(
            "() => document.querySelector('main table tbody tr') && performance.now()", timeout=30_000
        )
        took.append(float(drawn.json_value()))
    return round(statistics.median(took), 1)


def page_kb(page: Any, url: str) -> float:
    """The compressed bodies of the page's own files on a cold load (not the API's answers)."""
    page.goto("about:blank")
    page.goto(f"{url}/#/listings", wait_until="networkidle")
    own = page.evaluate(
        """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
              .filter(e => !new URL(e.name).pathname.startsWith("/v1/")
                        && !new URL(e.name).pathname.startsWith("/local/"))
              .reduce((n, e) => n + e.encodedBodySize, 0)"""
    )
    return round(own / 1024, 1)


def idle_requests_per_min(page: Any, url: str, route: str) -> float:
    page.goto(f"{url}/#/{route}", wait_until="networkidle")
    seen: list[str] = []

    def made(request: Any) -> None:
        seen.append(request.url)

    page.on("request", made)
    page.wait_for_timeout(IDLE_S * 1000)
    page.remove_listener("request", made)
    return round(len(seen) * 60 / IDLE_S, 1)


def run(listings: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with LocalRuntime(port=0, shopify_variants=LINKED, woocommerce_products=50, seed=2) as runtime:
        started = time.perf_counter()
        for text in catalog_files(listings):
            import_listings(text)
        print(f"{listings} listings imported in {time.perf_counter() - started:.0f} s", flush=True)
        api = runtime.client()
        shop = runtime.sandboxes["shopify"]
        api.add_channel(
            {
                "name": "shop",
                "type": "shopify",
                "store_url": shop.url,
                **shop.credentials,
                "allow_insecure_url": True,
            }
        )
        for body in ({"kind": "link"}, {"kind": "sync", "mode": "full", "dry_run": True}):
            job = api.wait_for_job(api.start_job({"channel": "shop", **body})["id"], timeout_s=1800)
            print(f"{body['kind']}: {job['status']} {job['counts']}", flush=True)
        token = runtime.login().access_token
        headers = {"authorization": f"Bearer {token}"}
        # A filter that scans the catalog takes seconds here: measured, not cut off at httpx's 5 s.
        with httpx.Client(base_url=runtime.api_url, headers=headers, timeout=300) as client:
            figures = {
                "console.search_p95_ms": p95(timed_gets(client, "/v1/listings", FILTERS)),
                "console.overview_p95_ms": p95(timed_gets(client, "/v1/overview", [{}])),
            }
        with sync_playwright() as playwright:
            browser = launch(playwright)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            context.new_cdp_session(page).send("Network.setCacheDisabled", {"cacheDisabled": True})
            sign_in(page, runtime, "operator")
            figures["console.first_render_ms.listings"] = first_render_ms(page, runtime.api_url, "listings")
            figures["console.first_render_ms.jobs"] = first_render_ms(page, runtime.api_url, "jobs")
            figures["console.page_kb_compressed"] = page_kb(page, runtime.api_url)
            for route, name in (("", "overview"), ("jobs", "jobs")):
                figures[f"console.idle_requests_per_min.{name}"] = idle_requests_per_min(
                    page, runtime.api_url, route
                )
            browser.close()
        api.close()
    figures["console.listings"] = listings
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    args = parser.parse_args()
    figures = run(args.listings)
    for name, value in figures.items():
        print(f"{name:42} {value}")
    goals = {
        "console.first_render_ms.listings": 1000,
        "console.first_render_ms.jobs": 1000,
        "console.search_p95_ms": 300,
        "console.overview_p95_ms": 300,
        "console.page_kb_compressed": 250,
    }
    missed = [f"{name} {figures[name]} (< {goal})" for name, goal in goals.items() if figures[name] >= goal]
    print("every goal met" if not missed else "missed: " + "; ".join(missed))
    merge(figures)


if __name__ == "__main__":
    main()
