"""Push throughput against the sandbox stores: how close each client gets to its channel's ceiling.

Shopify, on the standard and the advanced plan: ShopifyClient.push_quantities in batches of 250
(inventorySetQuantities, 10 points a call) over a 20,000-variant catalog, round after round (each
round sets new quantities, compare-and-set on the previous ones). The ceiling is what the plan's
bucket allows over the same window, the full bucket at the start included:
(bucket + restore rate x elapsed) / 10 points x 250 listings.

WooCommerce: WooCommerceClient.push_quantities in batches of 100 simple products (products/batch; a
variation goes in its own product's variations/batch, a few a call) against a sandbox limited to 10
requests a second; the ceiling is rate x elapsed x 100 listings.

Amazon (bench/amazon_push.py): patchListingsItem pushes against its 5 a second, burst 5, over real
HTTP; JSON_LISTINGS_FEED pushes of 25,000 listings against createFeed's 0.0083 feeds a second, on a
simulated clock. Figures push.amazon_patch.* and push.amazon_feed.* (calls per listing: 1 for
patches; for feeds every call, document, upload, polls and report, against 1 / 25,000).

eBay: EbayClient.push_quantities in batches of 25 SKUs (bulk_update_price_quantity) against a
sandbox whose call quota is EBAY_QUOTA calls a window of EBAY_WINDOW seconds (eBay's is a day; the
bench shortens the window to measure it); the client reads the quota (getRateLimits) and waits for
each reset. The ceiling is the quota of every window the run began (less the access check's call)
x 25 listings.

Plus and enterprise are left out: their buckets alone hold 2,000 and 4,000 calls, and they restore
100 and 200 calls a second, more than one sandbox process serves (about 60 calls a second of 250).

Prints, per channel, achieved / ceiling, the share of throttled calls (THROTTLED or HTTP 429) and
the channel calls per pushed listing against 1 / batch size, and merges them into
bench/results.json as push.<channel>.ceiling_ratio, .throttled_share and .calls_per_listing.
Goals: ratio >= 0.95, throttled < 1 %, calls per listing <= 1.05 / batch size.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from amazon_push import AmazonRun
from amazon_push import feeds as amazon_feeds
from amazon_push import patches as amazon_patches
from results import merge  # bench/ is on the path: scripts run as `python bench/NAME.py`

from shared.channels.base import PushOutcome, PushResult, QuantityPush
from shared.channels.ebay import EbayClient
from shared.channels.shopify import MUTATION_COST, ShopifyClient
from shared.channels.woocommerce import WooCommerceClient
from tidemark.sandbox.ebay import DailyQuota, EbayStore, OAuth
from tidemark.sandbox.ebay import create_app as ebay_app
from tidemark.sandbox.server import serve_in_thread
from tidemark.sandbox.shopify import BUCKET_SECONDS, PLAN_RESTORE_RATES, ShopifyStore
from tidemark.sandbox.shopify import create_app as shopify_app
from tidemark.sandbox.woocommerce import WooStore
from tidemark.sandbox.woocommerce import create_app as woo_app

SHOPIFY_VARIANTS = 20_000
SHOPIFY_ROUNDS = {"standard": 5, "advanced": 12}  # 100,000 and 240,000 pushes: well past the bucket
WOO_RATE = 10.0
WOO_PUSHES = 20_000
TOKEN = "shpat_bench"
KEY, SECRET = "ck_bench", "cs_bench"
EBAY_QUOTA, EBAY_WINDOW = 50, 5  # 10 calls a second on average, 250 listings a second
EBAY_WINDOWS = 7
# A whole number of windows of calls (less the access check's one), so that the last window is not
# cut short by the work running out: 349 calls of 25.
EBAY_PUSHES = (EBAY_WINDOWS * EBAY_QUOTA - 1) * 25
EBAY_KEYS = ("Tidemark-bench", "SBX-bench", "v^1.1#bench")


class Counting(httpx.HTTPTransport):
    """The real transport, counting the calls and the throttled answers."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.throttled = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.calls += 1
        if response.status_code == 429 or b'"THROTTLED"' in response.content:
            self.throttled += 1
        return response


@dataclass
class Run:
    pushed: int
    elapsed: float
    calls: int
    throttled: int


def push_all(
    push: Callable[[Sequence[QuantityPush], str], list[PushResult]],
    batches: list[list[QuantityPush]],
    transport: Counting,
) -> Run:
    start = time.monotonic()
    pushed = 0
    for number, batch in enumerate(batches):
        results = push(batch, f"bench-{number}")
        pushed += sum(result.outcome is PushOutcome.PUSHED for result in results)
    return Run(pushed, time.monotonic() - start, transport.calls, transport.throttled)


def shopify(plan: str) -> tuple[Run, float]:
    store = ShopifyStore.generate(SHOPIFY_VARIANTS, seed=1, plan=plan)
    variants = store.variants()
    held = [variant.quantity for variant in variants]
    batches = []
    for round_number in range(SHOPIFY_ROUNDS[plan]):
        pushes = []
        for index, variant in enumerate(variants):
            quantity = (index + round_number * 7) % 60
            pushes.append(
                QuantityPush(
                    sku=variant.sku,
                    inventory_item_id=variant.inventory_item_id,
                    location_id=variant.location_id,
                    quantity=quantity,
                    expected=held[index],
                )
            )
            held[index] = quantity
        batches += [pushes[i : i + ShopifyClient.quantity_batch_size] for i in range(0, len(pushes), 250)]
    transport = Counting()
    with serve_in_thread(shopify_app(store, TOKEN)) as server, httpx.Client(transport=transport) as http:
        client = ShopifyClient(server.url, TOKEN, http=http)
        run = push_all(client.push_quantities, batches, transport)
    restore_rate = PLAN_RESTORE_RATES[plan]
    bucket = restore_rate * BUCKET_SECONDS  # a fresh store starts with a full bucket
    ceiling = (bucket + restore_rate * run.elapsed) / MUTATION_COST * ShopifyClient.quantity_batch_size
    return run, ceiling


def woocommerce() -> tuple[Run, float]:
    store = WooStore.generate(WOO_PUSHES * 3, seed=1)  # about 40 % of the items are simple products
    simple = [variant for variant in store.variants() if variant.variation_id is None]
    assert len(simple) >= WOO_PUSHES, "generate a larger WooCommerce catalog"
    pushes = [
        QuantityPush(sku=v.sku, inventory_item_id=v.inventory_item_id, location_id="", quantity=index % 60)
        for index, v in enumerate(simple[:WOO_PUSHES])
    ]
    size = WooCommerceClient.quantity_batch_size
    batches = [pushes[i : i + size] for i in range(0, len(pushes), size)]
    transport = Counting()
    with (
        serve_in_thread(woo_app(store, KEY, SECRET, WOO_RATE)) as server,
        httpx.Client(transport=transport) as http,
    ):
        client = WooCommerceClient(server.url, KEY, SECRET, http=http)
        run = push_all(client.push_quantities, batches, transport)
    return run, WOO_RATE * run.elapsed * size


def ebay() -> tuple[Run, float]:
    store = EbayStore.generate(EBAY_PUSHES * 2, seed=1)
    published = [o for o in sorted(store.offers.values(), key=lambda o: o.sku) if o.published][:EBAY_PUSHES]
    assert len(published) == EBAY_PUSHES, "generate a larger eBay catalog"
    pushes = [
        QuantityPush(sku=o.sku, inventory_item_id=o.offer_id, location_id="EBAY_US", quantity=i % 60)
        for i, o in enumerate(published)
    ]
    size = EbayClient.quantity_batch_size
    batches = [pushes[i : i + size] for i in range(0, len(pushes), size)]
    quota = DailyQuota(limit=EBAY_QUOTA, window_seconds=EBAY_WINDOW)
    transport = Counting()
    with (
        serve_in_thread(ebay_app(store, OAuth(*EBAY_KEYS), quota)) as server,
        httpx.Client(transport=transport) as http,
    ):
        client = EbayClient(server.url, *EBAY_KEYS, http=http)
        client.check_access()  # the tokens and the quota read before the clock starts
        transport.calls = transport.throttled = 0
        first_window_calls = quota.count
        run = push_all(client.push_quantities, batches, transport)
    inventory_calls = (
        client.calls - 1
    )  # the pushes' calls (getRateLimits and tokens are not Inventory API calls)
    windows = -(-(inventory_calls + first_window_calls) // EBAY_QUOTA)  # the windows the run used
    ceiling = (windows * EBAY_QUOTA - first_window_calls) * size
    run.calls = inventory_calls
    return run, ceiling


def report(name: str, run: Run, ceiling: float, batch_size: int) -> dict[str, float]:
    ratio = run.pushed / ceiling
    throttled = run.throttled / run.calls
    per_listing = run.calls / run.pushed
    print(
        f"{name:18} {run.pushed:7d} pushed in {run.elapsed:6.1f} s, {run.calls} calls   "
        f"achieved/ceiling {ratio:5.3f} (goal >= 0.95)   throttled {throttled:6.2%} (goal < 1 %)   "
        f"calls/listing {per_listing * batch_size:.3f} / {batch_size} (goal <= 1.05 / {batch_size})"
    )
    return {
        f"push.{name}.ceiling_ratio": round(ratio, 4),
        f"push.{name}.throttled_share": round(throttled, 4),
        f"push.{name}.calls_per_listing": round(per_listing, 6),
    }


def report_amazon(name: str, amazon: AmazonRun, batch_size: int) -> dict[str, float]:
    run = Run(amazon.pushed, amazon.elapsed, amazon.calls, amazon.throttled)
    return report(name, run, amazon.ceiling, batch_size)


def main() -> None:
    figures: dict[str, float] = {}
    if "--only" in sys.argv:  # python bench/push_throughput.py --only ebay
        name = sys.argv[sys.argv.index("--only") + 1]
        run, ceiling = {"ebay": ebay, "woocommerce": woocommerce}[name]()
        size = {"ebay": EbayClient.quantity_batch_size, "woocommerce": WooCommerceClient.quantity_batch_size}[
            name
        ]
        merge(report(name, run, ceiling, size))
        return
    for plan in SHOPIFY_ROUNDS:
        run, ceiling = shopify(plan)
        figures |= report(f"shopify_{plan}", run, ceiling, ShopifyClient.quantity_batch_size)
    run, ceiling = woocommerce()
    figures |= report("woocommerce", run, ceiling, WooCommerceClient.quantity_batch_size)
    figures |= report_amazon("amazon_patch", amazon_patches(), 1)
    figures |= report_amazon("amazon_feed", amazon_feeds(), 25_000)
    run, ceiling = ebay()
    figures |= report("ebay", run, ceiling, EbayClient.quantity_batch_size)
    merge(figures)


if __name__ == "__main__":
    main()
